using Lineage.Neural.Core;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>The conformance sample every mixer shares: the tiny causal settings and a fixed (2, 16, C) batch.</summary>
internal static class MixerSamples
{
    /// <summary>A mixer built by <paramref name="build"/> from <see cref="MixerConfig.Tiny"/>, after seeding with <paramref name="seed"/>.</summary>
    public static ModelSample Of(Func<MixerConfig, nn.Module<Tensor, Tensor>> build, int seed)
    {
        manual_seed(seed);
        var config = MixerConfig.Tiny();
        var x = randn(2, 16, config.Dim);
        return new(build(config), m => ((nn.Module<Tensor, Tensor>)m).forward(x));
    }
}
