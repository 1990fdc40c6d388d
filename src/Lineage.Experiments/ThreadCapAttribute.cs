using System.Reflection;

namespace Lineage.Experiments;

/// <summary>
/// An experiment that measures or trains on at most <see cref="Threads"/> threads, and why. The tour caps the run's
/// settings with it (<see cref="ExperimentContext.Settings"/>) and libtorch runs the experiment on that many threads; a
/// cap never raises the count, so <c>--threads 1</c> still gives one. Experiments without it get the run's count.
/// </summary>
/// <param name="threads">The most threads the experiment uses.</param>
/// <param name="reason">Why fewer threads measure better, in a sentence (the one place it is stated).</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ThreadCapAttribute(int threads, string reason) : Attribute
{
    /// <summary>Small matrices on a shared 2-core machine, the reason most capped chapters share.</summary>
    public const string SmallMatrices =
        "small matrices on a shared 2-core machine: one libtorch thread is faster, and a second worker that gets descheduled stalls every operation";

    /// <summary>Recurrent cells on small batches, the sequence chapter's reason.</summary>
    public const string SmallRecurrentSteps =
        "recurrent models on small batches (64 × 48 units) run long chains of tiny operations: one thread is faster than two and steadier on a shared machine";

    /// <summary>The most threads the experiment uses.</summary>
    public int Threads { get; } = threads > 0 ? threads : throw new ArgumentOutOfRangeException(nameof(threads), threads, "A thread cap is at least 1.");

    /// <summary>Why.</summary>
    public string Reason { get; } = string.IsNullOrWhiteSpace(reason) ? throw new ArgumentException("A thread cap needs its reason.", nameof(reason)) : reason;

    /// <summary>The cap declared on <paramref name="experiment"/>'s class, or null for none.</summary>
    public static ThreadCapAttribute? Of(Type experiment) => experiment.GetCustomAttribute<ThreadCapAttribute>(inherit: false);
}
