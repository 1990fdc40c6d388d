// CLIP and SigLIP on real image-caption pairs: Twemoji (+ Google's drawings) and Fashion-MNIST with class-name captions.
// Held-out retrieval in both directions, prompt classification on held-out emoji and on held-out sub-categories.
using System.Globalization;
using Lineage.Data;
using Lineage.Data.Catalog;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Experiments.Vision;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Multimodal;
using Lineage.Neural.Vision;
using Lineage.Text.Determinism;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Experiments.Multimodal;

/// <summary>What the CLIP/SigLIP experiment trains with; part of the model-cache key.</summary>
/// <param name="Vision">Image tower.</param>
/// <param name="TextDim">Text tower width.</param>
/// <param name="TextLayers">Text tower blocks.</param>
/// <param name="Context">Text context in tokens.</param>
/// <param name="EmbedDim">Shared-space width.</param>
/// <param name="Steps">Training steps on Twemoji.</param>
/// <param name="Batch">Pairs per step.</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="EmojiLimit">Use the first N emoji (0: all).</param>
/// <param name="FashionVision">Image tower for Fashion-MNIST.</param>
/// <param name="FashionSteps">Training steps on Fashion-MNIST.</param>
/// <param name="FashionTrain">Fashion-MNIST training images.</param>
/// <param name="FashionTest">Fashion-MNIST test images for prompt classification.</param>
/// <param name="Chunk">SigLIP loss chunk (captions per block).</param>
public sealed record ContrastiveSettings(VitConfig Vision, int TextDim, int TextLayers, int Context, int EmbedDim, int Steps, int Batch, double LearningRate,
    int EmojiLimit, VitConfig FashionVision, int FashionSteps, int FashionTrain, int FashionTest, int Chunk)
{
    /// <summary>Emoji image side after resizing.</summary>
    public int Side => Vision.ImageSize;

    /// <summary>The real run.</summary>
    public static ContrastiveSettings Default => new(
        new VitConfig(ImageSize: 32, Channels: 3, Patch: 4, Dim: 48, Layers: 2, Heads: 4, MlpRatio: 2, Classes: 0),
        TextDim: 48, TextLayers: 2, Context: 16, EmbedDim: 48, Steps: 500, Batch: 128, LearningRate: 2e-3, EmojiLimit: 0,
        new VitConfig(ImageSize: 28, Channels: 1, Patch: 7, Dim: 48, Layers: 2, Heads: 4, MlpRatio: 2, Classes: 0),
        FashionSteps: 300, FashionTrain: 20_000, FashionTest: 2_000, Chunk: 32);

    /// <summary>Smoke-test sizes.</summary>
    public static ContrastiveSettings Quick => new(
        new VitConfig(ImageSize: 16, Channels: 3, Patch: 4, Dim: 16, Layers: 1, Heads: 2, MlpRatio: 2, Classes: 0),
        TextDim: 16, TextLayers: 1, Context: 16, EmbedDim: 16, Steps: 10, Batch: 32, LearningRate: 2e-3, EmojiLimit: 150,
        new VitConfig(ImageSize: 28, Channels: 1, Patch: 7, Dim: 16, Layers: 1, Heads: 2, MlpRatio: 2, Classes: 0),
        FashionSteps: 10, FashionTrain: 2_000, FashionTest: 500, Chunk: 16);
}

