// A small GPT as a byte-level language model of Brown, on the same batches, steps and held-out scoring as the sequence
// chapter's ByteNet and LSTM, so the three answers to "how does a model see the past" compare directly; then its
// generation with and without the KV cache.
using Lineage.Neural.Transformers.Training;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lineage.Data;
using Lineage.Data.Catalog;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Experiments.Sequence;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Sequence;
using Lineage.Neural.Transformers;
using TorchSharp;

namespace Lineage.Experiments.Transformers;

/// <summary>What the GPT byte-level experiment trains with; part of the model-cache key.</summary>
/// <param name="Model">GPT size.</param>
/// <param name="Batch">Windows per step.</param>
/// <param name="Length">Bytes per window.</param>
/// <param name="Steps">Training steps.</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="Seed">Seeds initialisation, batches and sampling.</param>
public sealed record GptByteSettings(GptConfig Model, int Batch, int Length, int Steps, double LearningRate, int Seed)
{
    /// <summary>The real run: ≈ 0.23 M parameters (ByteNet has 0.22 M, the LSTM 0.25 M), the sequence chapter's 150 steps of 16 × 192 bytes.</summary>
    public static GptByteSettings Default(int seed)
    {
        var bytenet = ByteLmSettings.Default(seed);
        return new(new GptConfig(VocabSize: 256, ContextLength: 256, Layers: 4, Heads: 4, Dim: 64, Dropout: 0),
            bytenet.Batch, bytenet.Length, bytenet.Steps, bytenet.LearningRate, seed);
    }

    /// <summary>Smoke test: 40 steps (about 5 s; after 10 a GPT is still near uniform bytes, unlike ByteNet and the LSTM).</summary>
    public static GptByteSettings Quick(int seed) => Default(seed) with { Steps = 40 };
}

