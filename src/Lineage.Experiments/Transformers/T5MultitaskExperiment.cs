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
/// <param name="Turns">The task of each step, in a repeating cycle of task indices (pronounce 0, tag 1, classify 2): a
/// mixing rate per task, as T5 §3.5.2 studies; the default gives tagging, the task that needs most steps, every other step.</param>
public sealed record T5MultitaskSettings(T5Config Model, int Vocabulary, int Batch, int Steps, double LearningRate, int MaxInput, int MaxTarget, int Evaluated, int Seed,
    string Turns = "0,1,2,1")
{
    /// <summary>The task index of step <paramref name="step"/>.</summary>
    public int TaskOf(long step)
    {
        var turns = Turns.Split(',');
        return int.Parse(turns[step % turns.Length], CultureInfo.InvariantCulture);
    }

    /// <summary>The real run.</summary>
    public static T5MultitaskSettings Default(int seed) =>
        new(new T5Config(VocabSize: 0, Layers: 2, Heads: 4, Dim: 96, Hidden: 256, Dropout: 0, Buckets: 32, MaxDistance: 64),
            Vocabulary: 3000, Batch: 32, Steps: 3000, LearningRate: 2e-3, MaxInput: 40, MaxTarget: 24, Evaluated: 300, Seed: seed);

    /// <summary>Smoke test.</summary>
    public static T5MultitaskSettings Quick(int seed) =>
        Default(seed) with { Model = new T5Config(0, Layers: 1, Heads: 2, Dim: 64, Hidden: 128, Dropout: 0, Buckets: 16, MaxDistance: 32), Steps = 60, Evaluated = 30 };
}

/// <summary>How well one task's outputs match.</summary>
/// <param name="Metrics">Named measures ("word_accuracy", "phoneme_error_rate", "token_accuracy", "accuracy", …).</param>
/// <param name="Accuracy">The task's main accuracy.</param>
/// <param name="Headline">The scores in words, for a table.</param>
/// <param name="Baseline">A baseline in words, or "—".</param>
/// <param name="BaselineValue">The baseline's accuracy (0 when none).</param>
public sealed record TaskScore(IReadOnlyDictionary<string, double> Metrics, double Accuracy, string Headline, string Baseline, double BaselineValue);

