using System.Reflection;

namespace Lineage.Experiments;

/// <summary>
/// Finds every experiment: each non-abstract <see cref="IExperiment"/> with a public parameterless
/// constructor in this assembly, ordered by family (lineage order), then id. Nothing to register by hand.
/// </summary>
public static class ExperimentRegistry
{
    private static readonly Lazy<IReadOnlyList<IExperiment>> Found = new(() => Discover());

    /// <summary>Every experiment, in tour order.</summary>
    public static IReadOnlyList<IExperiment> All => Found.Value;

    /// <summary>The experiments whose id is <paramref name="id"/> or starts with "<paramref name="id"/>." (a family or group).</summary>
    /// <exception cref="ArgumentException">Nothing matches; the message lists the ids.</exception>
    public static IReadOnlyList<IExperiment> Select(string id)
    {
        var hits = All.Where(e => e.Info.Id == id || e.Info.Id.StartsWith(id + ".", StringComparison.Ordinal)).ToList();
        return hits.Count > 0 ? hits
            : throw new ArgumentException($"No experiment '{id}'. Known: {string.Join(", ", All.Select(e => e.Info.Id))}.", nameof(id));
    }

    /// <summary>
    /// The thread cap that the experiment with id <paramref name="id"/> declares (<see cref="ThreadCapAttribute"/>), or
    /// null for none or an unknown id.
    /// </summary>
    public static ThreadCapAttribute? ThreadCap(string id) =>
        All.FirstOrDefault(e => e.Info.Id == id) is { } experiment ? ThreadCapAttribute.Of(experiment.GetType()) : null;

    private static List<IExperiment> Discover()
    {
        var experiments = typeof(IExperiment).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IExperiment).IsAssignableFrom(t)
                        && t.GetConstructor(BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes) is not null)
            .Select(t => (IExperiment)Activator.CreateInstance(t)!)
            .OrderBy(e => e.Info.Family).ThenBy(e => e.Info.Id, StringComparer.Ordinal)
            .ToList();
        var duplicate = experiments.GroupBy(e => e.Info.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"Two experiments share the id '{duplicate.Key}': {string.Join(", ", duplicate.Select(e => e.GetType().Name))}.");
        return experiments;
    }
}
