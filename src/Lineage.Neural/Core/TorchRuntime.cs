using System.Runtime.InteropServices;
using TorchSharp;

namespace Lineage.Neural.Core;

/// <summary>Loads libtorch once, sets the thread count from a run's settings, and turns a failed native load into advice.</summary>
public static partial class TorchRuntime
{
    /// <summary>The OpenMP variable libtorch's thread team reads once, when libtorch loads.</summary>
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    private static readonly Lock Gate = new();
    private static bool _ready;

    /// <summary>
    /// Asks libtorch's OpenMP team to sleep between parallel regions instead of spinning (<c>OMP_WAIT_POLICY=PASSIVE</c>),
    /// for inference made of many small ops: with two threads on two cores a spinning worker takes the core from the
    /// thread it waits for, and batch-1 encoding ran 6.8–8.3× slower than ONNX Runtime (0.73× with the passive policy;
    /// docs/transformers.md, "Speed"). OpenMP reads the variable only when libtorch loads, and .NET's
    /// <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach native code, so this sets it in
    /// the C environment too (setenv) and must run before the first tensor. A policy the user set is kept.
    /// </summary>
    /// <returns>Whether the passive policy is in effect for this process's libtorch.</returns>
    public static bool PreferPassiveWait()
    {
        lock (Gate)
        {
            var given = Environment.GetEnvironmentVariable(WaitPolicyVariable);
            if (given is not null) return string.Equals(given, "PASSIVE", StringComparison.OrdinalIgnoreCase);
            if (_ready || !OperatingSystem.IsLinux()) return false;
            if (SetEnv(WaitPolicyVariable, "PASSIVE", 0) != 0) return false;
            Environment.SetEnvironmentVariable(WaitPolicyVariable, "PASSIVE");   // and for the processes this one starts
            return true;
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

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
