using TorchSharp;

namespace Lineage.Neural.Core;

/// <summary>
/// Temporarily caps libtorch's intra-op threads. Recurrent models on small batches run long chains of tiny
/// operations; splitting each across threads costs more in synchronisation than it gains, and on a shared machine a
/// descheduled worker stalls every step. Dispose to restore the previous count.
/// </summary>
public sealed class TorchThreads : IDisposable
{
    private readonly int _previous;

    private TorchThreads(int threads)
    {
        _previous = torch.get_num_threads();
        if (threads > 0 && threads < _previous) torch.set_num_threads(threads);
    }

    /// <summary>Uses at most <paramref name="threads"/> threads until the result is disposed.</summary>
    public static TorchThreads AtMost(int threads) => new(threads);

    /// <inheritdoc />
    public void Dispose()
    {
        if (torch.get_num_threads() != _previous) torch.set_num_threads(_previous);
    }
}
