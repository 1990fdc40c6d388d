// Linformer: keys and values projected along the sequence to a fixed length k.
// Paper:   Wang et al. 2020, "Linformer: Self-Attention with Linear Complexity", arXiv:2006.04768.
// Lineage: the n × n attention matrix is approximately low-rank (its spectrum decays fast), so projecting the n keys
//          and values to k rows with learned E, F ∈ ℝ^{k × n} loses little: head = softmax(Q (E K)ᵀ / √D) (F V),
//          n × k scores, O(n k) time and memory.
// Shapes:  B batch, n tokens (≤ MaxLength), C channels, H heads, D = C / H, k projected length.
// Deviations: E and F are shared across heads (the paper's "headwise sharing"); a sequence shorter than MaxLength uses
//          the first n columns of E and F (the same as zero-padding to MaxLength, as the reference code does). Linformer
//          mixes every position into every projected row, so it is not causal: the language-model experiments leave it
//          out (MixerLm refuses it), and its error against full attention is measured as a function of k instead.
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>Linformer's own options.</summary>
public sealed record LinformerConfig : MixerOptions
{
    /// <summary>k, the length keys and values are projected to.</summary>
    public int ProjectedLength { get; init; } = 64;

    /// <summary>The longest sequence (E and F have this many columns).</summary>
    public int MaxLength { get; init; } = 1024;

    /// <summary>Small enough for unit tests.</summary>
    public static LinformerConfig Tiny { get; } = new() { ProjectedLength = 8, MaxLength = 64 };

    /// <inheritdoc />
    public override void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ProjectedLength, 1, nameof(ProjectedLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLength, 1, nameof(MaxLength));
    }
}

/// <summary>Linformer self-attention (bidirectional): keys and values projected along the sequence to k rows.</summary>
[Model("linformer", Paper = "Wang et al. 2020")]
[Mixer("linformer", Order = 4, NotCausal = "projects along the whole sequence, so every position would see the future.")]
public sealed class LinformerMixer : AttentionMixerBase
{
    private readonly Linear q;
    private readonly Linear k;
    private readonly Linear v;
    private readonly Linear o;
    private readonly Parameter E;
    private readonly Parameter F;

    /// <summary>A tiny seeded mixer and a fixed batch of token vectors, for the registry's conformance tests.</summary>
    public static ModelSample Conformance() => MixerSamples.Of(settings => new LinformerMixer(settings, LinformerConfig.Tiny), seed: 35);

    /// <summary>Projected length <see cref="LinformerConfig.ProjectedLength"/>, longest sequence <see cref="LinformerConfig.MaxLength"/>.</summary>
    /// <exception cref="ArgumentException">A causal configuration: Linformer cannot be causal.</exception>
    public LinformerMixer(MixerSettings settings, LinformerConfig config) : base(nameof(LinformerMixer), settings)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        q = nn.Linear(settings.Dim, settings.Dim);
        k = nn.Linear(settings.Dim, settings.Dim);
        v = nn.Linear(settings.Dim, settings.Dim);
        o = nn.Linear(settings.Dim, settings.Dim);
        // The paper initialises E and F like linear layers: N(0, 1/k) keeps E K on the scale of K.
        E = nn.Parameter(randn(config.ProjectedLength, config.MaxLength) / Math.Sqrt(config.ProjectedLength));
        F = nn.Parameter(randn(config.ProjectedLength, config.MaxLength) / Math.Sqrt(config.ProjectedLength));
        RegisterComponents();
    }

    /// <summary>Its own options.</summary>
    public LinformerConfig Config { get; }


    /// <inheritdoc />
    public override long EstimateBytes(long batch, long n) => 4L * 4 * batch * Settings.Heads * n * Config.ProjectedLength + 24L * 4 * batch * n * Settings.Dim;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        MixerInput.Check(x, Settings.Dim, "Linformer");
        long n = x.shape[1];
        if (n == 0) return Empty(x);
        if (n > Config.MaxLength) throw new ArgumentException($"Linformer's projections have {Config.MaxLength} columns; the sequence has {n} tokens.", nameof(x));
        MemoryGuard.Check("Linformer", x.shape[0], n, EstimateBytes(x.shape[0], n));
        using var scope = NewDisposeScope();
        var y = Attention(Heads(q.forward(x)), Heads(k.forward(x)), Heads(v.forward(x)), E.narrow(1, 0, n), F.narrow(1, 0, n));
        return o.forward(Merge(y)).MoveToOuterDisposeScope();
    }

    /// <summary>softmax(Q (E K)ᵀ / √D) (F V) for q, k, v (B, H, n, D) and projections e, f (k, n).</summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor e, Tensor f)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(f);
        using var scope = NewDisposeScope();
        var kp = einsum("kn,bhnd->bhkd", e, k);                                     // (B, H, k, D)
        var vp = einsum("kn,bhnd->bhkd", f, v);
        var scores = q.matmul(kp.transpose(-1, -2)) * (1.0 / Math.Sqrt(q.shape[3])); // (B, H, n, k)
        return scores.softmax(-1).matmul(vp).MoveToOuterDisposeScope();
    }

    /// <summary>Segment means as a (k, n) projection: row r averages positions [r·n/k, (r+1)·n/k). With k = n it is the identity.</summary>
    public static Tensor MeanPooling(int k, int n)
    {
        var m = new float[k * n];
        for (int r = 0; r < k; r++)
        {
            int from = (int)((long)r * n / k), to = (int)((long)(r + 1) * n / k);
            for (int j = from; j < to; j++) m[r * n + j] = 1f / (to - from);
        }

        return tensor(m, [k, n]);
    }
}
