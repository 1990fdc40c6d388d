// T5's central idea, measured: one encoder-decoder, one vocabulary and one loss for several unrelated real tasks, each
// selected only by the words its input starts with. Grapheme-to-phoneme (CMUdict), part-of-speech tagging (Brown) and
// spam classification (SpamAssassin) are mixed in every batch; the held-out accuracy of each task is measured by
// generating the answer as text.
using System.Globalization;
using System.Text.Json;
using Lineage.Data.Catalog;
using Lineage.Data.Corpora;
using Lineage.Data.Labelled;
using Lineage.Data.Lexicons;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Transformers;
using Lineage.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Experiments.Transformers;

/// <summary>What the T5 multitask experiment trains with; part of the model-cache key.</summary>
/// <param name="Model">T5 size (its vocabulary size is the SentencePiece model's).</param>
/// <param name="Vocabulary">SentencePiece pieces, specials and sentinels included.</param>
/// <param name="Batch">Examples per step, all of one task (the tasks take turns, <paramref name="Turns"/>).</param>
/// <param name="Steps">Training steps.</param>
/// <param name="LearningRate">Adam's peak step size (100 warm-up steps, then a cosine decay).</param>
/// <param name="MaxInput">Input tokens kept (longer inputs are cut, keeping the final &lt;/s&gt;).</param>
/// <param name="MaxTarget">Target tokens kept.</param>
/// <param name="Evaluated">Held-out examples generated per task.</param>
/// <param name="Seed">Seeds initialisation, batches and the tokenizer trainer.</param>
/// <param name="Turns">The task of each step, in a repeating cycle of task indices (pronounce 0, tag 1, classify 2,
/// translate 3): a mixing rate per task, as T5 §3.5.2 studies; the default gives tagging, the task that needs most steps,
/// every other step, pronunciation one in four, classification and translation one in eight each.</param>
/// <param name="PretrainSteps">Span-corruption steps before the tasks (0: none), each with its own warm-up and cosine
/// (<see cref="StepTrainingOptions.StageStart"/>); <paramref name="Steps"/> task steps follow.</param>
/// <param name="PretrainLength">Tokens per span-corruption window before corruption.</param>
/// <param name="Sentinels">Sentinel pieces in the vocabulary (&lt;extra_id_0&gt; …), enough for a window's spans.</param>
public sealed record T5MultitaskSettings(T5Config Model, int Vocabulary, int Batch, int Steps, double LearningRate, int MaxInput, int MaxTarget, int Evaluated, int Seed,
    string Turns = "0,1,3,1,2,1,0,1", int PretrainSteps = 0, int PretrainLength = 48, int Sentinels = 0)
{
    /// <summary>The task index of task step <paramref name="step"/> (counted from the first step after pre-training).</summary>
    public int TaskOf(long step)
    {
        var turns = Turns.Split(',');
        return int.Parse(turns[step % turns.Length], CultureInfo.InvariantCulture);
    }

    /// <summary>The real run.</summary>
    public static T5MultitaskSettings Default(int seed) =>
        new(new T5Config(VocabSize: 0, Layers: 2, Heads: 4, Dim: 96, Hidden: 256, Dropout: 0, Buckets: 32, MaxDistance: 64),
            Vocabulary: 3000, Batch: 32, Steps: 3600, LearningRate: 2e-3, MaxInput: 40, MaxTarget: 24, Evaluated: 300, Seed: seed,
            PretrainSteps: 400, Sentinels: 8);

    /// <summary>Smoke test.</summary>
    public static T5MultitaskSettings Quick(int seed) =>
        Default(seed) with { Model = new T5Config(0, Layers: 1, Heads: 2, Dim: 64, Hidden: 128, Dropout: 0, Buckets: 16, MaxDistance: 32), Steps = 60, Evaluated = 30, PretrainSteps = 20 };
}

/// <summary>How well one task's outputs match.</summary>
/// <param name="Metrics">Named measures ("word_accuracy", "phoneme_error_rate", "token_accuracy", "accuracy", …).</param>
/// <param name="Accuracy">The task's main accuracy.</param>
/// <param name="Headline">The scores in words, for a table.</param>
/// <param name="Baseline">A baseline in words, or "—".</param>
/// <param name="BaselineValue">The baseline's accuracy (0 when none).</param>
public sealed record TaskScore(IReadOnlyDictionary<string, double> Metrics, double Accuracy, string Headline, string Baseline, double BaselineValue);

