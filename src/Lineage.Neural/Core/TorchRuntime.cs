using TorchSharp;

namespace Lineage.Neural.Core;

/// <summary>Loads libtorch once, sets the thread count from a run's settings, and turns a failed native load into advice.</summary>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool _ready;

    /// <summary>
    /// Applies a run's settings: libtorch loaded, and <see cref="RunSettings.Threads"/> intra-op threads. The CLI calls it
    /// once per command, the tour once per process and once for each experiment's capped settings.
    /// </summary>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded; the message says how to fix it.</exception>
    public static void Apply(RunSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Initialize();
        lock (Gate)
        {
            if (torch.get_num_threads() != settings.Threads) torch.set_num_threads(settings.Threads);
        }
    }

    /// <summary>
    /// Makes sure libtorch is loaded, leaving its thread count as it is (tests and embedders; a run uses <see cref="Apply"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded; the message says how to fix it.</exception>
    public static void Initialize()
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
