using TorchSharp;

namespace Lineage.Neural.Core;

/// <summary>Loads libtorch once, sets the thread count, and turns a failed native load into advice.</summary>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool _ready;

    /// <summary>
    /// Makes sure libtorch is loaded and uses <paramref name="threads"/> intra-op threads (0 keeps libtorch's default).
    /// </summary>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded; the message says how to fix it.</exception>
    public static void Initialize(int threads = 0)
    {
        lock (Gate)
        {
            if (!_ready)
            {
                try
                {
                    using var probe = torch.zeros(1);
                }
                catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
                {
                    throw new InvalidOperationException(
                        "libtorch (TorchSharp-cpu 0.107.0) failed to load. It needs libstdc++ from GCC 13+ (GLIBCXX_3.4.32); " +
                        "run tools/bootstrap.sh (as root on Debian 12 it installs Debian 13's libstdc++6). Cause: " + Innermost(e).Message, e);
                }
                _ready = true;
            }
            if (threads > 0) torch.set_num_threads(threads);
        }
    }

    /// <summary>libtorch's current intra-op thread count.</summary>
    public static int Threads => torch.get_num_threads();

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