/// <summary>T5 text-to-text multitask: one model, several real tasks chosen by a prefix, per-task held-out accuracy.</summary>
[ThreadCap(1, ThreadCapAttribute.SmallMatrices)]
public sealed class T5MultitaskExperiment : IExperiment
{
    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "transformers.t5",
        Family: Family.Transformers,
        Title: "T5: span corruption, then one encoder-decoder on four real tasks chosen by the first words of the input",
        Summary: "A small T5 with a SentencePiece vocabulary pre-trained by span corruption on the tasks' text, then trained on " +
                 "pronunciation (CMUdict), part-of-speech tagging (Brown), spam classification (SpamAssassin) and English→German " +
                 "translation (LibreOffice help) as text to text, the tasks taking turns; held-out score of each task from generated text.",
        Paper: Papers.Raffel2020,
        Budget: TimeSpan.FromMinutes(5),          // fresh-clone tour 2026-12-05: 294 s
        QuickBudget: TimeSpan.FromSeconds(12));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Quick ? T5MultitaskSettings.Quick(context.Seed) : T5MultitaskSettings.Default(context.Seed);
        var specs = new[] { DataCatalog.CmuDict, DataCatalog.Brown, DataCatalog.SpamAssassin, DataCatalog.LibreOfficeHelpEnglish, DataCatalog.LibreOfficeHelpGerman };
        var tasks = LoadTasks(context.Require);
        var result = context.Result();
        var cache = context.Models.Entry(context.Info.Id, settings, specs.Select(s => context.Data.Check(s).Manifest!));

        // The vocabulary: trained by SentencePiece's own trainer on a sample of every task's inputs and targets.
        var spm = cache.CanReuse
            ? SentencePiece.Load(cache.Path(SentencePiece.FileName))
            : TrainVocabulary(tasks, context.OutputFile("vocabulary"), settings.Vocabulary, settings.Seed, context.Cancellation, settings.Sentinels);
        var config = settings.Model with { VocabSize = spm.VocabSize };
        var span = settings.PretrainSteps > 0 ? SpanText.Of(spm, tasks, settings) : null;
        Seeding.Seed(settings.Seed);
        using var t5 = new T5(config);

        (var history, result.Model) = cache.LoadOrTrain(t5, () =>
        {
            using var bar = context.Progress.Start("T5: span corruption, then four text-to-text tasks", settings.PretrainSteps + settings.Steps);
            var progress = new SyncProgress<StepReport>(r => bar.Report(r.Step, string.Create(CultureInfo.InvariantCulture,
                $"{(r.Step <= settings.PretrainSteps ? "span corruption" : "tasks")}: step {r.Step}, loss {r.Loss:0.000}")));
            return Train(t5, spm, tasks, settings, Options(settings, context.OutputFile("checkpoint.bin")), progress, JsonSerializer.Serialize(config), context.Cancellation, span);
        }, dir => File.Copy(spm.Path, Path.Combine(dir, SentencePiece.FileName)));   // the vocabulary the weights belong to
        if (result.Model == ModelOrigin.Reused) context.Progress.Log($"{context.Info.Id}: reusing the trained T5 {cache.Key}");

        // The trained model as a Hugging Face folder: config.json, model.safetensors and the tokenizer (spiece.model).
        string folder = context.OutputFile("model");
        T5Pretrained.Save(folder, t5);
        Data.AtomicFile.WriteAllBytes(Path.Combine(folder, SentencePiece.FileName), File.ReadAllBytes(spm.Path));

        // Held-out accuracy of every task, from generated text.
        var rows = new List<IReadOnlyList<string>>();
        var examples = new List<IReadOnlyList<string>>();
        foreach (var task in tasks)
        {
            var test = Sample(task.Test, settings.Evaluated, settings.Seed);
            var outputs = Generate(t5, spm, test, settings);
            var score = Score(task.Name, test, outputs, CommonTarget(task), task.Train);
            foreach (var (name, value) in score.Metrics) result.Metric($"{task.Name}_{name}", value);
            rows.Add([task.Prefix, task.Source, task.Train.Count.ToString("N0", CultureInfo.InvariantCulture),
                test.Count.ToString(CultureInfo.InvariantCulture), score.Headline, score.Baseline]);
            for (int i = 0; i < 2 && i < test.Count; i++) examples.Add([Shorten(test[i].Input, 90), test[i].Target, outputs[i]]);
            AddClaims(result, task.Name, score, context.Quick);
        }

        long parameters = t5.parameters().Sum(p => p.numel());
        result.Metric("parameters", parameters).Metric("steps", history.Losses.Count).Metric("vocabulary", spm.VocabSize)
              .Metric("train_seconds", history.TrainSeconds);
        result.Table("One T5 model, four tasks: held-out score of the generated text", ["prefix", "data", "training pairs", "held out (scored)", "T5", "baselines"], rows);
        result.Table("Examples (held out): input, expected, generated", ["input", "expected", "T5 wrote"], examples);
        var losses = history.Losses;
        if (losses.Count > 1)
        {
            Plots.Lines(context.OutputFile("loss.png"), "T5 multitask training loss (all tasks mixed)", "step", "cross-entropy (nats/token)",
                new Series("training loss (mean of 25 steps)", [.. Enumerable.Range(0, losses.Count / 25).Select(i => (double)(i * 25 + 25))],
                    [.. Enumerable.Range(0, losses.Count / 25).Select(i => losses.Skip(i * 25).Take(25).Average())]));
            result.Plot(context.RelativeOutput("loss.png"), $"Training loss of the one model: span corruption for {settings.PretrainSteps} steps, then the tasks in turns");
        }

        if (span is not null) ReportSpanCorruption(context, result, settings, span, history);

        result.Note($"{parameters:N0} parameters, a {spm.VocabSize}-piece unigram SentencePiece vocabulary ({spm.Sentinels} sentinels) trained with spm_train " +
                    $"on the tasks' text. First {settings.PretrainSteps} steps of span corruption (T5 §3.1.4: windows of {settings.PretrainLength} tokens of the " +
                    "tasks' unlabelled text, 15 % dropped in spans of mean length 3, each span a sentinel), then " +
                    $"{settings.Steps} steps of {settings.Batch} examples, one task per step in the turns {settings.Turns} (tagging every other step, " +
                    $"pronunciation one in four, classification and translation one in eight), each stage with its own warm-up and cosine decay. Inputs are cut at {settings.MaxInput} tokens and targets at " +
                    $"{settings.MaxTarget}. Every answer is generated greedily as text and compared with the reference: nothing in the model knows " +
                    "there are four tasks but the prefix. Translation is scored with chrF (character n-gram F-score, β = 2, sacreBLEU's definition).");
        return result;
    }

    /// <summary>The step options of the run: span corruption then tasks, each stage its own warm-up (100 steps) and cosine, checkpoints every 250 steps.</summary>
    public static StepTrainingOptions Options(T5MultitaskSettings settings, string? checkpoint, bool resume = false)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int total = settings.PretrainSteps + settings.Steps;
        return new StepTrainingOptions(total, settings.LearningRate, GradClip: 1.0,
            EvaluateEvery: settings.PretrainSteps > 0 ? Math.Min(100, settings.PretrainSteps) : 0,
            CheckpointPath: checkpoint, CheckpointEvery: Math.Min(250, total), Resume: resume,
            WarmupSteps: Math.Min(100, Math.Max(1, (settings.PretrainSteps > 0 ? Math.Min(settings.PretrainSteps, settings.Steps) : settings.Steps) / 4)),
            CosineDecay: true, StageStart: settings.PretrainSteps);
    }

    // The span-corruption stage: held-out loss over the whole run (the tasks afterwards make it rise again), against a
    // unigram model of the targets, which ignores the input.
    private static void ReportSpanCorruption(ExperimentContext context, ExperimentResult result, T5MultitaskSettings settings, SpanText span, StepHistory history)
    {
        double unigram = T5Pretraining.UnigramLoss(span.Train, span.HeldOutWindows, settings.PretrainLength, span.SentinelIds, settings.Seed, span.VocabSize);
        var points = history.Evaluations;
        if (points.Count == 0) return;
        var afterPretraining = points.Where(p => p.Step <= settings.PretrainSteps).DefaultIfEmpty(points[0]).Last();
        result.Metric("span_unigram_loss", unigram).Metric("span_loss_after_pretraining", afterPretraining.Value).Metric("span_loss_final", points[^1].Value);
        Plots.Lines(context.OutputFile("span-loss.png"), "Span corruption: held-out loss per target token", "step", "cross-entropy (nats/token)",
            new Series("T5 (span corruption, then the tasks)", [.. points.Select(p => (double)p.Step)], [.. points.Select(p => p.Value)]),
            new Series("unigram model of the targets", [.. points.Select(p => (double)p.Step)], [.. points.Select(_ => unigram)]));
        result.Plot(context.RelativeOutput("span-loss.png"),
            $"Held-out span-corruption loss on {span.HeldOutWindows.Count} fixed windows: falling during the {settings.PretrainSteps} pre-training steps, then drifting once the tasks take over");
        result.Table("Span corruption (held-out windows of the tasks' text, nats per target token)", ["model", "loss"],
        [
            ["unigram model of the targets (ignores the input)", unigram.ToString("0.000", CultureInfo.InvariantCulture)],
            [$"T5 after {afterPretraining.Step} span-corruption steps", afterPretraining.Value.ToString("0.000", CultureInfo.InvariantCulture)],
            [$"T5 after the {settings.Steps} task steps", points[^1].Value.ToString("0.000", CultureInfo.InvariantCulture)],
        ]);
        if (context.Quick)
            result.ClaimAtLeast("span corruption: the held-out loss is measured (quick mode: only that it runs)", afterPretraining.Value, 0);
        else
            result.ClaimAtMost("span corruption: after pre-training, the held-out loss per target token is half a nat below a unigram model's (the spans are filled from their context)",
                afterPretraining.Value, unigram - 0.5);
    }

    /// <summary>The four tasks: pronounce (CMUdict), tag (Brown), classify (SpamAssassin bodies, first 24 words), translate (LibreOffice help EN→DE).</summary>
    /// <param name="require">The local folder of a data set, fetching it if needed.</param>
    public static IReadOnlyList<TextTask> LoadTasks(Func<DatasetSpec, string> require)
    {
        ArgumentNullException.ThrowIfNull(require);
        return
        [
            TextToTextTasks.Pronounce(CmuDict.Read(require(DataCatalog.CmuDict))),
            TextToTextTasks.Tag(BrownCorpus.Read(require(DataCatalog.Brown))),
            TextToTextTasks.Classify(SpamAssassinReader.Read(require(DataCatalog.SpamAssassin), bodyOnly: true), words: 24),
            TextToTextTasks.Translate(LibreOfficeHelp.ReadPairs(require(DataCatalog.LibreOfficeHelpEnglish), require(DataCatalog.LibreOfficeHelpGerman))),
        ];
    }

    /// <summary>A SentencePiece vocabulary of <paramref name="size"/> pieces trained on a seeded sample of every task's inputs and targets, written to <paramref name="folder"/>.</summary>
    public static SentencePiece TrainVocabulary(IReadOnlyList<TextTask> tasks, string folder, int size, int seed, CancellationToken cancellation, int sentinels = 0) =>
        SentencePiece.Train(VocabularyText(tasks, seed), folder, size, sentinels, seed, cancellation);

    /// <summary>
    /// Trains <paramref name="t5"/> with <see cref="StepTrainer"/>: <see cref="T5MultitaskSettings.PretrainSteps"/> steps of
    /// span corruption on the tasks' text (<see cref="SpanText"/>), then the tasks mixed by <see cref="T5MultitaskSettings.Turns"/>
    /// (one task per step). Batches depend only on the seed and the step, so a resumed run continues exactly. With
    /// pre-training, the evaluation is the held-out span-corruption loss.
    /// </summary>
    /// <param name="t5">The model, trained in place.</param>
    /// <param name="spm">Its vocabulary (with enough sentinels when pre-training).</param>
    /// <param name="tasks">The tasks, in the order of the turns' indices.</param>
    /// <param name="settings">Steps, batch, turns and lengths.</param>
    /// <param name="options">The step options (<see cref="Options"/>).</param>
    /// <param name="progress">Step reports.</param>
    /// <param name="configuration">Saved in checkpoints, so a resume with another model fails clearly.</param>
    /// <param name="cancellation">Stops after the current step, keeping the last checkpoint.</param>
    /// <param name="span">The span-corruption text when already built (else built here when pre-training).</param>
    /// <exception cref="ArgumentException">Pre-training with a vocabulary that has too few sentinels for a window.</exception>
    public static StepHistory Train(T5 t5, SentencePiece spm, IReadOnlyList<TextTask> tasks, T5MultitaskSettings settings, StepTrainingOptions options,
        IProgress<StepReport>? progress, string? configuration, CancellationToken cancellation, SpanText? span = null)
    {
        ArgumentNullException.ThrowIfNull(t5);
        ArgumentNullException.ThrowIfNull(spm);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        var encoded = tasks.Select(t => t.Train.Select(p => Encode(spm, p, settings)).ToArray()).ToArray();
        if (settings.PretrainSteps == 0)
            return StepTrainer.Train(t5, step => BatchLoss(t5, encoded, settings, step), options, null, progress, configuration, cancellation);
        if (spm.Sentinels < T5Pretraining.SentinelsFor(settings.PretrainLength))
            throw new ArgumentException($"Span corruption of {settings.PretrainLength}-token windows needs {T5Pretraining.SentinelsFor(settings.PretrainLength)} sentinels; the vocabulary has {spm.Sentinels}.");
        span ??= SpanText.Of(spm, tasks, settings);
        return StepTrainer.Train(t5, step =>
        {
            if (step >= settings.PretrainSteps) return BatchLoss(t5, encoded, settings, step);
            var rng = new Random(StableSeed.Of(settings.Seed, step));
            var windows = Enumerable.Range(0, settings.Batch).Select(_ => T5Pretraining.Example(span.Train, settings.PretrainLength, span.SentinelIds, rng)).ToList();
            var (x, mask, y) = T5Pretraining.Stack(windows);
            return t5.Loss(x, mask, y, SentencePiece.PadId);
        }, options, () => T5Pretraining.Evaluate(t5, span.HeldOutWindows), progress, configuration, cancellation);
    }

    /// <summary>Scores the generated <paramref name="outputs"/> of one task against its held-out pairs.</summary>
    /// <param name="task">"pronounce" (exact words, phoneme error rate), "tag" (tag error rate, tags in place) or anything else (exact labels).</param>
    /// <param name="test">The held-out pairs.</param>
    /// <param name="outputs">What the model wrote for each.</param>
    /// <param name="commonTarget">The commonest training target: the answer of a model that ignores its input, scored as the baseline.</param>
    /// <param name="train">The task's training pairs: for "translate", the closest training phrase's translation is scored as a second baseline.</param>
    public static TaskScore Score(string task, List<TextPair> test, List<string> outputs, string commonTarget, IReadOnlyList<TextPair>? train = null)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(outputs);
        // Token error rate (edits / reference tokens), as word error rate is for speech: robust to one missing token.
        double ErrorRate(Func<int, string> written) =>
            (double)test.Select((p, i) => TextScores.EditDistance(TextScores.Tokens(written(i)), TextScores.Tokens(p.Target))).Sum()
            / test.Sum(p => TextScores.Tokens(p.Target).Length);
        double baseline = ErrorRate(_ => commonTarget);
        switch (task)
        {
            case "pronounce":
            {
                double acc = (double)test.Zip(outputs).Count(p => TextScores.Tokens(p.First.Target).SequenceEqual(TextScores.Tokens(p.Second))) / test.Count;
                double per = ErrorRate(i => outputs[i]);
                return new(new Dictionary<string, double> { ["word_accuracy"] = acc, ["phoneme_error_rate"] = per, ["baseline_phoneme_error_rate"] = baseline }, acc,
                    $"phoneme error rate {TextScores.Percent(per)}; words exactly right {TextScores.Percent(acc)}",
                    $"phoneme error rate {TextScores.Percent(baseline)} (always \"{commonTarget}\")", baseline);
            }
            case "tag":
            {
                int correct = 0, total = 0;
                for (int i = 0; i < test.Count; i++)
                {
                    var (c, t) = TextScores.Positional(TextScores.Tokens(outputs[i]), TextScores.Tokens(test[i].Target));
                    correct += c;
                    total += t;
                }

                double positional = (double)correct / total, ter = ErrorRate(i => outputs[i]);
                return new(new Dictionary<string, double> { ["tag_error_rate"] = ter, ["token_accuracy"] = positional, ["baseline_tag_error_rate"] = baseline }, positional,
                    $"tag error rate {TextScores.Percent(ter)}; tags right in place {TextScores.Percent(positional)}",
                    $"tag error rate {TextScores.Percent(baseline)} (always \"{commonTarget}\")", baseline);
            }
            case "translate":
            {
                var references = test.Select(p => p.Target).ToList();
                double chrf = TextScores.ChrF(outputs, references);
                double exact = (double)test.Zip(outputs).Count(p => p.First.Target == p.Second.Trim()) / test.Count;
                double copy = TextScores.ChrF(test.Select(p => Unprefixed(p.Input)).ToList(), references);
                double common = TextScores.ChrF(test.Select(_ => commonTarget).ToList(), references);
                var metrics = new Dictionary<string, double> { ["chrf"] = chrf, ["exact_match"] = exact, ["common_chrf"] = common, ["copy_chrf"] = copy };
                string baselines = $"always \"{commonTarget}\": chrF {common:0.0}; copy the English: chrF {copy:0.0}";
                if (train is { Count: > 0 })
                {
                    var memory = new TranslationMemory(train);
                    double retrieved = TextScores.ChrF(test.Select(p => memory.Closest(Unprefixed(p.Input)).Target).ToList(), references);
                    metrics["memory_chrf"] = retrieved;
                    baselines += $"; the closest training phrase's German: chrF {retrieved:0.0}";
                }

                return new(metrics, exact, $"chrF {chrf:0.0}; exactly right {TextScores.Percent(exact)}", baselines, common);
            }
            default:
            {
                int correct = test.Zip(outputs).Count(p => p.First.Target == p.Second.Trim());
                double acc = (double)correct / test.Count;
                var majority = test.GroupBy(p => p.Target).Max(g => g.Count()) / (double)test.Count;
                return new(new Dictionary<string, double> { ["accuracy"] = acc, ["majority_baseline"] = majority }, acc,
                    $"labels right {TextScores.Percent(acc)}", $"majority label {TextScores.Percent(majority)}", majority);
            }
        }
    }

    private static void AddClaims(ExperimentResult result, string task, TaskScore score, bool quick)
    {
        if (quick)
        {
            result.ClaimAtLeast($"{task}: held-out accuracy is measured from generated text (quick mode: only that it runs)", score.Accuracy, 0);
            return;
        }

        switch (task)
        {
            case "pronounce":
                result.ClaimAtMost("pronounce: on unseen words the phoneme error rate is 10 points below that of ignoring the input (always the commonest pronunciation)",
                    score.Metrics["phoneme_error_rate"], score.BaselineValue - 0.10);
                break;
            case "tag":
                result.ClaimAtMost("tag: on held-out documents the tag error rate is 10 points below that of ignoring the input (always the commonest tag sequence)",
                    score.Metrics["tag_error_rate"], score.BaselineValue - 0.10);
                break;
            case "translate":
                // Measured, not wished for: at 450 translation steps (and at 3,000 translation-only steps, docs/transformers.md) the model
                // writes German-looking phrases but stays at or below copying the English; retrieval is far ahead.
                if (score.Metrics.TryGetValue("memory_chrf", out var memory))
                    result.ClaimAtLeast("translate: at this size and budget retrieval wins: the closest training phrase's German scores 20 chrF points above T5's translation",
                        memory - score.Metrics["chrf"], 20);
                break;
            default:
                result.ClaimAtLeast("classify: held-out accuracy beats always answering the majority label by 10 points", score.Accuracy, score.BaselineValue + 0.10);
                break;
        }
    }

    private static (long[] Input, long[] Target) Encode(SentencePiece spm, TextPair pair, T5MultitaskSettings s)
    {
        var input = Cut(spm.Encode(pair.Input), s.MaxInput);
        var target = Cut(spm.Encode(pair.Target), s.MaxTarget);
        return (input, target);
    }

    // Keeps the first max − 1 tokens and the final </s>.
    /// <summary>Token ids cut to <paramref name="max"/>: the first max − 1 and the final &lt;/s&gt;.</summary>
    public static long[] Cut(int[] ids, int max) =>
        ids.Length <= max ? [.. ids.Select(i => (long)i)] : [.. ids.Take(max - 1).Select(i => (long)i), SentencePiece.EosId];

    private static Tensor BatchLoss(T5 t5, (long[] Input, long[] Target)[][] tasks, T5MultitaskSettings s, long step)
    {
        // One task per step, in turns (Settings.Turns), so each batch is padded only to its own task's lengths (a word to pronounce is 5
        // tokens, an e-mail 30): the model is still one set of weights trained on every task.
        var rng = new Random(StableSeed.Of(s.Seed, step));
        var task = tasks[s.TaskOf(step - s.PretrainSteps)];
        var picked = Enumerable.Range(0, s.Batch).Select(_ => task[rng.Next(task.Length)]).ToArray();
        var (x, mask, y) = T5Pretraining.Stack(picked);
        return t5.Loss(x, mask, y, SentencePiece.PadId);
    }

    /// <summary>Greedy answers of <paramref name="t5"/> to the inputs of <paramref name="test"/>, in batches of 64.</summary>
    public static List<string> Generate(T5 t5, SentencePiece spm, IReadOnlyList<TextPair> test, T5MultitaskSettings s)
    {
        var outputs = new List<string>();
        foreach (var chunk in test.Chunk(64))
        {
            var inputs = chunk.Select(p => (IReadOnlyList<long>)Cut(spm.Encode(p.Input), s.MaxInput)).ToList();
            foreach (var ids in t5.GenerateBatch(inputs, s.MaxTarget, SentencePiece.PadId, SentencePiece.EosId, SentencePiece.PadId))
                outputs.Add(spm.Decode(ids));
        }

        return outputs;
    }

    private static IEnumerable<string> VocabularyText(IReadOnlyList<TextTask> tasks, int seed)
    {
        var rng = new Random(seed);
        foreach (var task in tasks)
        {
            foreach (var p in task.Train.OrderBy(_ => rng.Next()).Take(20_000))
            {
                yield return p.Input;
                yield return p.Target;
            }
        }
    }

    /// <summary>The commonest target of a task's training pairs (ties: the first in ordinal order).</summary>
    public static string CommonTarget(TextTask task) =>
        (task ?? throw new ArgumentNullException(nameof(task))).Train.GroupBy(p => p.Target).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;

    /// <summary>A seeded sample of <paramref name="count"/> pairs.</summary>
    public static List<TextPair> Sample(IReadOnlyList<TextPair> pairs, int count, int seed)
    {
        var rng = new Random(seed);
        return [.. pairs.OrderBy(_ => rng.Next()).Take(count)];
    }

    // The input without its task prefix ("translate English to German: Save" → "Save").
    private static string Unprefixed(string input)
    {
        int colon = input.IndexOf(": ", StringComparison.Ordinal);
        return colon < 0 ? input : input[(colon + 2)..];
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}

