// Hyena: implicit long convolutions and multiplicative gating.
// Paper:   Poli et al. 2023, "Hyena Hierarchy: Towards Larger Convolutional Language Models", arXiv:2302.10866.
// Lineage: attention's data-controlled mixing costs O(n²). Hyena keeps data control through element-wise gates and
//          does the long-range mixing with convolutions as long as the sequence, computed by FFT in O(n log n). The
//          filters are not n free weights each but the output of a small network over positional features
//          ("implicit"), times a decaying window, so the parameter count does not grow with n.
// Shapes:  B batch, n tokens, C channels, N order (2 here), F positional features.
// How:     projections v, x¹, x² of the input (each through a short causal depthwise convolution);
//          z¹ = v, z^{k+1} = x^k ⊙ (h^k ∗ z^k), output projection of z³. The filter h^k (n × C) is
//          MLP(t, sin(ω t), cos(ω t)) ⊙ exp(−α_c t), plus a per-channel bias β z (the "D" skip term).
//          Convolution: y = irfft(rfft(u, 2n) ⊙ rfft(h, 2n))[:n], zero-padded to 2n so it is linear, not circular,
//          hence causal.
// Deviations: order 2 and sine activations in the filter network as the paper; the positional features are t plus
//          (F − 1)/2 sine/cosine pairs at fixed frequencies; the decay rates α_c are fixed, spread over channels as in
//          the reference code's ExponentialModulation; no dropout.
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>Hyena's own options.</summary>
public sealed record HyenaConfig : MixerOptions
{
    /// <summary>Positional features fed to the filter network (sines and cosines plus t).</summary>
    public int FilterFeatures { get; init; } = 9;

    /// <summary>Width of the filter network.</summary>
    public int FilterHidden { get; init; } = 32;

    /// <summary>Length of the short causal depthwise convolution.</summary>
    public int ConvKernel { get; init; } = 4;

    /// <summary>Small enough for unit tests.</summary>
    public static HyenaConfig Tiny { get; } = new() { FilterFeatures = 5, FilterHidden = 16, ConvKernel = 3 };

    /// <inheritdoc />
    public override void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(FilterFeatures, 1, nameof(FilterFeatures));
        ArgumentOutOfRangeException.ThrowIfLessThan(FilterHidden, 1, nameof(FilterHidden));
        ArgumentOutOfRangeException.ThrowIfLessThan(ConvKernel, 1, nameof(ConvKernel));
    }
}

/// <summary>Hyena operator of order 2: gated implicit long convolutions, evaluated with the FFT.</summary>
[Model("hyena", Paper = "Poli et al. 2023")]
[Mixer("hyena", Order = 5)]
public sealed class HyenaMixer : nn.Module<Tensor, Tensor>, ISequenceMixer
{
    private readonly Linear in_proj;        // C → 3C: v, x¹, x²
    private readonly Conv1d short_filter;   // depthwise causal convolution over the 3C channels
    private readonly Linear filter_in;      // F → hidden
    private readonly Linear filter_mid;     // hidden → hidden
    private readonly Linear filter_out;     // hidden → 2C: the two filters
    private readonly Parameter bias;        // (2, C): the skip term of each convolution
    private readonly Linear out_proj;
    private readonly Tensor decay;          // (2C): α_c of the exponential window

    /// <summary>A tiny seeded mixer and a fixed batch of token vectors, for the registry's conformance tests.</summary>
    public static ModelSample Conformance() => MixerSamples.Of(settings => new HyenaMixer(settings, HyenaConfig.Tiny), seed: 36);

