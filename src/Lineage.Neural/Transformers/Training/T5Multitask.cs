// The T5 multitask recipe: load the four real text-to-text tasks, train one SentencePiece vocabulary on them, train
// one T5 (span corruption, then the tasks in turns), generate answers and score them. The tour's experiment
// (transformers.t5) and the CLI (lineage t5 train/eval) both call it; neither holds a training loop of its own.
using System.Globalization;
using Lineage.Data.Catalog;
using Lineage.Data.Corpora;
using Lineage.Data.Labelled;
using Lineage.Data.Lexicons;
using Lineage.Neural.Core.Training;
using Lineage.Text.Determinism;
using Lineage.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers.Training;

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

/// <summary>The steps of the T5 multitask recipe.</summary>
public static class T5Multitask
{
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
