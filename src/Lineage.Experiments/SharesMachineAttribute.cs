using System.Reflection;

namespace Lineage.Experiments;

/// <summary>
/// A one-thread chapter (<see cref="ThreadCapAttribute"/> of 1) that a CLI tour may run in its own process beside another
/// such chapter, one core each: its claims are about what it learns, not about how fast it runs, so a neighbour on the
/// other core changes its time but none of its numbers (each process is seeded and trains alone). Chapters whose claims
/// time something (speed-ups, fitted time exponents, seconds) never carry it: they run with the machine to themselves.
/// </summary>
/// <param name="reason">Why a neighbour leaves its claims unchanged, in a sentence.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class SharesMachineAttribute(string reason) : Attribute
{
    /// <summary>The reason most such chapters share.</summary>
    public const string LearnsOnly =
        "every claim is about what the seeded models learn, none about time: a neighbouring process on the other core changes none of them";

    /// <summary>Why.</summary>
    public string Reason { get; } = string.IsNullOrWhiteSpace(reason) ? throw new ArgumentException("Sharing the machine needs its reason.", nameof(reason)) : reason;

    /// <summary>Whether <paramref name="experiment"/>'s class may share the machine: it carries this attribute and a thread cap of 1.</summary>
    public static bool Of(Type experiment) =>
        experiment.GetCustomAttribute<SharesMachineAttribute>(inherit: false) is not null && ThreadCapAttribute.Of(experiment) is { Threads: 1 };
}
