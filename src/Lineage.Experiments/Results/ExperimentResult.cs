using System.Globalization;

namespace Lineage.Experiments.Results;

/// <summary>Whether an experiment trained its model, took it from the model cache, or has none.</summary>
public enum ModelOrigin
{
    /// <summary>No trained model (a measurement, a closed-form method).</summary>
    None,
    /// <summary>Trained in this run.</summary>
    Trained,
    /// <summary>Loaded from the model cache: same data, settings and code.</summary>
    Reused,
}

/// <summary>A claim an experiment checks: the statement, what was measured, the bar, and the verdict.</summary>
/// <param name="Statement">The claim in words.</param>
/// <param name="Measured">The measured value.</param>
/// <param name="Threshold">The bar, in words and numbers ("≥ 0.80").</param>
/// <param name="Passed">Whether the measured value clears the bar.</param>
public sealed record Claim(string Statement, double Measured, string Threshold, bool Passed);

/// <summary>A plot the experiment wrote into its output folder.</summary>
/// <param name="File">Path relative to the tour's output folder ("foundations.mlp/learning-curve.png").</param>
/// <param name="Caption">What it shows.</param>
public sealed record PlotRef(string File, string Caption);

/// <summary>A small table for the report (examples, per-class numbers).</summary>
/// <param name="Title">Caption.</param>
/// <param name="Columns">Header cells.</param>
/// <param name="Rows">Body rows, each as many cells as <paramref name="Columns"/>.</param>
public sealed record ResultTable(string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>
/// What an experiment returns: metrics, claims, plots, tables and notes, as data. The tour turns it into
/// an entry of results.json and a section of the report.
/// </summary>
public sealed class ExperimentResult
{
    /// <summary>Named numbers, in the order they were added.</summary>
    public Dictionary<string, double> Metrics { get; } = [];

    /// <summary>Claims checked.</summary>
    public List<Claim> Claims { get; } = [];

    /// <summary>Plots written.</summary>
    public List<PlotRef> Plots { get; } = [];

    /// <summary>Tables for the report.</summary>
    public List<ResultTable> Tables { get; } = [];

    /// <summary>Short paragraphs for the report (observations, deviations).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Where the model came from.</summary>
    public ModelOrigin Model { get; set; } = ModelOrigin.None;

    /// <summary>Records a metric.</summary>
    /// <exception cref="ArgumentException">The value is NaN or infinite, or the name is taken.</exception>
    public ExperimentResult Metric(string name, double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"Metric '{name}' is {value}; metrics must be finite numbers.", nameof(value));
        if (!Metrics.TryAdd(name, value)) throw new ArgumentException($"Metric '{name}' was recorded twice.", nameof(name));
        return this;
    }

    /// <summary>Records a claim with an explicit verdict.</summary>
    public ExperimentResult Claim(string statement, double measured, string threshold, bool passed)
    {
        Claims.Add(new Claim(statement, measured, threshold, passed && double.IsFinite(measured)));
        return this;
    }

    /// <summary>Records the claim "measured ≥ minimum".</summary>
    public ExperimentResult ClaimAtLeast(string statement, double measured, double minimum) =>
        Claim(statement, measured, "≥ " + minimum.ToString("G4", CultureInfo.InvariantCulture), measured >= minimum);

    /// <summary>Records the claim "measured ≤ maximum".</summary>
    public ExperimentResult ClaimAtMost(string statement, double measured, double maximum) =>
        Claim(statement, measured, "≤ " + maximum.ToString("G4", CultureInfo.InvariantCulture), measured <= maximum);

    /// <summary>Records a plot file (relative to the tour's output folder).</summary>
    public ExperimentResult Plot(string file, string caption)
    {
        Plots.Add(new PlotRef(file.Replace('\\', '/'), caption));
        return this;
    }

    /// <summary>Adds a table.</summary>
    /// <exception cref="ArgumentException">A row has the wrong number of cells.</exception>
    public ExperimentResult Table(string title, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var list = rows.ToList();
        if (list.FirstOrDefault(r => r.Count != columns.Count) is { } bad)
            throw new ArgumentException($"Table '{title}': a row has {bad.Count} cells, the header {columns.Count}.", nameof(rows));
        Tables.Add(new ResultTable(title, columns, list));
        return this;
    }

    /// <summary>Adds a paragraph.</summary>
    public ExperimentResult Note(string text)
    {
        Notes.Add(text);
        return this;
    }
}