/// <summary>GPT as a byte-level LM of Brown: held-out bits per byte beside ByteNet and the LSTM, a sample, KV-cache speed.</summary>
[ThreadCap(1, ThreadCapAttribute.SmallMatrices)]
public sealed class GptByteLmExperiment : IExperiment
{
    /// <summary>Cached generation must be at least this many times faster than re-reading the sequence.</summary>
    public const double CacheSpeedupBar = 1.5;

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "transformers.gpt",
        Family: Family.Transformers,
        Title: "A GPT reads every earlier byte at once: a byte-level LM of Brown, and its KV cache",
        Summary: "A 4-layer causal transformer trained on the same Brown batches as the sequence chapter's ByteNet and LSTM: held-out bits per byte, " +
                 "a sample, and generation with the KV cache against re-reading the whole sequence for every new byte.",
        Paper: Papers.Radford2019,
        Budget: TimeSpan.FromMinutes(0.5),        // 33 s under load 2026-12-06, 25 s in the fresh-clone tour of 2026-12-07
        QuickBudget: TimeSpan.FromSeconds(15));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Quick ? GptByteSettings.Quick(context.Seed) : GptByteSettings.Default(context.Seed);
        var dir = context.Require(DataCatalog.Brown);
        var manifest = context.Data.Check(DataCatalog.Brown).Manifest!;
        var corpus = ByteCorpus.FromBrown(dir);
        var result = context.Result();
        Seeding.Seed(settings.Seed);
        using var gpt = new Gpt(settings.Model);

        var history = Train(context, settings, corpus, manifest, gpt, result);
        int scored = Math.Min(ByteNetLanguageModelExperiment.Scored, settings.Length / 2);
        double bits = ByteLm.BitsPerByte(gpt, corpus.HeldOut, settings.Length, scored);
        double unigram = corpus.UnigramBits();
        long parameters = gpt.parameters().Sum(p => p.numel());
        result.Metric("bits_per_byte", bits)
              .Metric("unigram_bits", unigram)
              .Metric("parameters", parameters)
              .Metric("steps", history.Losses.Count)
              .Metric("bytes_per_second", (double)history.Losses.Count * settings.Batch * settings.Length / Math.Max(1e-9, history.TrainSeconds));

        // Generation: 200 bytes after "The ", with and without the cache; the same bytes either way.
        long[] prompt = [.. "The "u8.ToArray().Select(b => (long)b)];
        var sampling = new Sampling(Temperature: 0.8, Seed: settings.Seed);
        gpt.Generate(prompt, 8, sampling, useCache: true);                         // warm-up
        var clock = Stopwatch.StartNew();
        var cached = gpt.Generate(prompt, 200, sampling, useCache: true);
        double cachedSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var uncached = gpt.Generate(prompt, 200, sampling, useCache: false);
        double uncachedSeconds = clock.Elapsed.TotalSeconds;
        bool same = cached.SequenceEqual(uncached);
        result.Metric("generate_tokens_per_second_cached", 200 / cachedSeconds)
              .Metric("generate_tokens_per_second_uncached", 200 / uncachedSeconds)
              .Metric("kv_cache_speedup", uncachedSeconds / cachedSeconds);

        string against = context.Quick ? "7 bits (quick mode; uniform bytes: 8)" : "the context-free byte entropy of the corpus";
        result.ClaimAtMost($"the GPT beats {against} (held-out bits/byte)", bits, context.Quick ? 7 : unigram)
              .Claim("generation with the KV cache gives exactly the bytes of generation without it", same ? 1 : 0, "= 1 (identical)", same)
              .ClaimAtLeast($"the KV cache makes generating 200 bytes at least {CacheSpeedupBar}× faster (ratio)", uncachedSeconds / cachedSeconds, CacheSpeedupBar);

        string Text(long[] ids) => "The " + Encoding.UTF8.GetString([.. ids.Skip(prompt.Length).Select(i => (byte)i)]).Replace('\n', '⏎');
        result.Table("GPT byte-level LM on Brown (the sequence chapter's batches and scoring)",
            ["parameters", "steps", "bytes trained on", "held-out bits/byte", "context-free entropy", "generation, bytes/s: cached / uncached"],
            [[parameters.ToString("N0", CultureInfo.InvariantCulture), history.Losses.Count.ToString(CultureInfo.InvariantCulture),
              ((long)history.Losses.Count * settings.Batch * settings.Length).ToString("N0", CultureInfo.InvariantCulture),
              bits.ToString("0.000", CultureInfo.InvariantCulture), unigram.ToString("0.000", CultureInfo.InvariantCulture),
              string.Create(CultureInfo.InvariantCulture, $"{200 / cachedSeconds:N0} / {200 / uncachedSeconds:N0}")]]);
        result.Table("Sample (prompt \"The \", 200 bytes, temperature 0.8; ⏎ = new line)", ["text"], [[Text(cached)]]);
        if (history.Evaluations.Count > 0)
        {
            double perStep = history.TrainSeconds / Math.Max(1, history.Losses.Count);
            Plots.Lines(context.OutputFile("bits-per-byte.png"), "GPT byte-level LM on Brown: held-out bits per byte", "training seconds", "bits per byte",
                new Series("GPT", history.Evaluations.Select(e => e.Step * perStep).ToList(), history.Evaluations.Select(e => e.Value).ToList()));
            result.Plot(context.RelativeOutput("bits-per-byte.png"), "Held-out bits per byte against training time (a 16-window slice of the held-out set)");
        }

        result.Note("Same data, batches, steps and scoring as sequence.bytenet, so its ByteNet and LSTM rows compare with this one. " +
                    "The LSTM carries the past in one state vector, ByteNet sees a fixed window of 125 bytes through stacked dilated " +
                    $"convolutions, the GPT attends directly to each of the up to {settings.Model.ContextLength} earlier bytes. " +
                    "Without the cache every new byte re-reads the whole sequence (quadratic work over a generation); with it each step " +
                    "computes one position and reuses the keys and values of the others.");
        return result;
    }

    private static StepHistory Train(ExperimentContext context, GptByteSettings settings, ByteCorpus corpus, DataManifest manifest, Gpt gpt, ExperimentResult result)
    {
        var cache = context.Models.Entry(context.Info.Id, settings, [manifest]);
        (var history, result.Model) = cache.LoadOrTrain(gpt, () =>
        {
            var options = new StepTrainingOptions(settings.Steps, settings.LearningRate, GradClip: 1.0, EvaluateEvery: Math.Max(1, settings.Steps / 6),
                CheckpointPath: context.OutputFile("checkpoint.bin"), CheckpointEvery: 50);
            using var bar = context.Progress.Start("GPT language model on Brown", settings.Steps);
            var progress = new SyncProgress<StepReport>(r =>
                bar.Report(r.Step, string.Create(CultureInfo.InvariantCulture, $"step {r.Step}, {r.Loss / Math.Log(2):0.00} bits/byte")));
            return ByteLm.Train(gpt, corpus, settings.Batch, settings.Length, settings.Seed, options, progress,
                JsonSerializer.Serialize(settings.Model), context.Cancellation);
        });
        if (result.Model == ModelOrigin.Reused) context.Progress.Log($"{context.Info.Id}: reusing the trained GPT {cache.Key}");
        return history;
    }
}
