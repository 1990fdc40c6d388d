using Lineage.Experiments.Results;

namespace Lineage.Experiments;

/// <summary>What the tour shows about an experiment before running it.</summary>
/// <param name="Id">Unique id, "family.name" ("foundations.mlp"); used by <c>lineage tour --only</c>.</param>
/// <param name="Family">Chapter it belongs to.</param>
/// <param name="Title">One-line title.</param>
/// <param name="Summary">What it shows, in a sentence or two.</param>
/// <param name="Paper">Main paper.</param>
/// <param name="Budget">Time budget of the default (real) run on 2 cores; the tour stops it at twice this.</param>
/// <param name="QuickBudget">Time budget with <c>--quick</c>.</param>
public sealed record ExperimentInfo(string Id, Family Family, string Title, string Summary, Paper Paper, TimeSpan Budget, TimeSpan QuickBudget);

/// <summary>
/// An experiment of the tour: trains or measures something on real data and returns metrics, claims and
/// plots as data. Every non-abstract implementation with a public parameterless constructor in this
/// assembly is found by <see cref="ExperimentRegistry"/>; adding one needs no list edited.
/// </summary>
public interface IExperiment
{
    /// <summary>Id, family, paper and budget.</summary>
    ExperimentInfo Info { get; }

    /// <summary>Runs the experiment; honours <see cref="ExperimentContext.Cancellation"/> between steps.</summary>
    ExperimentResult Run(ExperimentContext context);
}

/// <summary>
/// An experiment whose process needs settings that can only be made when a process starts (environment variables
/// such as <c>GLIBC_TUNABLES</c>). The tour applies them to the experiment's own process (<see cref="ChapterProcess"/>).
/// </summary>
public interface INeedsProcessSettings
{
    /// <summary>Adds the settings to the environment of the process about to start.</summary>
    void Prepare(IDictionary<string, string?> environment);
}
