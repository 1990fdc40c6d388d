namespace Lineage.Neural.LongContext;

/// <summary>The mixers of the long-context chapter.</summary>
public enum MixerKind
{
    /// <summary>Dense softmax attention over all (causal) pairs: the O(n²) baseline.</summary>
    Full,
    /// <summary>Sliding window plus global tokens (Beltagy et al. 2020).</summary>
    Longformer,
    /// <summary>Window plus global plus random blocks (Zaheer et al. 2020).</summary>
    BigBird,
    /// <summary>LSH attention over sorted chunks (Kitaev et al. 2020).</summary>
    Reformer,
    /// <summary>Keys and values projected along the sequence to k rows (Wang et al. 2020); not causal.</summary>
    Linformer,
    /// <summary>Implicit long convolutions with gating (Poli et al. 2023).</summary>
    Hyena,
    /// <summary>Selective state space with a scan (Gu &amp; Dao 2023).</summary>
    Mamba,
    /// <summary>Dense attention, exact, through Lineage's FlashAttention kernel: tiles and an online softmax, O(n) memory (Dao et al. 2022).</summary>
    Flash,
}
