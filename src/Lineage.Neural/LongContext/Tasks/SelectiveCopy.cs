// Selective copying: a few data tokens scattered among noise; after the sequence, write them out in order.
// Paper:   Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", arXiv:2312.00752, §4.1.1,
//          table 1 and appendix E.1; the generator follows HazyResearch/safari's `torch_copying_data(variable=True)`,
//          which the Mamba authors used.
// Lineage: plain copying (the data at fixed places) is solved by a time-invariant convolution or S4, whose kernel only
//          has to shift by a known amount. When the data sit at random places, what to keep depends on the token read:
//          a model must select, i.e. its state update must depend on the input. Mamba's Δ, B and C are functions of
//          the input for exactly this; S4 reaches 18 % and Hyena 28–30 % in the paper's table 1, Mamba 99.8 %.
// Shapes:  N tokens per example = R + M: a region of R = N − M positions holding M data tokens among noise, then M
//          markers; V vocabulary: 0 is noise, V − 1 the marker, data tokens from [1, V − 1).
// How:     M distinct positions of the region are drawn uniformly and sorted; each gets a uniform data token; the rest
//          of the region is noise; the M markers follow. The target at the i-th marker is the i-th data token, so the
//          M markers are the scored positions (the model counts markers to know which token is due).
// Deviations: the paper uses N = 4,096 with M = 16 and V = 16; a CPU run uses a shorter N (the region still holds noise
//          and the positions are still random) and says so.
namespace Lineage.Neural.LongContext;

/// <summary>Sizes of <see cref="SelectiveCopy"/>.</summary>
/// <param name="Length">N, tokens per example: the region and the markers.</param>
/// <param name="Tokens">M, data tokens to copy (the paper's 16).</param>
/// <param name="VocabSize">V, noise and marker included (the paper's 16).</param>
public sealed record SelectiveCopyConfig(int Length = 256, int Tokens = 16, int VocabSize = 16)
{
    /// <summary>Returns this config, or throws naming the bad field.</summary>
    public SelectiveCopyConfig Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Tokens, 1, nameof(Tokens));
        ArgumentOutOfRangeException.ThrowIfLessThan(VocabSize, 3, nameof(VocabSize));
        if (Length < 2 * Tokens) throw new ArgumentException($"Length ({Length}) must hold the region's {Tokens} data tokens and {Tokens} markers: at least {2 * Tokens}.", nameof(Length));
        return this;
    }
}

/// <summary>Selective copying as in the Mamba paper.</summary>
public sealed class SelectiveCopy : IRecallTask
{
    /// <summary>The noise token.</summary>
    public const int Noise = 0;

    /// <summary>The task with <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">Sizes the task refuses.</exception>
    public SelectiveCopy(SelectiveCopyConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
    }

    /// <summary>The sizes.</summary>
    public SelectiveCopyConfig Config { get; }

    /// <summary>The marker token: V − 1.</summary>
    public int Marker => Config.VocabSize - 1;

    /// <inheritdoc />
    public string Id => "selective-copy";

    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;

    /// <inheritdoc />
    public int Length => Config.Length;

    /// <inheritdoc />
    public (int From, int To) Answers => (1, Config.VocabSize - 1);

    /// <inheritdoc />
    public RecallExample Generate(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int n = Config.Length, m = Config.Tokens, region = n - m;
        var places = RecallTasks.Distinct(rng, 0, region, m);
        Array.Sort(places);
        var inputs = new int[n];                               // noise (0) everywhere first
        var targets = Enumerable.Repeat(RecallExample.Ignore, n).ToArray();
        var scored = new bool[n];
        for (int i = 0; i < m; i++)
        {
            int token = rng.Next(1, Config.VocabSize - 1);
            inputs[places[i]] = token;
            inputs[region + i] = Marker;
            targets[region + i] = token;
            scored[region + i] = true;
        }

        return new RecallExample(inputs, targets, scored);
    }

    /// <inheritdoc />
    /// <remarks>Collects the region's non-noise tokens in order; the i-th marker gets the i-th of them.</remarks>
    public int[] Solve(IReadOnlyList<int> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var data = new List<int>();
        var answer = new int[inputs.Count];
        int markers = 0;
        for (int t = 0; t < inputs.Count; t++)
        {
            if (inputs[t] == Marker) answer[t] = markers < data.Count ? data[markers++] : Answers.From;
            else if (inputs[t] != Noise) data.Add(inputs[t]);
        }

        return answer;
    }
}