/// <summary>T5 text-to-text multitask: one model, several real tasks chosen by a prefix, per-task held-out accuracy.</summary>
public sealed class T5MultitaskExperiment : IExperiment
{
    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "transformers.t5",
        Family: Family.Transformers,
        Title: "T5: one encoder-decoder, three real tasks, chosen by the first words of the input",
        Summary: "Pronunciation (CMUdict), part-of-speech tagging (Brown) and spam classification (SpamAssassin) as text to text, " +
                 "mixed in every batch of one small T5 with a SentencePiece vocabulary; held-out accuracy of each task from generated text.",
        Paper: Papers.Raffel2020,
        Budget: TimeSpan.FromMinutes(3.25),
        QuickBudget: TimeSpan.FromSeconds(12));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Quick ? T5MultitaskSettings.Quick(context.Seed) : T5MultitaskSettings.Default(context.Seed);
        var specs = new[] { DataCatalog.CmuDict, DataCatalog.Brown, DataCatalog.SpamAssassin };
        var tasks = LoadTasks(context.Require);
        var result = context.Result();
        using var oneThread = TorchThreads.AtMost(1);   // small matrices on a shared 2-core machine: one libtorch thread is faster
        var cache = context.Models.Entry(context.Info.Id, settings, specs.Select(s => context.Data.Check(s).Manifest!));

        // The vocabulary: trained by SentencePiece's own trainer on a sample of every task's inputs and targets.
        var spm = cache.CanReuse
            ? SentencePiece.Load(cache.Path(SentencePiece.FileName))
            : TrainVocabulary(tasks, context.OutputFile("vocabulary"), settings.Vocabulary, settings.Seed, context.Cancellation);
        var config = settings.Model with { VocabSize = spm.VocabSize };
        Seeding.Seed(settings.Seed);
        using var t5 = new T5(config);

        (var history, result.Model) = cache.LoadOrTrain(t5, () =>
        {
            var options = new StepTrainingOptions(settings.Steps, settings.LearningRate, GradClip: 1.0,
                CheckpointPath: context.OutputFile("checkpoint.bin"), CheckpointEvery: 250, WarmupSteps: 100, CosineDecay: true);
            using var bar = context.Progress.Start("T5 on three text-to-text tasks", settings.Steps);
            var progress = new SyncProgress<StepReport>(r => bar.Report(r.Step, string.Create(CultureInfo.InvariantCulture, $"step {r.Step}, loss {r.Loss:0.000}")));
            return Train(t5, spm, tasks, settings, options, progress, JsonSerializer.Serialize(config), context.Cancellation);
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
            var score = Score(task.Name, test, outputs, CommonTarget(task));
            foreach (var (name, value) in score.Metrics) result.Metric($"{task.Name}_{name}", value);
            rows.Add([task.Prefix, task.Source, task.Train.Count.ToString("N0", CultureInfo.InvariantCulture),
                test.Count.ToString(CultureInfo.InvariantCulture), score.Headline, score.Baseline]);
            for (int i = 0; i < 2 && i < test.Count; i++) examples.Add([Shorten(test[i].Input, 90), test[i].Target, outputs[i]]);
            AddClaims(result, task.Name, score, context.Quick);
        }

        long parameters = t5.parameters().Sum(p => p.numel());
        result.Metric("parameters", parameters).Metric("steps", history.Losses.Count).Metric("vocabulary", spm.VocabSize)
              .Metric("train_seconds", history.TrainSeconds);
        result.Table("One T5 model, three tasks: held-out accuracy of the generated text", ["prefix", "data", "training pairs", "held out (scored)", "T5", "baseline: ignore the input"], rows);
        result.Table("Examples (held out): input, expected, generated", ["input", "expected", "T5 wrote"], examples);
        var losses = history.Losses;
        if (losses.Count > 1)
        {
            Plots.Lines(context.OutputFile("loss.png"), "T5 multitask training loss (all tasks mixed)", "step", "cross-entropy (nats/token)",
                new Series("training loss (mean of 25 steps)", [.. Enumerable.Range(0, losses.Count / 25).Select(i => (double)(i * 25 + 25))],
                    [.. Enumerable.Range(0, losses.Count / 25).Select(i => losses.Skip(i * 25).Take(25).Average())]));
            result.Plot(context.RelativeOutput("loss.png"), "Training loss of the one model on the mixed tasks");
        }

        result.Note($"{parameters:N0} parameters, {history.Losses.Count} steps of {settings.Batch} examples (one task per step, in the turns {settings.Turns}: tagging every other step), " +
                    $"a {spm.VocabSize}-piece unigram SentencePiece vocabulary trained with spm_train on the tasks' text. Inputs are cut at " +
                    $"{settings.MaxInput} tokens and targets at {settings.MaxTarget}. Every answer is generated greedily as text and compared with " +
                    "the reference: nothing in the model knows there are three tasks but the prefix. T5 pre-trains with span corruption " +
                    "first (implemented and tested in SpanCorruption); this experiment trains on the tasks directly, which T5 §3.7 also reports.");
        return result;
    }

    /// <summary>The three tasks: pronounce (CMUdict), tag (Brown), classify (SpamAssassin bodies, first 24 words).</summary>
    /// <param name="require">The local folder of a data set, fetching it if needed.</param>
    public static IReadOnlyList<TextTask> LoadTasks(Func<DatasetSpec, string> require)
    {
        ArgumentNullException.ThrowIfNull(require);
        return
        [
            TextToTextTasks.Pronounce(CmuDict.Read(require(DataCatalog.CmuDict))),
            TextToTextTasks.Tag(BrownCorpus.Read(require(DataCatalog.Brown))),
            TextToTextTasks.Classify(SpamAssassinReader.Read(require(DataCatalog.SpamAssassin), bodyOnly: true), words: 24),
        ];
    }

    /// <summary>A SentencePiece vocabulary of <paramref name="size"/> pieces trained on a seeded sample of every task's inputs and targets, written to <paramref name="folder"/>.</summary>
    public static SentencePiece TrainVocabulary(IReadOnlyList<TextTask> tasks, string folder, int size, int seed, CancellationToken cancellation) =>
        SentencePiece.Train(VocabularyText(tasks, seed), folder, size, sentinels: 0, seed, cancellation);

    /// <summary>
    /// Trains <paramref name="t5"/> on the tasks mixed by <see cref="T5MultitaskSettings.Turns"/> (one task per step), with
    /// <see cref="StepTrainer"/>: batches depend only on the seed and the step, so a resumed run continues exactly.
    /// </summary>
    public static StepHistory Train(T5 t5, SentencePiece spm, IReadOnlyList<TextTask> tasks, T5MultitaskSettings settings, StepTrainingOptions options,
        IProgress<StepReport>? progress, string? configuration, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(t5);
        ArgumentNullException.ThrowIfNull(spm);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(settings);
        var encoded = tasks.Select(t => t.Train.Select(p => Encode(spm, p, settings)).ToArray()).ToArray();
        return StepTrainer.Train(t5, step => BatchLoss(t5, encoded, settings, step), options, null, progress, configuration, cancellation);
    }

    /// <summary>Scores the generated <paramref name="outputs"/> of one task against its held-out pairs.</summary>
    /// <param name="task">"pronounce" (exact words, phoneme error rate), "tag" (tag error rate, tags in place) or anything else (exact labels).</param>
    /// <param name="test">The held-out pairs.</param>
    /// <param name="outputs">What the model wrote for each.</param>
    /// <param name="commonTarget">The commonest training target: the answer of a model that ignores its input, scored as the baseline.</param>
    public static TaskScore Score(string task, List<TextPair> test, List<string> outputs, string commonTarget)
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
        var task = tasks[s.TaskOf(step)];
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

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
