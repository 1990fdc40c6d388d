// Induction heads: a trigger token appears once in random text; at the end it appears again; emit what followed it.
// Paper:   Olsson et al. 2022, "In-context Learning and Induction Heads" (the mechanism); the task as in Gu & Dao 2023,
//          "Mamba", arXiv:2312.00752, §4.1.2, table 2 (trained at N = 256, vocabulary 16, 2 layers) and HazyResearch/
//          safari's induction-head generator, which the Mamba and H3 papers used.
// Lineage: the simplest associative recall: one key (the trigger) and one value (the token after it). Attention solves it
//          with two heads in two layers (copy the previous token into each position, then look up the position whose
//          previous token is the trigger); a recurrence must notice the trigger and keep the next token.
// Shapes:  N tokens per example, V vocabulary; the trigger is V − 1, every other token is uniform from [0, V − 1).
// How:     the trigger is written at a uniform position p in [0, N − 3], so the token after it (the answer) is at
//          p + 1 ≤ N − 2; the last position holds the trigger again and is the only scored one, its target the answer.
// Deviations: none known; the Mamba paper's extrapolation test (evaluation at lengths up to 2²⁰) is left to the caller,
//          which can draw examples of another length from a second instance.
namespace Lineage.Neural.LongContext;

/// <summary>Sizes of <see cref="InductionHeads"/>.</summary>
/// <param name="Length">N, tokens per example.</param>
/// <param name="VocabSize">V, the trigger included (the paper's 16).</param>
public sealed record InductionHeadsConfig(int Length = 256, int VocabSize = 16)
{
    /// <summary>Returns this config, or throws naming the bad field.</summary>
    public InductionHeadsConfig Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Length, 3, nameof(Length));
        ArgumentOutOfRangeException.ThrowIfLessThan(VocabSize, 3, nameof(VocabSize));
        return this;
    }
}

/// <summary>The induction-head task as in the Mamba paper.</summary>
public sealed class InductionHeads : IRecallTask
{
    /// <summary>The task with <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">Sizes the task refuses.</exception>
    public InductionHeads(InductionHeadsConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
    }

    /// <summary>The sizes.</summary>
    public InductionHeadsConfig Config { get; }

    /// <summary>The trigger token: V − 1.</summary>
    public int Trigger => Config.VocabSize - 1;

    /// <inheritdoc />
    public string Id => "induction";

    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;

    /// <inheritdoc />
    public int Length => Config.Length;

    /// <inheritdoc />
    public (int From, int To) Answers => (0, Config.VocabSize - 1);

    /// <inheritdoc />
    public RecallExample Generate(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int n = Config.Length;
        var inputs = new int[n];
        for (int t = 0; t < n; t++) inputs[t] = rng.Next(0, Trigger);
        int p = rng.Next(0, n - 2);
        inputs[p] = Trigger;
        inputs[n - 1] = Trigger;
        var targets = Enumerable.Repeat(RecallExample.Ignore, n).ToArray();
        var scored = new bool[n];
        targets[n - 1] = inputs[p + 1];
        scored[n - 1] = true;
        return new RecallExample(inputs, targets, scored);
    }

    /// <inheritdoc />
    /// <remarks>At every trigger after the first, the token that followed the first trigger.</remarks>
    public int[] Solve(IReadOnlyList<int> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var answer = new int[inputs.Count];
        int first = -1;
        for (int t = 0; t < inputs.Count; t++)
        {
            if (inputs[t] != Trigger) continue;
            if (first < 0) first = t;
            else answer[t] = first + 1 < inputs.Count ? inputs[first + 1] : Answers.From;
        }

        return answer;
    }
}
