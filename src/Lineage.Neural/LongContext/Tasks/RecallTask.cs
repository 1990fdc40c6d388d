// Synthetic recall tasks: the small tests on which the long-context papers separate their mixers (Zoology's
// multi-query associative recall, Mamba's selective copying and induction heads), in one shape: a token sequence, a
// target at some positions, and a mask saying which positions are scored (the loss and the accuracy count only those).
// Paper:   Arora et al. 2023, "Zoology: Measuring and Improving Recall in Efficient Language Models", arXiv:2312.04927;
//          Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", arXiv:2312.00752, §4.1.
// Lineage: the chapter's mixers differ in what they can carry from one position to another: attention keeps every
//          token (its state grows with n), a recurrence or a convolution squeezes the past into a fixed state. These
//          tasks measure that directly, where a language model's loss mixes it with everything else.
// Shapes:  N tokens per example; every task here is causal-honest: no scored target appears in the input at or after
//          its own position, so a bidirectional mixer (Linformer) can be scored on them too without seeing the answer.
// How:     each task (Mqar.cs, SelectiveCopy.cs, InductionHeads.cs) draws an example from a Random and carries a
//          reference solver, an algorithm that reads the input and answers every scored position right; tests check it
//          scores 100 % and a uniform guess over the answer alphabet scores chance.
namespace Lineage.Neural.LongContext;

/// <summary>One example: inputs, targets and which positions are scored.</summary>
/// <param name="Inputs">Token ids, one per position.</param>
/// <param name="Targets">The wanted token at each scored position; <see cref="Ignore"/> elsewhere.</param>
/// <param name="Scored">Whether each position counts in the loss and the accuracy.</param>
public sealed record RecallExample(int[] Inputs, int[] Targets, bool[] Scored)
{
    /// <summary>The target of an unscored position (Zoology's −100).</summary>
    public const int Ignore = -100;

    /// <summary>Positions scored.</summary>
    public int ScoredCount => Scored.Count(s => s);
}

/// <summary>A synthetic recall task: draws examples and solves them.</summary>
public interface IRecallTask
{
    /// <summary>The CLI's name of the task (<c>mqar</c>, <c>selective-copy</c>, <c>induction</c>).</summary>
    string Id { get; }

    /// <summary>Tokens in the vocabulary (inputs and targets are below it).</summary>
    int VocabSize { get; }

    /// <summary>Tokens per example, N.</summary>
    int Length { get; }

    /// <summary>The targets' alphabet [From, To): a uniform guess from it scores <see cref="Chance"/>.</summary>
    (int From, int To) Answers { get; }

    /// <summary>Accuracy of a uniform guess over <see cref="Answers"/>.</summary>
    double Chance => 1.0 / (Answers.To - Answers.From);

    /// <summary>A new example drawn from <paramref name="rng"/>.</summary>
    RecallExample Generate(Random rng);

    /// <summary>The reference solver: a prediction for every position of <paramref name="inputs"/>, right at every scored one.</summary>
    int[] Solve(IReadOnlyList<int> inputs);
}

/// <summary>Example streams, accuracy and the chance tolerance shared by the recall tasks.</summary>
public static class RecallTasks
{
    /// <summary>The task ids, as the CLI takes them.</summary>
    public static readonly string[] Ids = ["mqar", "selective-copy", "induction"];

    /// <summary>
    /// <paramref name="count"/> examples of stream (<paramref name="seed"/>, <paramref name="stream"/>): the same numbers
    /// always give the same examples (training batches use the step as the stream, held-out sets a negative one).
    /// </summary>
    public static RecallExample[] Examples(IRecallTask task, int count, int seed, long stream)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, nameof(count));
        var rng = new Random(Lineage.Text.Determinism.StableSeed.Of(seed, stream, task.Length, task.VocabSize));
        return [.. Enumerable.Range(0, count).Select(_ => task.Generate(rng))];
    }

    /// <summary>Fraction of scored positions, over all <paramref name="examples"/>, where the prediction equals the target.</summary>
    /// <exception cref="ArgumentException">Predictions missing or of the wrong length.</exception>
    public static double Accuracy(IReadOnlyList<RecallExample> examples, IReadOnlyList<int[]> predictions)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(predictions);
        if (predictions.Count != examples.Count) throw new ArgumentException($"{predictions.Count} predictions for {examples.Count} examples.", nameof(predictions));
        long scored = 0, right = 0;
        for (int e = 0; e < examples.Count; e++)
        {
            var ex = examples[e];
            if (predictions[e].Length != ex.Inputs.Length)
                throw new ArgumentException($"Prediction {e} has {predictions[e].Length} positions, the example {ex.Inputs.Length}.", nameof(predictions));
            for (int t = 0; t < ex.Inputs.Length; t++)
            {
                if (!ex.Scored[t]) continue;
                scored++;
                if (predictions[e][t] == ex.Targets[t]) right++;
            }
        }

        return scored == 0 ? 0 : (double)right / scored;
    }

    /// <summary>
    /// How far a chance-level accuracy over <paramref name="scored"/> independent positions strays from
    /// <paramref name="chance"/>: <paramref name="sigmas"/> binomial standard deviations, √(p(1 − p)/n).
    /// </summary>
    public static double ChanceTolerance(double chance, long scored, double sigmas = 4) =>
        sigmas * Math.Sqrt(chance * (1 - chance) / Math.Max(1, scored));

    /// <summary>A uniform guess over the task's answer alphabet at every position: the chance baseline.</summary>
    public static int[] Guess(IRecallTask task, int length, Random rng)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(rng);
        var (from, to) = task.Answers;
        return [.. Enumerable.Range(0, length).Select(_ => rng.Next(from, to))];
    }

    /// <summary>
    /// The task <paramref name="id"/> at <paramref name="length"/> tokens: MQAR with <paramref name="kvPairs"/> pairs
    /// (0: Zoology's N/16) and <paramref name="vocab"/> tokens (0: the task's default), selective copying of
    /// <paramref name="copyTokens"/> tokens (0: the paper's 16),
    /// or induction heads (both with the Mamba paper's vocabulary of 16 unless <paramref name="vocab"/> says otherwise).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown task, or sizes it refuses (the message names the field).</exception>
    public static IRecallTask Create(string id, int length, int kvPairs = 0, int vocab = 0, int copyTokens = 0)
    {
        ArgumentNullException.ThrowIfNull(id);
        return id.Trim().ToLowerInvariant() switch
        {
            "mqar" => new Mqar(new MqarConfig(length, kvPairs > 0 ? kvPairs : Math.Max(1, length / 16), vocab > 0 ? vocab : MqarConfig.PaperVocab)),
            "selective-copy" => new SelectiveCopy(new SelectiveCopyConfig(length, copyTokens > 0 ? copyTokens : 16, vocab > 0 ? vocab : 16)),
            "induction" => new InductionHeads(new InductionHeadsConfig(length, vocab > 0 ? vocab : 16)),
            _ => throw new ArgumentException($"Unknown task '{id}'; known: {string.Join(", ", Ids)}."),
        };
    }

    /// <summary>Distinct values drawn uniformly from [from, to) (a partial Fisher–Yates shuffle).</summary>
    internal static int[] Distinct(Random rng, int from, int to, int count)
    {
        var pool = Enumerable.Range(from, to - from).ToArray();
        for (int i = 0; i < count; i++)
        {
            int j = rng.Next(i, pool.Length);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }

        return pool[..count];
    }
}
