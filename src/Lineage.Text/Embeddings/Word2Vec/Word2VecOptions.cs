namespace Lineage.Text.Embeddings.Word2Vec;

/// <summary>Which word predicts which.</summary>
public enum Word2VecArchitecture
{
    /// <summary>Each word predicts its neighbours (slower, better on rare words).</summary>
    SkipGram,

    /// <summary>The mean of the neighbours predicts the word (continuous bag of words; faster).</summary>
    Cbow,
}

/// <summary>
/// Hyper-parameters of <see cref="Word2VecTrainer"/>. Names and defaults follow the word2vec C tool and gensim
/// (<c>vector_size</c>, <c>window</c>, <c>negative</c>, <c>hs</c>, <c>sample</c>, <c>min_count</c>, <c>epochs</c>, <c>alpha</c>).
/// </summary>
public sealed record Word2VecOptions
{
    /// <summary>Skip-gram (default) or CBOW.</summary>
    public Word2VecArchitecture Architecture { get; init; } = Word2VecArchitecture.SkipGram;

    /// <summary>Vector size.</summary>
    public int Dimensions { get; init; } = 100;

    /// <summary>Maximum distance between the centre word and a context word; each position draws its window from 1..Window.</summary>
    public int Window { get; init; } = 5;

    /// <summary>Noise words per positive example (negative sampling); 0 turns negative sampling off.</summary>
    public int Negative { get; init; } = 5;

    /// <summary>Use hierarchical softmax over a Huffman tree.</summary>
    public bool HierarchicalSoftmax { get; init; }

    /// <summary>Sub-sampling threshold for frequent words (0 turns it off).</summary>
    public double Sample { get; init; } = 1e-3;

    /// <summary>Drop words seen fewer times.</summary>
    public int MinCount { get; init; } = 5;

    /// <summary>Keep at most this many words (most frequent first); 0 for no limit.</summary>
    public int MaxVocab { get; init; }

    /// <summary>Passes over the corpus.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Starting learning rate; null for the usual 0.025 (skip-gram) or 0.05 (CBOW). It decays linearly to <see cref="MinAlphaFraction"/> × this.</summary>
    public double? Alpha { get; init; }

    /// <summary>Final learning rate as a fraction of the first (word2vec: 1e-4).</summary>
    public double MinAlphaFraction { get; init; } = 1e-4;

    /// <summary>Worker threads (Hogwild: lock-free updates of shared weights). 1 with a seed is deterministic.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Seeds initialisation, sub-sampling, windows and negative draws.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Write a checkpoint here after every epoch (atomically); null for none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Continue from <see cref="CheckpointPath"/> when it exists.</summary>
    public bool Resume { get; init; }

    /// <summary>The starting learning rate actually used.</summary>
    public double StartAlpha => Alpha ?? (Architecture == Word2VecArchitecture.Cbow ? 0.05 : 0.025);

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentException">Names the value and its allowed range.</exception>
    public Word2VecOptions Validate()
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
        Check(Negative >= 0, $"Negative must be ≥ 0 (got {Negative}).");
        Check(Negative > 0 || HierarchicalSoftmax, "Either Negative > 0 or HierarchicalSoftmax must be set: there is no output layer otherwise.");
        Check(Sample >= 0, $"Sample must be ≥ 0 (got {Sample}).");
        Check(MinCount >= 1, $"MinCount must be ≥ 1 (got {MinCount}).");
        Check(MaxVocab >= 0, $"MaxVocab must be ≥ 0 (got {MaxVocab}).");
        Check(Epochs >= 1, $"Epochs must be ≥ 1 (got {Epochs}).");
        Check(StartAlpha > 0 && double.IsFinite(StartAlpha), $"Alpha must be positive (got {StartAlpha}).");
        Check(Threads >= 1, $"Threads must be ≥ 1 (got {Threads}).");
        Check(!Resume || CheckpointPath is not null, "Resume needs a CheckpointPath.");
        return this;
    }
}

/// <summary>Reported while training.</summary>
/// <param name="Epoch">Current epoch, 1-based.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="WordsProcessed">Corpus words processed so far, all epochs.</param>
/// <param name="WordsTotal">Words processed at the end of training.</param>
/// <param name="WordsPerSecond">Throughput since the start of this run (raw corpus words).</param>
/// <param name="Alpha">Current learning rate.</param>
public sealed record EmbeddingProgress(int Epoch, int Epochs, long WordsProcessed, long WordsTotal, double WordsPerSecond, double Alpha);