    /// <summary>Width <see cref="MixerSettings.Dim"/>, filter network of <see cref="HyenaConfig.FilterHidden"/> over <see cref="HyenaConfig.FilterFeatures"/> features.</summary>
    public HyenaMixer(MixerSettings settings, HyenaConfig config) : base(nameof(HyenaMixer))
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(config);
        Settings = settings.Validate();
        config.Validate();
        Config = config;
        int c = settings.Dim;
        in_proj = nn.Linear(c, 3 * c);
        short_filter = nn.Conv1d(3 * c, 3 * c, config.ConvKernel, groups: 3 * c, padding: config.ConvKernel - 1);
        filter_in = nn.Linear(config.FilterFeatures, config.FilterHidden);
        filter_mid = nn.Linear(config.FilterHidden, config.FilterHidden);
        filter_out = nn.Linear(config.FilterHidden, 2 * c, hasBias: false);
        bias = nn.Parameter(randn(2, c));
        out_proj = nn.Linear(c, c);
        // Decay rates from fast to slow across channels: a window that falls to 1e-2 by t = 0.3 … t = 1.5 (in units of n).
        decay = linspace(Math.Log(1e-2) / -0.3, Math.Log(1e-2) / -1.5, 2 * c);
        RegisterComponents();
    }

    /// <summary>The shared settings (Hyena reads the width; it is always causal).</summary>
    public MixerSettings Settings { get; }

    /// <summary>Its own options.</summary>
    public HyenaConfig Config { get; }


    /// <inheritdoc />
    public bool Causal => true;

    /// <summary>Projections, filters, complex spectra of length 2n and gradients: about 40 float (B, n, C) tensors.</summary>
    public long EstimateBytes(long batch, long n) => 40L * 4 * batch * n * Settings.Dim + 8L * 4 * n * (Config.FilterHidden + 2 * Settings.Dim);

    /// <summary>The two implicit filters (2, C, n) for a sequence of n tokens.</summary>
    public Tensor Filters(long n)
    {
        using var scope = NewDisposeScope();
        var t = linspace(0, 1, n, device: decay.device).unsqueeze(1);                         // (n, 1) normalised time
        var features = new List<Tensor> { t };
        for (int i = 1; features.Count < Config.FilterFeatures; i++)
        {
            var angle = t * (float)(2 * Math.PI * i);
            features.Add(angle.sin());
            if (features.Count < Config.FilterFeatures) features.Add(angle.cos());
        }

        var z = cat(features, 1);                                                             // (n, F)
        var hidden = filter_mid.forward(filter_in.forward(z).sin()).sin();                   // sine activations, as the paper
        var h = filter_out.forward(hidden);                                                   // (n, 2C)
        h = h * (-t * decay).exp();                                                           // decaying window
        return h.transpose(0, 1).reshape(2, Settings.Dim, n).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Mix(x, useFft: true);

    /// <summary>The operator with FFT convolutions (<paramref name="useFft"/>) or direct ones (the O(n²) reference).</summary>
    public Tensor Mix(Tensor x, bool useFft)
    {
        MixerInput.Check(x, Settings.Dim, "Hyena");
        long n = x.shape[1];
        if (n == 0) return zeros_like(x);
        MemoryGuard.Check("Hyena", x.shape[0], n, EstimateBytes(x.shape[0], n));
        using var scope = NewDisposeScope();
        var u = in_proj.forward(x).transpose(1, 2);                                           // (B, 3C, n)
        u = short_filter.forward(u).narrow(2, 0, n);                                          // causal: drop the look-ahead tail
        var parts = u.chunk(3, 1);                                                            // v, x¹, x²: (B, C, n) each
        var filters = Filters(n);                                                             // (2, C, n)
        var z = parts[0];
        for (int order = 0; order < 2; order++)
        {
            var h = filters[order];
            var conv = useFft ? FftConv(z, h) : DirectConv(z, h);
            z = parts[order + 1] * (conv + z * bias[order].unsqueeze(-1));
        }

        return out_proj.forward(z.transpose(1, 2)).MoveToOuterDisposeScope();
    }

    /// <summary>Causal convolution y_t = Σ_{s≤t} h_{t−s} u_s of u (B, C, n) with h (C, n), by FFT of length 2n: O(n log n).</summary>
    public static Tensor FftConv(Tensor u, Tensor h)
    {
        ArgumentNullException.ThrowIfNull(u);
        ArgumentNullException.ThrowIfNull(h);
        using var scope = NewDisposeScope();
        long n = u.shape[^1], size = 2 * n;
        var uf = fft.rfft(u, size);                                                           // (B, C, n + 1) complex
        var hf = fft.rfft(h, size);                                                           // (C, n + 1)
        return fft.irfft(uf * hf, size).narrow(-1, 0, n).MoveToOuterDisposeScope();
    }

    /// <summary>The same convolution computed directly (a depthwise conv1d with the flipped filter): O(n²), the reference.</summary>
    public static Tensor DirectConv(Tensor u, Tensor h)
    {
        ArgumentNullException.ThrowIfNull(u);
        ArgumentNullException.ThrowIfNull(h);
        using var scope = NewDisposeScope();
        long c = u.shape[1], n = u.shape[2];
        var weight = h.flip(-1).unsqueeze(1);                                                 // (C, 1, n)
        var padded = nn.functional.pad(u, [n - 1, 0]);                                        // left padding: causal
        return nn.functional.conv1d(padded, weight, groups: c).MoveToOuterDisposeScope();
    }
}
