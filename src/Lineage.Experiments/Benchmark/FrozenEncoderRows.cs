// The protocol shared by the benchmark rows whose encoder is a neural model trained on the task's texts (the scratch
// BERT, the recurrent language models): train it or read it from the model cache, freeze it, featurise the texts,
// then the same probe (classification) or cosine ranking (retrieval) as every other row, with the row's cost columns.
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lineage.Data.Benchmark;
using Lineage.Text.Encodings;
using TorchSharp;

namespace Lineage.Experiments.Benchmark;

/// <summary>A trained, frozen encoder as a row uses it.</summary>
/// <param name="Model">The module (disposed when the row is done).</param>
/// <param name="Features">Texts → (N, features) dense rows.</param>
/// <param name="TrainSeconds">How long its training took (in this run or when it was cached).</param>
/// <param name="Reused">Read from the model cache rather than trained in this run.</param>
internal sealed record FrozenEncoder(torch.nn.Module Model, Func<IReadOnlyList<string>, CsrMatrix<double>> Features, double TrainSeconds, bool Reused);

/// <summary>Runs a row whose encoder is trained on the task's own training texts.</summary>
internal static class FrozenEncoderRows
{
    /// <summary>A classification row: <paramref name="load"/> the encoder from the training texts, featurise, fit the probe, score the held-out texts.</summary>
    public static BenchRow Run(ClassificationTask task, string id, string name, string step, int features, Func<IReadOnlyList<string>, FrozenEncoder> load,
        string what, ProbeOptions probe, int seed, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(probe);
        Dictionary<string, double> metrics = [];
        double trainSeconds = 0, perSecond = 0, l2 = probe.L2;
        FrozenEncoder? loaded = null;
        long parameters = 0;
        long peak = LineageBenchmark.Measured(() =>
        {
            var clock = Stopwatch.StartNew();
            var trainTexts = task.Train.Select(i => i.Text).ToList();
            loaded = load(trainTexts);
            using (loaded.Model)
            {
                var scored = LineageBenchmark.Classify(task, loaded.Features(trainTexts), loaded.Features, probe, seed, clock, cancellation);
                (metrics, l2, trainSeconds, perSecond) = (scored.Metrics, scored.L2, scored.TrainSeconds, scored.TextsPerSecond);
                parameters = loaded.Model.parameters().Sum(p => p.numel()) + scored.ProbeParameters;
            }
        });
        return new BenchRow(task.Id, id, name, step, metrics, features, parameters, trainSeconds, perSecond, peak,
            $"{Origin(what, loaded!)}; {LineageBenchmark.ProbeNote(probe, l2)}");
    }

    /// <summary>A retrieval row: <paramref name="load"/> the encoder from the training pairs' queries and documents, then rank held-out documents by cosine.</summary>
    public static BenchRow Run(RetrievalTask task, string id, string name, string step, int features, Func<IReadOnlyList<string>, FrozenEncoder> load, string what)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(load);
        Dictionary<string, double> metrics = [];
        double trainSeconds = 0, perSecond = 0;
        FrozenEncoder? loaded = null;
        long parameters = 0;
        long peak = LineageBenchmark.Measured(() =>
        {
            var clock = Stopwatch.StartNew();
            loaded = load([.. task.Train.Select(p => p.Query + ". " + p.Document)]);
            using (loaded.Model)
            {
                trainSeconds = clock.Elapsed.TotalSeconds;
                var ranked = LineageBenchmark.Rank(task, loaded.Features, loaded.Features);
                (metrics, perSecond) = (ranked.Metrics, ranked.TextsPerSecond);
                parameters = loaded.Model.parameters().Sum(p => p.numel());
            }
        });
        return new BenchRow(task.Id, id, name, step, metrics, features, parameters, trainSeconds, perSecond, peak, Origin(what, loaded!));
    }

    /// <summary>A short hash of the split's training ids, for a cached encoder's key: another split trains another model.</summary>
    public static string SplitHash(TaskSplit split) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', split.Train))))[..16];

    /// <summary>Where the encoder came from, for the row's note ("encoder pre-trained here … in 42 s (counted in train s)").</summary>
    /// <remarks><paramref name="what"/> names the model and how it learned: "encoder, pre-trained" or "language model, trained".</remarks>
    private static string Origin(string what, FrozenEncoder e)
    {
        var parts = what.Split(", ");
        string noun = parts[0], verb = parts.Length > 1 ? parts[1] : "trained", gerund = verb.EndsWith("ed", StringComparison.Ordinal) ? verb[..^2] + "ing" : verb;
        return e.Reused
            ? string.Create(CultureInfo.InvariantCulture, $"{noun} from the model cache (its {gerund} took {e.TrainSeconds:0} s, not counted in train s)")
            : string.Create(CultureInfo.InvariantCulture, $"{noun} {verb} here on the task's training texts in {e.TrainSeconds:0} s (counted in train s)");
    }
}
