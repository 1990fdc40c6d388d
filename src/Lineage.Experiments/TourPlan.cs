// The order of a CLI tour: most training chapters run on one libtorch thread (ThreadCap), which left the second core
// idle for about 18 of the tour's 38 minutes (2026-12-07). The chapters that may share the machine (SharesMachine) run
// first, two at a time, one core each, in two lanes; then every other chapter, in lineage order, with the machine to
// itself. A lane runs a family's sharing chapters in lineage order, so a chapter that reuses an earlier one's models
// (sequence.vanishing after sequence.adding) still finds them; the chapters that run alone come after the lanes, so
// transformers.pretrained still finds the BERT models transformers.bert trained.
namespace Lineage.Experiments;

/// <summary>
/// How a tour runs its experiments: <see cref="Lanes"/> side by side first (each lane one chapter at a time), then
/// <see cref="Alone"/> one at a time. With one lane every experiment runs alone, in lineage order.
/// </summary>
/// <param name="Lanes">Chapters that share the machine, by lane; empty with one lane.</param>
/// <param name="Alone">Chapters that run with the machine to themselves, in lineage order.</param>
public sealed record TourPlan(IReadOnlyList<IReadOnlyList<IExperiment>> Lanes, IReadOnlyList<IExperiment> Alone)
{
    /// <summary>The most lanes a tour uses: chapters that share the machine use one core each, and this machine has two.</summary>
    public const int MaxLanes = 2;

    /// <summary>Set to 1 to run every chapter alone (timing a chapter by itself); a tour started with <c>--threads 1</c> does too.</summary>
    public const string LanesVariable = "LINEAGE_TOUR_LANES";

    /// <summary>
    /// Lanes for a run on <paramref name="threads"/> threads: one per thread up to <see cref="MaxLanes"/> (so that
    /// <c>--threads 1</c> still uses one core), or fewer when <see cref="LanesVariable"/> says so.
    /// </summary>
    public static int LanesFor(int threads)
    {
        int lanes = Math.Clamp(threads, 1, MaxLanes);
        return int.TryParse(Environment.GetEnvironmentVariable(LanesVariable), out var asked) && asked >= 1 ? Math.Min(lanes, asked) : lanes;
    }

    /// <summary>
    /// The plan for <paramref name="experiments"/> (in lineage order) on <paramref name="lanes"/> lanes: each family's
    /// sharing chapters stay together, and the families go to lanes longest first, each to the lane with the least
    /// budget so far.
    /// </summary>
    /// <param name="experiments">The experiments, in lineage order.</param>
    /// <param name="lanes">Lanes (1 or more).</param>
    /// <param name="quick">Plan with the quick budgets.</param>
    public static TourPlan Of(IReadOnlyList<IExperiment> experiments, int lanes, bool quick)
    {
        ArgumentNullException.ThrowIfNull(experiments);
        var sharing = lanes > 1 ? experiments.Where(e => SharesMachineAttribute.Of(e.GetType())).ToList() : [];
        if (sharing.Count < 2) return new TourPlan([], [.. experiments]);
        var alone = experiments.Where(e => !sharing.Contains(e)).ToList();
        var families = sharing.GroupBy(e => e.Info.Family).Select(g => g.ToList())
            .OrderByDescending(g => Sum(g, quick)).ToList();
        var plan = Enumerable.Range(0, lanes).Select(_ => new List<IExperiment>()).ToList();
        foreach (var family in families)
            plan.MinBy(lane => Sum(lane, quick))!.AddRange(family);
        return new TourPlan([.. plan.Where(l => l.Count > 0)], alone);
    }

    /// <summary>The tour's planned time: the chapters alone one after another, plus the longest lane (by budget).</summary>
    public TimeSpan Planned(bool quick) =>
        Sum(Alone, quick) + (Lanes.Count == 0 ? TimeSpan.Zero : Lanes.Max(l => Sum(l, quick)));

    private static TimeSpan Sum(IEnumerable<IExperiment> experiments, bool quick) =>
        TimeSpan.FromTicks(experiments.Sum(e => (quick ? e.Info.QuickBudget : e.Info.Budget).Ticks));
}