/// <summary>CLIP's symmetric InfoNCE and SigLIP's pairwise sigmoid, side by side on the same data, towers and steps.</summary>
public sealed class ClipExperiment : IExperiment
{
    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "multimodal.clip",
        Family: Family.Multimodal,
        Title: "CLIP and SigLIP put emoji and their names in one space",
        Summary: "Dual encoders (ViT + text transformer) trained with InfoNCE (CLIP) and the pairwise sigmoid (SigLIP) on Twemoji + Google emoji and on Fashion-MNIST captions; held-out recall@1/@5 both ways and prompt classification.",
        Paper: Papers.Radford2021,
        Budget: TimeSpan.FromMinutes(1.75),       // full tour under load 2026-12-06: 76 s; fresh-clone tour 2026-12-07: 88 s
        QuickBudget: TimeSpan.FromSeconds(12));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var s = context.Quick ? ContrastiveSettings.Quick : ContrastiveSettings.Default;
        var result = context.Result();
        using var pairs = EmojiData.Load(context, s.Side, s.EmojiLimit, context.Seed);
        var tokenizer = CaptionTokenizer.Build(pairs.Train.Select(i => pairs.Emoji[i].Caption));
        result.Metric("emoji", pairs.Emoji.Count)
              .Metric("train_emoji", pairs.Train.Count)
              .Metric("held_out_emoji", pairs.HeldOut.Count)
              .Metric("unseen_subcategory_emoji", pairs.Unseen.Count)
              .Metric("vocabulary", tokenizer.VocabSize);

        var rows = new List<IReadOnlyList<string>>();
        var origins = new List<ModelOrigin>();
        var measured = new Dictionary<(ContrastiveObjective, string), double>();
        foreach (var objective in new[] { ContrastiveObjective.Clip, ContrastiveObjective.SigLip })
        {
            string name = objective == ContrastiveObjective.Clip ? "clip" : "siglip";
            var config = new DualEncoderConfig(s.Vision, new TextConfig(tokenizer.VocabSize, s.Context, s.TextDim, s.TextLayers, 4), s.EmbedDim, objective);
            Seeding.Seed(context.Seed);
            using var model = new DualEncoder(config);
            var cache = context.Models.Entry($"{Info.Id}.{name}", s, pairs.Manifests);
            (var history, var origin) = cache.LoadOrTrain(model, () =>
                TrainOnEmoji(context, model, pairs, tokenizer, s, $"{name.ToUpperInvariant()} on Twemoji", $"checkpoint-{name}.bin"));
            origins.Add(origin);
            // The model folder the CLI's search reads: weights with Hugging Face names, config, vocabulary.
            ModelFolders.SaveDualEncoder(Path.Combine(context.OutputDirectory, $"{name}-twemoji"), model, tokenizer);
            var m = EmojiEvaluation.Evaluate(model, pairs, tokenizer, s.Context);
            foreach (var (k, v) in m)
            {
                measured[(objective, k)] = v;
                result.Metric($"{name}_{k}", v);
            }

            result.Metric($"{name}_train_seconds", history.TrainSeconds)
                  .Metric($"{name}_final_loss", history.Losses.TakeLast(20).Average());
            rows.Add([name.ToUpperInvariant(), P(m["i2t_r1"]), P(m["i2t_r5"]), P(m["t2i_r1"]), P(m["t2i_r5"]), P(m["category_heldout"]), P(m["category_unseen_subcategory"])]);
            Curve(context, result, history, name);
        }

        result.Model = origins.All(o => o == ModelOrigin.Reused) ? ModelOrigin.Reused : ModelOrigin.Trained;
        int n = pairs.HeldOut.Count;
        result.Table($"Held-out Twemoji ({n} emoji, 2 drawings each): recall and prompt classification into {pairs.Categories.Count} categories",
            ["loss", "image→text R@1", "image→text R@5", "text→image R@1", "text→image R@5", "category (held-out emoji)", $"category (unseen sub-categories: {string.Join(", ", pairs.HeldOutSubcategories)})"], rows);

        double chance1 = 1.0 / n, chance5 = Math.Min(1, 5.0 / n);
        double majority = MajorityShare(pairs, pairs.Unseen);
        if (context.Quick)
        {
            // Quick mode is a smoke test: with 11 held-out emoji and 10 steps, "above chance" (5/11) passed or failed by luck.
            result.ClaimAtLeast("CLIP's image→text recall@5 on held-out emoji is measured (quick mode: only that it runs)", measured[(ContrastiveObjective.Clip, "i2t_r5")], 0);
        }
        else
        {
            // One default run (25 Nov 2026): R@5 0.29–0.37 on 182 held-out emoji (chance 0.027); category prompts on unseen
            // sub-categories 0.35 (CLIP) and 0.31 (SigLIP) against chance 0.11 — but below always answering the largest
            // category of that split (0.42), which is reported as a metric, not claimed.
            result.Metric("unseen_subcategory_majority_share", majority);
            foreach (var o in new[] { ContrastiveObjective.Clip, ContrastiveObjective.SigLip })
            {
                string label = o == ContrastiveObjective.Clip ? "CLIP" : "SigLIP";
                double chanceCategory = 1.0 / pairs.Categories.Count;
                result.ClaimAtLeast($"{label}: image→text recall@5 on held-out emoji ≥ 4× chance ({4 * chance5:0.000})", measured[(o, "i2t_r5")], 4 * chance5)
                      .ClaimAtLeast($"{label}: text→image recall@5 on held-out emoji ≥ 4× chance ({4 * chance5:0.000})", measured[(o, "t2i_r5")], 4 * chance5)
                      .ClaimAtLeast($"{label}: prompt classification of unseen sub-categories ≥ 2× chance (1/{pairs.Categories.Count})", measured[(o, "category_unseen_subcategory")], 2 * chanceCategory);
            }
        }

        Fashion(context, result, s);
        Gallery(context, result, pairs, tokenizer, s);
        result.Note($"Captions are \"name. category, sub-category\" in lower case (e.g. \"{pairs.Emoji[0].Caption}\"); prompts for the categories are the category names. " +
                    "Words the training captions never used become [UNK]; captions longer than the context are cut to their first words (then [EOS]).");
        return result;
    }

    private static string P(double v) => v.ToString("P1", CultureInfo.InvariantCulture);

    private static StepHistory TrainOnEmoji(ExperimentContext context, DualEncoder model, EmojiPairs pairs, CaptionTokenizer tokenizer, ContrastiveSettings s, string label, string checkpoint)
    {
        var captions = pairs.Emoji.Select(e => e.Caption).ToList();
        using var ids = tokenizer.EncodeBatch(captions, s.Context);
        using var bar = context.Progress.Start(label, s.Steps);
        var progress = new SyncProgress<StepReport>(r => bar.Report(r.Step, string.Create(CultureInfo.InvariantCulture, $"loss {r.Loss:0.000}")));
        return ContrastiveTrainer.Train(model, pairs.Batches(ids, s.Batch, context.Seed), new StepTrainingOptions(s.Steps, s.LearningRate, GradClip: 1.0, CheckpointPath: context.OutputFile(checkpoint), CheckpointEvery: 100),
        s.Chunk, progress, context.Cancellation);
    }

    /// <summary>
    /// The chapter's emoji dual encoder for <paramref name="objective"/> and its caption tokenizer, outside a tour: read
    /// from <paramref name="modelsRoot"/>'s cache under the chapter's own key (so a tour of the same build has already
    /// trained it) or trained now with the chapter's recipe (default settings, no progress bar, no checkpoints); also the
    /// training seconds and whether it was reused. The lineage benchmark's CLIP/SigLIP text-tower rows use it;
    /// <paramref name="settings"/> other than the default (tests) train a model a tour never caches.
    /// </summary>
    public static (DualEncoder Model, CaptionTokenizer Tokenizer, int Context, double TrainSeconds, bool Reused) Trained(ContrastiveObjective objective, DataStore data,
        string modelsRoot, int seed, ContrastiveSettings? settings = null, Action<string>? log = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var s = settings ?? ContrastiveSettings.Default;
        var twitter = data.Require(DataCatalog.Twemoji, log, cancellation);
        var google = data.Require(DataCatalog.GoogleEmoji, log, cancellation);
        var manifests = new[] { data.Check(DataCatalog.Twemoji).Manifest!, data.Check(DataCatalog.GoogleEmoji).Manifest! };
        using var pairs = EmojiPairs.Load(twitter, google, manifests, s.Side, s.EmojiLimit, seed, cancellation);
        var tokenizer = CaptionTokenizer.Build(pairs.Train.Select(i => pairs.Emoji[i].Caption));
        string name = objective == ContrastiveObjective.Clip ? "clip" : "siglip";
        var config = new DualEncoderConfig(s.Vision, new TextConfig(tokenizer.VocabSize, s.Context, s.TextDim, s.TextLayers, 4), s.EmbedDim, objective);
        Seeding.Seed(seed);
        var model = new DualEncoder(config);
        var cache = new ModelCache(modelsRoot).Entry($"multimodal.clip.{name}", s, pairs.Manifests);
        var (history, origin) = cache.LoadOrTrain(model, () =>
        {
            using var ids = tokenizer.EncodeBatch([.. pairs.Emoji.Select(e => e.Caption)], s.Context);
            return ContrastiveTrainer.Train(model, pairs.Batches(ids, s.Batch, seed), new StepTrainingOptions(s.Steps, s.LearningRate, GradClip: 1.0), s.Chunk, null, cancellation);
        });
        model.eval();
        return (model, tokenizer, s.Context, history.TrainSeconds, origin == ModelOrigin.Reused);
    }

    private static double MajorityShare(EmojiPairs pairs, IReadOnlyList<int> emoji) =>
        emoji.Count == 0 ? 0 : emoji.GroupBy(e => pairs.Emoji[e].Category).Max(g => g.Count()) / (double)emoji.Count;

    private static void Curve(ExperimentContext context, ExperimentResult result, StepHistory history, string name)
    {
        var steps = Enumerable.Range(1, history.Losses.Count).Select(i => (double)i).ToList();
        Plots.Lines(context.OutputFile($"{name}-loss.png"), $"{name.ToUpperInvariant()} on Twemoji: training loss", "step", "loss",
            new Series("loss (smoothed over 20 steps)", steps, Plots.Smooth(history.Losses, 20)));
        result.Plot(context.RelativeOutput($"{name}-loss.png"), $"{name.ToUpperInvariant()}: training loss per step");
    }

    /// <summary>Fashion-MNIST with captions "a photo of a {class}": prompt classification of test images, CLIP vs SigLIP.</summary>
    private void Fashion(ExperimentContext context, ExperimentResult result, ContrastiveSettings s)
    {
        using var data = FashionImages.Load(context, s.FashionTrain, s.FashionTest);
        var classes = FashionMnist.ClassNames.Select(c => $"a photo of a {c.ToLowerInvariant().Replace("/", " or ")}").ToList();
        var tokenizer = CaptionTokenizer.Build(classes);
        using var classIds = tokenizer.EncodeBatch(classes, s.Context);
        var labels = data.YTrain.data<long>().ToArray();
        var byClass = Enumerable.Range(0, 10).Select(c => labels.Select((l, i) => (l, i)).Where(p => p.l == c).Select(p => (long)p.i).ToArray()).ToArray();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var objective in new[] { ContrastiveObjective.Clip, ContrastiveObjective.SigLip })
        {
            string name = objective == ContrastiveObjective.Clip ? "clip" : "siglip";
            var config = new DualEncoderConfig(s.FashionVision, new TextConfig(tokenizer.VocabSize, s.Context, s.TextDim, 1, 4), s.EmbedDim, objective);
            Seeding.Seed(context.Seed);
            using var model = new DualEncoder(config);
            var cache = context.Models.Entry($"{Info.Id}.fashion-{name}", s, [data.Manifest]);
            (var history, _) = cache.LoadOrTrain(model, () =>
            {
                using var bar = context.Progress.Start($"{name.ToUpperInvariant()} on Fashion-MNIST captions", s.FashionSteps);
                var progress = new SyncProgress<StepReport>(r => bar.Report(r.Step, string.Create(CultureInfo.InvariantCulture, $"loss {r.Loss:0.000}")));
                return ContrastiveTrainer.Train(model, step =>
                {
                    // One image of every class per step: 10 distinct captions, so no caption is a false negative.
                    var random = new Random(StableSeed.Of(context.Seed, step, 7));
                    var rowsIdx = Enumerable.Range(0, 10).Select(c => byClass[c][random.Next(byClass[c].Length)]).ToArray();
                    return (data.XTrain.index_select(0, tensor(rowsIdx)), classIds);
                }, new StepTrainingOptions(s.FashionSteps, s.LearningRate, CheckpointPath: context.OutputFile($"checkpoint-fashion-{name}.bin"), CheckpointEvery: 100),
                s.Chunk, progress, context.Cancellation);
            });
            using var scope = NewDisposeScope();
            var predicted = Retrieval.Classify(Retrieval.EmbedImages(model, data.XTest), Retrieval.EmbedTexts(model, classIds));
            var truth = data.YTest.data<long>().ToArray();
            double accuracy = predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length;
            result.Metric($"{name}_fashion_prompt_accuracy", accuracy);
            rows.Add([name.ToUpperInvariant(), P(accuracy), history.Losses.TakeLast(20).Average().ToString("0.000", CultureInfo.InvariantCulture)]);
            if (!context.Quick)
                // One default run: 0.597 (CLIP), 0.554 (SigLIP) after 300 steps of 10 pairs; the bar is 5× chance.
                result.ClaimAtLeast($"{name.ToUpperInvariant()}: prompt classification (\"a photo of a …\") of Fashion-MNIST test images ≥ 5× chance (50%)", accuracy, 0.50);
        }

        result.Table($"Fashion-MNIST with class-name captions: zero-shot prompt classification of {s.FashionTest} test images", ["loss", "accuracy", "final loss"], rows);
    }

    /// <summary>Five held-out captions and the five images CLIP ranks first for each.</summary>
    private static void Gallery(ExperimentContext context, ExperimentResult result, EmojiPairs pairs, CaptionTokenizer tokenizer, ContrastiveSettings s)
    {
        var folder = Path.Combine(context.OutputDirectory, "clip-twemoji");
        using var model = ModelFolders.LoadDualEncoder(folder, out var tok);
        using var scope = NewDisposeScope();
        var (images, owner) = pairs.ImagesOf(pairs.HeldOut);
        var u = Retrieval.EmbedImages(model, ImageTensors.Normalize(images, 0.5f, 0.5f));
        var queries = pairs.HeldOut.Take(5).Select(i => pairs.Emoji[i].Name.ToLowerInvariant()).ToList();
        var v = Retrieval.EmbedTexts(model, tok.EncodeBatch(queries, s.Context));
        var top = v.matmul(u.t()).topk(5, 1).indexes.data<long>().ToArray();
        var figure = new List<FigureImage>();
        int side = s.Side, plane = 3 * side * side;
        var pixels = images.data<float>().ToArray();
        for (int q = 0; q < queries.Count; q++)
        {
            for (int j = 0; j < 5; j++)
            {
                int row = (int)top[q * 5 + j];
                string caption = j == 0 ? $"[{queries[q]}] → {pairs.Emoji[owner[row]].Name.ToLowerInvariant()}" : pairs.Emoji[owner[row]].Name.ToLowerInvariant();
                figure.Add(new FigureImage(pixels.AsSpan(row * plane, plane).ToArray(), 3, side, caption));
            }
        }

        ImageFigures.Grid(context.OutputFile("clip-search.png"), "CLIP text → image search over held-out emoji (query: first caption, top 5 per row)", figure, 5, 96);
        result.Plot(context.RelativeOutput("clip-search.png"), "Text search with the CLIP model: each row is a held-out emoji name as the query and the 5 best held-out images");
    }
}
