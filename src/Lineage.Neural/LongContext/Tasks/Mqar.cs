// Multi-query associative recall (MQAR): K key–value pairs, then queries of the keys; emit each key's value.
// Paper:   Arora et al. 2023, "Zoology: Measuring and Improving Recall in Efficient Language Models", arXiv:2312.04927,
//          §3 and figure 2; written from HazyResearch/zoology's zoology/data/multiquery_ar.py (`multiquery_ar`).
// Lineage: single-query recall (one key, asked once at the end) is solved by any mixer that can hold one token; MQAR
//          asks K keys at scattered places, so a fixed-state model must hold all K pairs at once while attention only
//          looks each one up. The Zoology authors found this gap explains most of the perplexity gap between gated
//          convolutions and attention on the Pile.
// Shapes:  N tokens, K pairs, V vocabulary; keys in [1, V/2), values in [V/2, V), each distinct within an example.
// How:     positions 0..2K−1 hold k₁ v₁ k₂ v₂ …; the remaining N − 2K positions are 0 (or, with RandomNonQueries,
//          uniform tokens) except that query j, key k_j, sits at 2K + 2·g_j. The gaps g_j are K distinct draws from
//          [0, (N − 2K)/2) with probability ∝ (g + 1)^(a − 1), a = 0.01 (a power law: most queries come soon after the
//          pairs, a few far, as repeated bigrams in real text). The target at a query's own position is its value (the
//          model answers while reading the key; the next input is not the value), and only the K queries are scored.
// Deviations: none in the task (Zoology's num_passes = 1, `include_slices` is bookkeeping). The paper's vocabulary of
//          8,192 is the default; a CPU run may choose a smaller one and says so.
namespace Lineage.Neural.LongContext;

/// <summary>Sizes of <see cref="Mqar"/>.</summary>
/// <param name="Length">N, tokens per example (even, below the vocabulary as Zoology asserts).</param>
/// <param name="KvPairs">K, key–value pairs (4K ≤ N: the pairs and the queries' room).</param>
/// <param name="VocabSize">V: keys from the lower half, values from the upper.</param>
/// <param name="PowerA">a of the power law placing the queries (1: uniform).</param>
/// <param name="RandomNonQueries">Fill the non-query positions after the pairs with uniform tokens instead of 0 (Zoology's
/// default; its figure-2 runs turn it off).</param>
public sealed record MqarConfig(int Length = 64, int KvPairs = 4, int VocabSize = MqarConfig.PaperVocab, double PowerA = 0.01, bool RandomNonQueries = false)
{
    /// <summary>The figure-2 vocabulary.</summary>
    public const int PaperVocab = 8192;

    /// <summary>Returns this config, or throws naming the bad field.</summary>
    public MqarConfig Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Length, 4, nameof(Length));
        if (Length % 2 != 0) throw new ArgumentException($"Length ({Length}) must be even: queries sit at even offsets.", nameof(Length));
        ArgumentOutOfRangeException.ThrowIfLessThan(KvPairs, 1, nameof(KvPairs));
        if (4 * KvPairs > Length)
            throw new ArgumentException($"KvPairs ({KvPairs}) needs 2·K positions for the pairs and 2·K for the queries: at most Length/4 = {Length / 4}.", nameof(KvPairs));
        if (VocabSize <= Length) throw new ArgumentException($"VocabSize ({VocabSize}) must exceed Length ({Length}) (Zoology's assertion).", nameof(VocabSize));
        if (KvPairs > VocabSize / 2 - 1) throw new ArgumentException($"KvPairs ({KvPairs}) exceeds the {VocabSize / 2 - 1} distinct keys of VocabSize {VocabSize}.", nameof(KvPairs));
        if (!(PowerA > 0) || !double.IsFinite(PowerA)) throw new ArgumentOutOfRangeException(nameof(PowerA), PowerA, "must be a positive number");
        return this;
    }
}

/// <summary>Multi-query associative recall as in Zoology.</summary>
public sealed class Mqar : IRecallTask
{
    private readonly double[] gapWeights;

    /// <summary>The task with <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">Sizes the task refuses.</exception>
    public Mqar(MqarConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        int space = (config.Length - 2 * config.KvPairs) / 2;
        gapWeights = [.. Enumerable.Range(1, space).Select(i => Math.Pow(i, config.PowerA - 1))];   // a·i^(a−1); a cancels in the normalisation
    }

    /// <summary>The sizes.</summary>
    public MqarConfig Config { get; }

    /// <inheritdoc />
    public string Id => "mqar";

    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;

    /// <inheritdoc />
    public int Length => Config.Length;

    /// <inheritdoc />
    public (int From, int To) Answers => (Config.VocabSize / 2, Config.VocabSize);

    /// <inheritdoc />
    public RecallExample Generate(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int n = Config.Length, k = Config.KvPairs, v = Config.VocabSize, context = 2 * k;
        var keys = RecallTasks.Distinct(rng, 1, v / 2, k);
        var values = RecallTasks.Distinct(rng, v / 2, v, k);
        var inputs = new int[n];
        var targets = Enumerable.Repeat(RecallExample.Ignore, n).ToArray();
        var scored = new bool[n];
        for (int j = 0; j < k; j++)
        {
            inputs[2 * j] = keys[j];
            inputs[2 * j + 1] = values[j];
        }

        var gaps = Gaps(rng, k);
        var query = new bool[n];
        for (int j = 0; j < k; j++)
        {
            int at = context + 2 * gaps[j];
            inputs[at] = keys[j];
            targets[at] = values[j];
            scored[at] = query[at] = true;
        }

        if (Config.RandomNonQueries)
            for (int t = context; t < n; t++)
                if (!query[t]) inputs[t] = rng.Next(v);      // Zoology replaces every 0 with a uniform token of the whole vocabulary
        return new RecallExample(inputs, targets, scored);
    }

    /// <summary>K distinct gaps drawn one after another, each with probability ∝ its weight among those left (numpy's choice without replacement).</summary>
    private int[] Gaps(Random rng, int k)
    {
        var weights = (double[])gapWeights.Clone();
        var gaps = new int[k];
        for (int j = 0; j < k; j++)
        {
            double u = rng.NextDouble() * weights.Sum(), cumulative = 0;
            int g = -1;
            do cumulative += weights[++g];
            while (cumulative <= u && g < weights.Length - 1);
            while (weights[g] == 0) g = g > 0 ? g - 1 : Array.FindIndex(weights, w => w > 0);   // rounding at a removed gap's edge: a live neighbour
            gaps[j] = g;
            weights[g] = 0;
        }

        return gaps;
    }

    /// <inheritdoc />
    /// <remarks>Every position after the pairs whose token is one of the pairs' keys is answered with that key's value.</remarks>
    public int[] Solve(IReadOnlyList<int> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int context = 2 * Config.KvPairs;
        var table = new Dictionary<int, int>();
        for (int j = 0; j + 1 < Math.Min(context, inputs.Count); j += 2) table[inputs[j]] = inputs[j + 1];
        var answer = new int[inputs.Count];
        for (int t = context; t < inputs.Count; t++) answer[t] = table.GetValueOrDefault(inputs[t], Answers.From);
        return answer;
    }
}
