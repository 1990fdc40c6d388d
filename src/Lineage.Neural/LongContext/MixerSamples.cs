using Lineage.Neural.Core;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>The conformance sample every mixer shares: the tiny causal settings and a fixed (2, 16, C) batch.</summary>
internal static class MixerSamples
{
    /// <summary>A mixer built by <paramref name="build"/> from the tiny shared settings (C = 16, 2 heads, causal), after seeding with <paramref name="seed"/>.</summary>
    public static ModelSample Of(Func<MixerSettings, nn.Module<Tensor, Tensor>> build, int seed)
    {
        manual_seed(seed);
        var settings = new MixerSettings(Dim: 16, Heads: 2);
        var x = randn(2, 16, settings.Dim);
        return new(build(settings), m => ((nn.Module<Tensor, Tensor>)m).forward(x));
    }
}
