namespace Lineage.Text.Embeddings.Glove;

/// <summary>
/// Hyper-parameters of <see cref="GloveTrainer"/>. Names and defaults follow Stanford's GloVe tool
/// (<c>vector_size</c>, <c>window_size</c>, <c>x_max</c>, <c>alpha</c>, <c>eta</c>, <c>iter</c>, <c>min_count</c>, <c>memory</c>).
/// </summary>
public sealed record GloveOptions
{
    /// <summary>Vector size.</summary>
    public int Dimensions { get; init; } = 100;

    /// <summary>Context words on each side (symmetric window); a pair at distance d counts 1/d.</summary>
    public int Window { get; init; } = 10;

    /// <summary>Counts at or above x_max get full weight in the loss.</summary>
    public double XMax { get; init; } = 100;

    /// <summary>Exponent of the weighting function f(x) = min(1, (x / x_max)^α).</summary>
    public double Alpha { get; init; } = 0.75;

    /// <summary>AdaGrad's initial learning rate (GloVe's <c>eta</c>).</summary>
    public double LearningRate { get; init; } = 0.05;

    /// <summary>Passes over the shuffled co-occurrence entries.</summary>
    public int Epochs { get; init; } = 15;

    /// <summary>Drop words seen fewer times.</summary>
    public int MinCount { get; init; } = 5;

    /// <summary>Keep at most this many words; 0 for no limit.</summary>
    public int MaxVocab { get; init; }

    /// <summary>Memory budget of co-occurrence counting in MiB; over it, sorted shards spill to disk and are merged.</summary>
    public int MemoryMb { get; init; } = 1024;

    /// <summary>Worker threads (Hogwild).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Seeds initialisation and shuffling.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Folder for spilled shards; null for the system temp folder.</summary>
    public string? TempDirectory { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentException">Names the value and its allowed range.</exception>
    public GloveOptions Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentException(message);
            }
        }

        Check(Dimensions is >= 1 and <= 10_000, $"Dimensions must be in 1..10000 (got {Dimensions}).");
        Check(Window >= 1, $"Window must be ≥ 1 (got {Window}).");
        Check(XMax > 0, $"XMax must be positive (got {XMax}).");
        Check(Alpha > 0, $"Alpha must be positive (got {Alpha}).");
        Check(LearningRate > 0, $"LearningRate must be positive (got {LearningRate}).");
        Check(Epochs >= 1, $"Epochs must be ≥ 1 (got {Epochs}).");
        Check(MinCount >= 1, $"MinCount must be ≥ 1 (got {MinCount}).");
        Check(MemoryMb >= 1, $"MemoryMb must be ≥ 1 (got {MemoryMb}).");
        Check(Threads >= 1, $"Threads must be ≥ 1 (got {Threads}).");
        return this;
    }
}
