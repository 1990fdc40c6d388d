using System.Text.Json;
using System.Text.Json.Serialization;
using Lineage.Text.IO;

namespace Lineage.Experiments.Results;

/// <summary>How an experiment ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExperimentStatus>))]
public enum ExperimentStatus
{
    /// <summary>Ran, and every claim passed.</summary>
    [JsonStringEnumMemberName("passed")] Passed,
    /// <summary>Ran, and at least one claim failed.</summary>
    [JsonStringEnumMemberName("failed")] Failed,
    /// <summary>Threw an exception (the message is in <see cref="ExperimentRecord.Error"/>).</summary>
    [JsonStringEnumMemberName("error")] Error,
    /// <summary>Stopped by the user (Ctrl-C) or by its time limit.</summary>
    [JsonStringEnumMemberName("cancelled")] Cancelled,
}

/// <summary>One experiment in results.json. See docs/results-schema.md.</summary>
/// <param name="Id">Experiment id ("foundations.mlp").</param>
/// <param name="Family">Family slug ("foundations").</param>
/// <param name="Title">Title.</param>
/// <param name="Paper">Main paper, "Authors Year, Title".</param>
/// <param name="PaperUrl">Where to read it.</param>
/// <param name="Status">How it ended.</param>
/// <param name="WallSeconds">Wall time.</param>
/// <param name="BudgetSeconds">Its time budget in this mode.</param>
/// <param name="OverBudget">Whether it took longer than its budget.</param>
/// <param name="Model">"trained", "reused" or "none".</param>
/// <param name="Metrics">Name → number.</param>
/// <param name="Claims">Claims checked.</param>
/// <param name="Plots">Plots, relative to the tour folder.</param>
/// <param name="Tables">Tables shown in the report.</param>
/// <param name="Notes">Paragraphs shown in the report.</param>
/// <param name="Error">Error message when <paramref name="Status"/> is error or cancelled.</param>
public sealed record ExperimentRecord(
    string Id, string Family, string Title, string Paper, string PaperUrl, ExperimentStatus Status,
    double WallSeconds, double BudgetSeconds, bool OverBudget, string Model,
    IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<Claim> Claims, IReadOnlyList<PlotRef> Plots,
    IReadOnlyList<ResultTable> Tables, IReadOnlyList<string> Notes, string? Error);

/// <summary>The machine a tour ran on.</summary>
/// <param name="Os">Operating system description.</param>
/// <param name="Processors">Logical processors.</param>
/// <param name="Dotnet">.NET runtime version.</param>
/// <param name="Threads">libtorch intra-op threads used.</param>
public sealed record MachineInfo(string Os, int Processors, string Dotnet, int Threads);

/// <summary>Counts over a tour.</summary>
/// <param name="Experiments">Experiments run.</param>
/// <param name="Passed">Experiments whose claims all passed.</param>
/// <param name="Failed">Experiments with a failed claim.</param>
/// <param name="Errors">Experiments that threw or were cancelled.</param>
/// <param name="Claims">Claims checked.</param>
/// <param name="ClaimsPassed">Claims that passed.</param>
public sealed record TourSummary(int Experiments, int Passed, int Failed, int Errors, int Claims, int ClaimsPassed);

/// <summary>
/// results.json: the machine-readable record of a tour. The schema is versioned by <see cref="Schema"/>;
/// fields are only ever added, never renamed or removed, within a version (docs/results-schema.md).
/// </summary>
/// <param name="Schema">Always <see cref="CurrentSchema"/> when written by this version.</param>
/// <param name="LineageVersion">Version of Lineage that wrote it.</param>
/// <param name="StartedUtc">Start time.</param>
/// <param name="FinishedUtc">End time.</param>
/// <param name="Quick">Tiny sizes for a smoke test; the numbers are not the real claims.</param>
/// <param name="Seed">Global seed.</param>
/// <param name="Machine">Where it ran.</param>
/// <param name="Experiments">One entry per experiment, in tour order.</param>
/// <param name="Summary">Counts.</param>
public sealed record TourResults(
    string Schema, string LineageVersion, DateTime StartedUtc, DateTime FinishedUtc, bool Quick, int Seed,
    MachineInfo Machine, IReadOnlyList<ExperimentRecord> Experiments, TourSummary Summary)
{
    /// <summary>The schema id this version writes.</summary>
    public const string CurrentSchema = "lineage.tour/1";

    /// <summary>JSON settings of results.json (camelCase, indented).</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Counts of the given records.</summary>
    public static TourSummary Summarise(IReadOnlyList<ExperimentRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return new(records.Count,
            records.Count(r => r.Status == ExperimentStatus.Passed),
            records.Count(r => r.Status == ExperimentStatus.Failed),
            records.Count(r => r.Status is ExperimentStatus.Error or ExperimentStatus.Cancelled),
            records.Sum(r => r.Claims.Count),
            records.Sum(r => r.Claims.Count(c => c.Passed)));
    }

    /// <summary>Writes results.json atomically.</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    /// <summary>Reads a results.json; null when absent.</summary>
    /// <exception cref="InvalidDataException">Unreadable, or written with another schema.</exception>
    public static TourResults? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var r = JsonSerializer.Deserialize<TourResults>(File.ReadAllText(path), Json);
            if (r?.Schema != CurrentSchema)
                throw new InvalidDataException($"{path}: schema '{r?.Schema}' is not '{CurrentSchema}'");
            return r;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid results.json ({e.Message})", e);
        }
    }
}
