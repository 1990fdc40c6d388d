// The benchmark's pretrained rows: all-MiniLM-L6-v2 and arctic-embed-xs, imported from their ONNX files in the data
// cache into the model cache (as transformers.pretrained does), read as frozen sentence vectors (each model's own pooling,
// L2-normalised, the first MaxTokens WordPiece tokens of a text) and put through the same probe or cosine ranking as the
// classical rows. Nothing in the encoder is trained here, so "training seconds" is featurising the training texts plus
// the probe (zero featurising for retrieval, which fits nothing).
using System.Diagnostics;
using Lineage.Data.Benchmark;
using Lineage.Data.Catalog;
using Lineage.Neural.Pretrained;
using static TorchSharp.torch;

namespace Lineage.Experiments.Benchmark;

/// <summary>Frozen pretrained sentence encoders as benchmark rows.</summary>
public static class PretrainedRows
{
    /// <summary>Tokens each encoder reads per text, [CLS] and [SEP] included.</summary>
    public const int MaxTokens = 128;

    /// <summary>
    /// The text each encoder's model card puts before a search query (not before documents): arctic-embed's
    /// "Represent this sentence for searching relevant passages: "; all-MiniLM-L6-v2 uses none.
    /// </summary>
    public static string QueryPrefix(PretrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Id == PretrainedModels.ArcticXs.Id ? "Represent this sentence for searching relevant passages: " : "";
    }

    /// <summary>The pretrained rows' ids (the <see cref="PretrainedModels"/> ids).</summary>
    public static IReadOnlyList<string> Ids { get; } = [.. PretrainedModels.All.Select(m => m.Id)];

    /// <summary>
    /// The Hugging Face folder of <paramref name="model"/> in the model cache, imported from the data cache's ONNX file when
    /// not there yet; null when the data set is not fetched (the row then says "not imported"; nothing is downloaded here).
    /// </summary>
    public static string? Folder(DataStore data, string modelsRoot, PretrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(model);
        var status = data.Check(model.Data);
        if (status.State != DatasetState.Ok) return null;
        var entry = new ModelCache(modelsRoot).Entry($"lineage.tasks-{model.Id}", new { model.Id, model.Name, model.MaxSeqLength }, [status.Manifest!]);
        const string Hf = "hf";
        if (!entry.CanReuse)
        {
            var folder = data.PathOf(model.Data);
            entry.Store(dir => PretrainedModels.Import(Path.Combine(folder, PretrainedModels.OnnxName), Path.Combine(folder, PretrainedModels.VocabName),
                Path.Combine(dir, Hf), model.Pooling, model.MaxSeqLength));
        }

        return entry.Path(Hf);
    }

    /// <summary>Sentence vectors (N, C) of texts, in order, as a dense matrix: batches of 32 sorted by length, no gradients.</summary>
    public static Lineage.Text.Encodings.CsrMatrix<double> Features(SentenceEmbedder embedder, IReadOnlyList<string> texts, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(texts);
        int tokens = Math.Min(MaxTokens, embedder.Model.Config.MaxLength);
        var ids = texts.Select(t => embedder.Tokenize(t, tokens)).ToList();
        var order = Enumerable.Range(0, ids.Count).OrderBy(i => ids[i].Count).ThenBy(i => i).ToArray();
        int c = embedder.Model.Config.Dim;
        var values = new double[(long)texts.Count * c];
        for (int start = 0; start < order.Length; start += 32)
        {
            cancellation.ThrowIfCancellationRequested();
            var picked = order.Skip(start).Take(32).ToArray();
            using var scope = NewDisposeScope();
            var (hidden, mask) = embedder.Encode([.. picked.Select(i => ids[i])]);
            var pooled = SentenceEmbedder.Pool(hidden, mask, embedder.DefaultPooling == Pooling.None ? Pooling.Mean : embedder.DefaultPooling)!;
            var rows = pooled.contiguous().data<float>().ToArray();
            for (int b = 0; b < picked.Length; b++)
            {
                for (int k = 0; k < c; k++) values[((long)picked[b] * c) + k] = rows[(b * c) + k];
            }
        }

        return WordVectorMean.Dense(values, texts.Count, c);
    }