/// <summary>
/// The unlabelled text of the span-corruption stage: the tasks' own inputs without their prefixes (Brown sentences,
/// e-mail openings, English help phrases) and the German side of the translation pairs, as SentencePiece streams; the
/// training pairs' text for training, the held-out pairs' for the fixed held-out windows. Pronunciation inputs (spelled
/// letters) and the other tasks' targets (tags, phonemes, labels) are not text and are left out.
/// </summary>
/// <param name="Train">Training stream.</param>
/// <param name="HeldOut">Held-out stream.</param>
/// <param name="HeldOutWindows">Fixed span-corrupted held-out windows (<see cref="T5Pretraining.HeldOut"/>).</param>
/// <param name="SentinelIds">The vocabulary's sentinel ids.</param>
/// <param name="VocabSize">The vocabulary's size.</param>
public sealed record SpanText(int[] Train, int[] HeldOut, List<(long[] Input, long[] Target)> HeldOutWindows, long[] SentinelIds, int VocabSize)
{
    /// <summary>Builds the streams and held-out windows for <paramref name="settings"/>' window length and seed.</summary>
    /// <exception cref="ArgumentException">The vocabulary has too few sentinels for a window, or a stream is not longer than one.</exception>
    public static SpanText Of(SentencePiece spm, IReadOnlyList<TextTask> tasks, T5MultitaskSettings settings)
    {
        ArgumentNullException.ThrowIfNull(spm);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(settings);
        var sentinels = T5Pretraining.Sentinels(spm);
        if (sentinels.Length < T5Pretraining.SentinelsFor(settings.PretrainLength))
            throw new ArgumentException($"Span corruption of {settings.PretrainLength}-token windows needs {T5Pretraining.SentinelsFor(settings.PretrainLength)} sentinels; the vocabulary has {sentinels.Length}.");
        var train = T5Pretraining.Stream(spm, tasks.SelectMany(t => Lines(t, t.Train)));
        var held = T5Pretraining.Stream(spm, tasks.SelectMany(t => Lines(t, t.Test)));
        return new SpanText(train, held, T5Pretraining.HeldOut(held, settings.PretrainLength, sentinels, settings.Seed), sentinels, spm.VocabSize);
    }

