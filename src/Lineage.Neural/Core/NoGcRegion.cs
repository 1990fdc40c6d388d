using System.Runtime;

namespace Lineage.Neural.Core;

/// <summary>
/// Runs a block of TorchSharp work with the .NET garbage collector held off, to avoid a race in TorchSharp 0.107:
/// an operator such as <c>a + b</c> passes an implicit <c>Scalar</c> (the alpha 1) to libtorch by its native handle
/// only, so if a garbage collection happens during the native call, the finalizer thread can free the Scalar while
/// libtorch reads it ("Unknown scalar type", "Expected false to be true" in <c>Scalar::toFloat</c>). Loops that allocate
/// many managed arrays per step (rendered frames, image batches), or tests running beside each other, make collections
/// frequent enough to hit it; the training loops (<c>StepTrainer</c>, <c>ClassifierTrainer</c>, <c>ScheduledTrainer</c>)
/// therefore run every step inside a region, and the VLA policy its inference. With no
/// collection during the block, no Scalar in use can be finalized. When the block allocates more than the budget the
/// runtime ends the region early and collects as usual (the work still runs; only the protection lapses).
/// </summary>
public static class NoGcRegion
{
    /// <summary>Managed bytes the block may allocate under protection.</summary>
    public const long Budget = 64L << 20;

    /// <summary>Runs <paramref name="work"/> with collections held off (when the runtime allows it).</summary>
    public static T Run<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        bool started = false;
        try
        {
            if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion) started = GC.TryStartNoGCRegion(Budget);
        }
        catch (InvalidOperationException)
        {
            started = false;                                 // already in a region (nested use): the outer one protects
        }

        try
        {
            return work();
        }
        finally
        {
            if (started && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
    }
}
