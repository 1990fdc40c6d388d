// One interface for a sequence mixer (this file), the settings every mixer takes and each mixer's own options
// (MixerSettings.cs), a guard that refuses requests that would not fit in memory (MemoryGuard.cs), the dense
// full-attention baseline (FullAttentionMixer.cs), and a small decoder language model that takes any mixer
// (MixerBlock.cs, MixerLm.cs); MixerRegistry.cs finds the mixers ([Mixer("id")] on each class) and builds them by id.
//
// Lineage: the transformer block is "mix across positions, then mix across channels". Every model of this chapter
//          keeps the second half (the same MLP, norms, embeddings and sizes) and swaps the first: dense attention
//          (the O(n²) baseline), banded attention (Longformer), block-sparse attention (BigBird), hashed attention
//          (Reformer), low-rank attention (Linformer), long convolutions (Hyena) or a selective scan (Mamba).
// Shapes:  B batch, T (or n) tokens, C channels, H heads, D = C / H.
// Deviations: positions are fixed sinusoids (amplitude 0.1) added to the byte embeddings (N(0, 0.02²), GPT-2's) for every mixer (Hyena and Mamba would not
//          need them; attention would otherwise see order only through the causal mask), so the models differ only
//          in the mixer.
namespace Lineage.Neural.LongContext;

/// <summary>A module that mixes information across positions: (B, T, C) in, (B, T, C) out.</summary>
public interface ISequenceMixer
{
    /// <summary>Whether position t sees only positions ≤ t (a language model needs this).</summary>
    bool Causal { get; }

    /// <summary>Estimated bytes of the activations of forward + backward for a (batch, n) input: what a run allocates beyond the weights.</summary>
    long EstimateBytes(long batch, long n);
}
