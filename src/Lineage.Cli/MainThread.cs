// Training commands run on the process's first thread, with freed memory kept, and turn Ctrl-C into cancellation.
// Why the first thread: it allocates from glibc's main arena, the one arena whose policy PeakMemory.Retained can change
// at run time, so the steps reuse freed memory instead of faulting fresh pages in (every page fault costs about 10 µs on
// our VMs). Measured: `longctx recall` with Mamba at N = 256, 51.3 s on a thread-pool thread with glibc's default policy,
// 13.9 s here (2026-12-07); the tour's chapter processes get the same policy for the whole process (ChapterProcess).
// Why SIGINT here: an action that runs synchronously blocks the invocation that would otherwise cancel its token on Ctrl-C.
using System.Runtime.InteropServices;
using Lineage.Neural.Core;

namespace Lineage.Cli;

/// <summary>Runs a command's work on the calling (first) thread with freed memory kept, Ctrl-C cancelling its token.</summary>
internal static class MainThread
{
    /// <summary>
    /// Runs <paramref name="work"/> here, inside <see cref="PeakMemory.Retained"/>, with a token that SIGINT (Ctrl-C) or
    /// <paramref name="cancellation"/> cancels; returns its exit code as a finished task.
    /// </summary>
    public static Task<int> Run(Func<CancellationToken, int> work, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal =>
        {
            signal.Cancel = true;                          // stop between steps, as the command's own handling says, not at once
            interrupted.Cancel();
        });
        using var kept = PeakMemory.Retained();
        return Task.FromResult(work(interrupted.Token));
    }
}
