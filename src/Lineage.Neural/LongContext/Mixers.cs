using Lineage.Neural.Attention;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>Builds a mixer of any kind.</summary>
public static class Mixers
{
    /// <summary>A new mixer of <paramref name="kind"/> with <paramref name="config"/>.</summary>
    public static nn.Module<Tensor, Tensor> Create(MixerKind kind, MixerConfig config) => kind switch
    {
        MixerKind.Full => new FullAttentionMixer(config),
        MixerKind.Longformer => new LongformerMixer(config),
        MixerKind.BigBird => new BigBirdMixer(config),
        MixerKind.Reformer => new ReformerMixer(config),
        MixerKind.Linformer => new LinformerMixer(config),
        MixerKind.Hyena => new HyenaMixer(config),
        MixerKind.Mamba => new MambaMixer(config),
        MixerKind.Flash => new FullAttentionMixer(config) { Kernel = AttentionKernel.Flash },
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown mixer"),
    };

    /// <summary>Parses a CLI name (full, longformer, bigbird, reformer, linformer, hyena, mamba).</summary>
    /// <exception cref="ArgumentException">Not a known name; the message lists the known ones.</exception>
    public static MixerKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var kind in Enum.GetValues<MixerKind>())
            if (string.Equals(Name(kind), name.Trim(), StringComparison.OrdinalIgnoreCase)) return kind;
        throw new ArgumentException($"Unknown mixer '{name}'; known: {string.Join(", ", Enum.GetValues<MixerKind>().Select(Name))}.", nameof(name));
    }

    /// <summary>The lower-case CLI name.</summary>
    public static string Name(MixerKind kind) => kind.ToString().ToLowerInvariant();
}
