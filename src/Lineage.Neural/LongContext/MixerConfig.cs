namespace Lineage.Neural.LongContext;

/// <summary>Settings shared by the mixers; each reads the fields that concern it.</summary>
/// <param name="Dim">Model width C.</param>
/// <param name="Heads">Attention heads H (attention mixers), C divisible by H.</param>
/// <param name="Causal">Token t sees only tokens ≤ t.</param>
/// <param name="Window">Longformer: each token sees this many neighbours on each side (before it when causal); also its block size.</param>
/// <param name="GlobalTokens">Longformer and BigBird: the first this many positions are global (BigBird rounds up to whole blocks).</param>
/// <param name="Block">BigBird: block size.</param>
/// <param name="RandomBlocks">BigBird: random key blocks per query block.</param>
/// <param name="Chunk">Reformer: chunk length of the sorted sequence.</param>
/// <param name="Buckets">Reformer: hash buckets (even); 0 picks 2·⌈n / Chunk⌉ per sequence, the paper's rule.</param>
/// <param name="Rounds">Reformer: hashing rounds.</param>
/// <param name="ProjectedLength">Linformer: k, the length keys and values are projected to.</param>
/// <param name="MaxLength">Linformer: the longest sequence (E and F have this many columns).</param>
/// <param name="FilterFeatures">Hyena: positional features fed to the filter network (sines and cosines plus t).</param>
/// <param name="FilterHidden">Hyena: width of the filter network.</param>
/// <param name="StateDim">Mamba: N, the state size per channel.</param>
/// <param name="Expand">Mamba: the inner width is Expand·C.</param>
/// <param name="ConvKernel">Mamba and Hyena: length of the short causal depthwise convolution.</param>
/// <param name="ScanChunk">Mamba: chunk length of the parallel scan.</param>
/// <param name="Seed">Seeds the fixed random choices (BigBird's random blocks, Reformer's rotations).</param>
public sealed record MixerConfig(int Dim, int Heads = 4, bool Causal = true, int Window = 32, int GlobalTokens = 4, int Block = 16,
    int RandomBlocks = 2, int Chunk = 32, int Buckets = 0, int Rounds = 2, int ProjectedLength = 64, int MaxLength = 1024,
    int FilterFeatures = 9, int FilterHidden = 32, int StateDim = 8, int Expand = 2, int ConvKernel = 4, int ScanChunk = 16, int Seed = 1)
{
    /// <summary>Small enough for unit tests.</summary>
    public static MixerConfig Tiny(bool causal = true) => new(Dim: 16, Heads: 2, Causal: causal, Window: 4, GlobalTokens: 2, Block: 4,
        RandomBlocks: 1, Chunk: 4, Buckets: 4, Rounds: 2, ProjectedLength: 8, MaxLength: 64, FilterFeatures: 5, FilterHidden: 16,
        StateDim: 4, Expand: 2, ConvKernel: 3, ScanChunk: 4);

    /// <summary>Returns these settings, or throws naming the bad field.</summary>
    public MixerConfig Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Dim, 1, nameof(Dim));
        ArgumentOutOfRangeException.ThrowIfLessThan(Heads, 1, nameof(Heads));
        if (Dim % Heads != 0) throw new ArgumentException($"Dim ({Dim}) must be divisible by Heads ({Heads}).", nameof(Heads));
        ArgumentOutOfRangeException.ThrowIfLessThan(Window, 1, nameof(Window));
        ArgumentOutOfRangeException.ThrowIfNegative(GlobalTokens, nameof(GlobalTokens));
        ArgumentOutOfRangeException.ThrowIfLessThan(Block, 1, nameof(Block));
        ArgumentOutOfRangeException.ThrowIfNegative(RandomBlocks, nameof(RandomBlocks));
        ArgumentOutOfRangeException.ThrowIfLessThan(Chunk, 1, nameof(Chunk));
        if (Buckets < 0 || Buckets % 2 != 0) throw new ArgumentException($"Buckets must be 0 (automatic) or a positive even number; got {Buckets}.", nameof(Buckets));
        ArgumentOutOfRangeException.ThrowIfLessThan(Rounds, 1, nameof(Rounds));
        ArgumentOutOfRangeException.ThrowIfLessThan(ProjectedLength, 1, nameof(ProjectedLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLength, 1, nameof(MaxLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(FilterFeatures, 1, nameof(FilterFeatures));
        ArgumentOutOfRangeException.ThrowIfLessThan(FilterHidden, 1, nameof(FilterHidden));
        ArgumentOutOfRangeException.ThrowIfLessThan(StateDim, 1, nameof(StateDim));
        ArgumentOutOfRangeException.ThrowIfLessThan(Expand, 1, nameof(Expand));
        ArgumentOutOfRangeException.ThrowIfLessThan(ConvKernel, 1, nameof(ConvKernel));
        ArgumentOutOfRangeException.ThrowIfLessThan(ScanChunk, 1, nameof(ScanChunk));
        return this;
    }
}