    /// <summary>The text lines of a task's pairs: inputs without the prefix, and targets when they are text (translation).</summary>
    public static IEnumerable<string> Lines(TextTask task, IEnumerable<TextPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(pairs);
        if (task.Name == "pronounce") yield break;
        foreach (var p in pairs)
        {
            yield return p.Input.StartsWith(task.Prefix + " ", StringComparison.Ordinal) ? p.Input[(task.Prefix.Length + 1)..] : p.Input;
            if (task.Name == "translate") yield return p.Target;
        }
    }
}

/// <summary>
/// A translation memory, the oldest machine aid to translators: the training pair whose source is closest to a new
/// phrase, by the Jaccard similarity of their sets of lower-cased character trigrams (ties: the first pair).
/// </summary>
public sealed class TranslationMemory
{
    private readonly IReadOnlyList<TextPair> _pairs;
    private readonly int[][] _grams;

    /// <summary>Indexes the sources (inputs without their prefix) of <paramref name="pairs"/>.</summary>
    public TranslationMemory(IReadOnlyList<TextPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) throw new ArgumentException("A translation memory needs at least one pair.", nameof(pairs));
        _pairs = pairs;
        _grams = [.. pairs.Select(p => Trigrams(Source(p.Input)))];
    }

    /// <summary>The pair whose source is closest to <paramref name="phrase"/>.</summary>
    public TextPair Closest(string phrase)
    {
        var grams = Trigrams(phrase ?? throw new ArgumentNullException(nameof(phrase)));
        int best = 0;
        double bestScore = -1;
        for (int i = 0; i < _grams.Length; i++)
        {
            int common = Common(grams, _grams[i]);
            int union = grams.Length + _grams[i].Length - common;
            double score = union == 0 ? 1 : (double)common / union;
            if (score > bestScore) (best, bestScore) = (i, score);
        }

        return _pairs[best];
    }

    private static string Source(string input)
    {
        int colon = input.IndexOf(": ", StringComparison.Ordinal);
        return colon < 0 ? input : input[(colon + 2)..];
    }

    // Sorted distinct hashes of the lower-cased character trigrams (the whole text when shorter than three).
    private static int[] Trigrams(string text)
    {
        string t = text.ToLowerInvariant();
        if (t.Length < 3) return t.Length == 0 ? [] : [StringComparer.Ordinal.GetHashCode(t)];
        var set = new SortedSet<int>();
        for (int i = 0; i + 3 <= t.Length; i++) set.Add(StringComparer.Ordinal.GetHashCode(t.Substring(i, 3)));
        return [.. set];
    }

    private static int Common(int[] a, int[] b)
    {
        int i = 0, j = 0, n = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { n++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }

        return n;
    }
}