    /// <summary>A classification row of pretrained <paramref name="model"/>, or a "not imported" row when its data set is absent.</summary>
    public static BenchRow Run(ClassificationTask task, PretrainedModel model, DataStore data, string modelsRoot, ProbeOptions probe, int seed = 1, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(model);
        if (Folder(data, modelsRoot, model) is not { } folder) return NotImported(task.Id, model);
        Dictionary<string, double> metrics = [];
        double trainSeconds = 0, perSecond = 0, l2 = probe.L2;
        long parameters = 0;
        int features = 0;
        long peak = LineageBenchmark.Measured(() =>
        {
            using var embedder = SentenceEmbedder.Load(folder);
            var clock = Stopwatch.StartNew();
            var x = Features(embedder, [.. task.Train.Select(i => i.Text)], cancellation);
            var scored = LineageBenchmark.Classify(task, x, texts => Features(embedder, texts, cancellation), probe, seed, clock, cancellation);
            (metrics, l2, trainSeconds, perSecond) = (scored.Metrics, scored.L2, scored.TrainSeconds, scored.TextsPerSecond);
            features = x.Columns;
            parameters = embedder.Model.parameters().Sum(p => p.numel()) + scored.ProbeParameters;
        });
        return new BenchRow(task.Id, model.Id, Name(model), "pretrained transformer", metrics, features, parameters, trainSeconds, perSecond, peak,
            $"pretrained weights (imported, frozen); first {MaxTokens} tokens; {LineageBenchmark.ProbeNote(probe, l2)}");
    }

    /// <summary>
    /// A retrieval row of pretrained <paramref name="model"/>: held-out queries (with the model's <see cref="QueryPrefix"/>
    /// unless <paramref name="queryPrefix"/> is false) and documents encoded, ranked by cosine.
    /// </summary>
    public static BenchRow Run(RetrievalTask task, PretrainedModel model, DataStore data, string modelsRoot, bool queryPrefix = true, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(model);
        if (Folder(data, modelsRoot, model) is not { } folder) return NotImported(task.Id, model);
        Dictionary<string, double> metrics = [];
        double perSecond = 0;
        long parameters = 0;
        int features = 0;
        long peak = LineageBenchmark.Measured(() =>
        {
            using var embedder = SentenceEmbedder.Load(folder);
            string prefix = queryPrefix ? QueryPrefix(model) : "";
            var ranked = LineageBenchmark.Rank(task, queries => Features(embedder, [.. queries.Select(q => prefix + q)], cancellation),
                documents => Features(embedder, documents, cancellation));
            (metrics, perSecond, features) = (ranked.Metrics, ranked.TextsPerSecond, ranked.Features);
            parameters = embedder.Model.parameters().Sum(p => p.numel());
        });
        return new BenchRow(task.Id, model.Id, Name(model), "pretrained transformer", metrics, features, parameters, 0, perSecond, peak,
            $"pretrained weights (imported, frozen); nothing fitted on the training pairs; first {MaxTokens} tokens; " +
            (QueryPrefix(model) is not { Length: > 0 } p ? "no query prefix (its card uses none)" : queryPrefix ? $"queries prefixed \"{p.TrimEnd()}\" (its card's usage)" : "queries without the card's prefix"));
    }

    private static string Name(PretrainedModel model) => $"{model.Name} (frozen, {model.Pooling.ToString().ToLowerInvariant()} pooling)";

    private static BenchRow NotImported(string task, PretrainedModel model) =>
        new(task, model.Id, Name(model), "pretrained transformer", new Dictionary<string, double>(), 0, 0, double.NaN, double.NaN, -1,
            $"not imported: data set {model.Data.Id} is not in the cache (lineage data fetch {model.Data.Id})");
}
