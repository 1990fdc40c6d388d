using Lineage.Neural.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers;

/// <summary>The non-linearity of the feed-forward layer.</summary>
public enum Activation
{
    /// <summary>GELU, exact (BERT).</summary>
    Gelu,
    /// <summary>GELU with the tanh approximation (GPT-2's "gelu_new").</summary>
    GeluTanh,
    /// <summary>ReLU (the original Transformer, T5 v1.0).</summary>
    Relu,
}

/// <summary>Which normalisation a block uses.</summary>
public enum Norm
{
    /// <summary>LayerNorm: subtract the mean, divide by the standard deviation, scale and shift.</summary>
    LayerNorm,
    /// <summary>RMSNorm (T5's "LayerNorm"): divide by the root mean square, scale; no mean, no shift.</summary>
    Rms,
}

/// <summary>Root-mean-square normalisation (Zhang &amp; Sennrich 2019), as T5 uses: x / √(mean(x²) + ε) · w.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    /// <summary>Normalises the last dimension of width <paramref name="dim"/>.</summary>
    public RmsNorm(int dim, double eps = 1e-6) : base(nameof(RmsNorm))
    {
        weight = nn.Parameter(ones(dim));
        _eps = eps;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        var variance = x.pow(2).mean([-1L], keepdim: true);
        return (x * rsqrt(variance + _eps) * weight).MoveToOuterDisposeScope();
    }
}

/// <summary>Position-wise feed-forward (Vaswani et al. 2017, §3.3): C → hidden → C, applied to every token alike.</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc_in;
    private readonly Linear fc_out;
    private readonly Dropout dropout;
    private readonly Activation _activation;

    /// <summary>A feed-forward layer of width <paramref name="dim"/> with <paramref name="hidden"/> units (usually 4·C).</summary>
    public FeedForward(int dim, int hidden, Activation activation = Activation.Gelu, double dropout = 0.0, bool bias = true) : base(nameof(FeedForward))
    {
        fc_in = nn.Linear(dim, hidden, hasBias: bias);
        fc_out = nn.Linear(hidden, dim, hasBias: bias);
        this.dropout = nn.Dropout(dropout);
        _activation = activation;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = fc_in.forward(x);
        h = _activation switch
        {
            Activation.Gelu => nn.functional.gelu(h),
            Activation.GeluTanh => 0.5f * h * (1f + (h + 0.044715f * h.pow(3)).mul((float)Math.Sqrt(2 / Math.PI)).tanh()),
            _ => nn.functional.relu(h),
        };
        return dropout.forward(fc_out.forward(dropout.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>Settings of one transformer block.</summary>
/// <param name="Dim">Model width C.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="Hidden">Feed-forward units (4·C in BERT and GPT).</param>
/// <param name="Dropout">Dropout on attention weights and residual branches.</param>
/// <param name="PreNorm">Normalise before each sub-layer (GPT-2, T5) rather than after the residual sum (the original Transformer, BERT).</param>
/// <param name="CrossAttention">A decoder block of an encoder-decoder: attends to the encoder's output after self-attention.</param>
/// <param name="Bias">Biases in the linear layers.</param>
/// <param name="Activation">Feed-forward non-linearity.</param>
/// <param name="Norm">LayerNorm or RMSNorm.</param>
/// <param name="AttentionScale">Score scale; null for 1/√(C/H).</param>
public sealed record BlockConfig(int Dim, int Heads, int Hidden, double Dropout = 0.1, bool PreNorm = true, bool CrossAttention = false,
    bool Bias = true, Activation Activation = Activation.Gelu, Norm Norm = Norm.LayerNorm, double? AttentionScale = null);

/// <summary>
/// One transformer layer: self-attention, (cross-attention), feed-forward, each in a residual branch with a
/// normalisation before it (pre-norm) or after the sum (post-norm). The three archetypes stack it differently:
/// the encoder without a causal mask, the decoder with one, the encoder-decoder's decoder with cross-attention.
/// </summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> ln_1;
    private readonly MultiHeadAttention attn;
    private readonly nn.Module<Tensor, Tensor>? ln_cross;
    private readonly MultiHeadAttention? cross_attn;
    private readonly nn.Module<Tensor, Tensor> ln_2;
    private readonly FeedForward mlp;
    private readonly bool _preNorm;

    /// <summary>A block with these settings.</summary>
    public TransformerBlock(BlockConfig config) : base(nameof(TransformerBlock))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        ln_1 = NewNorm(config);
        attn = new MultiHeadAttention(config.Dim, config.Heads, config.Dropout, config.Bias, config.AttentionScale);
        if (config.CrossAttention)
        {
            ln_cross = NewNorm(config);
            cross_attn = new MultiHeadAttention(config.Dim, config.Heads, config.Dropout, config.Bias, config.AttentionScale);
        }

        ln_2 = NewNorm(config);
        mlp = new FeedForward(config.Dim, config.Hidden, config.Activation, config.Dropout, config.Bias);
        _preNorm = config.PreNorm;
        RegisterComponents();
    }

    /// <summary>The settings.</summary>
    public BlockConfig Config { get; }

    /// <summary>Sets the attention computation of every attention layer in the block.</summary>
    public AttentionKernel Kernel
    {
        set
        {
            attn.Kernel = value;
            if (cross_attn is not null) cross_attn.Kernel = value;
        }
    }

    /// <summary>Self-attention block over x (B, T, C), nothing masked.</summary>
    public override Tensor forward(Tensor x) => forward(x, null, false, null, null, null, null, null, 0);

    /// <summary>The block on x (B, T, C).</summary>
    /// <param name="x">Input tokens (B, T, C).</param>
    /// <param name="padding">(B, T) bool, true for real tokens; or null.</param>
    /// <param name="causal">Causal self-attention (decoders).</param>
    /// <param name="bias">Additive self-attention bias (T5's relative positions), or null.</param>
    /// <param name="memory">Encoder output (B, S, C) for cross-attention, or null.</param>
    /// <param name="memoryPadding">(B, S) bool for the encoder output, or null.</param>
    /// <param name="crossBias">Additive cross-attention bias, or null.</param>
    /// <param name="cache">KV cache for incremental decoding, or null.</param>
    /// <param name="layer">This block's index in the cache.</param>
    public Tensor forward(Tensor x, Tensor? padding, bool causal, Tensor? bias, Tensor? memory, Tensor? memoryPadding, Tensor? crossBias, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        if (_preNorm)
        {
            x = x + attn.forward(ln_1.forward(x), null, padding, causal, bias, cache, layer);
            if (cross_attn is not null && memory is not null) x = x + cross_attn.forward(ln_cross!.forward(x), memory, memoryPadding, false, crossBias, null, 0);
            x = x + mlp.forward(ln_2.forward(x));
        }
        else
        {
            x = ln_1.forward(x + attn.forward(x, null, padding, causal, bias, cache, layer));
            if (cross_attn is not null && memory is not null) x = ln_cross!.forward(x + cross_attn.forward(x, memory, memoryPadding, false, crossBias, null, 0));
            x = ln_2.forward(x + mlp.forward(x));
        }

        return x.MoveToOuterDisposeScope();
    }

    private static nn.Module<Tensor, Tensor> NewNorm(BlockConfig c) =>
        c.Norm == Norm.Rms ? new RmsNorm(c.Dim) : nn.LayerNorm(c.Dim, bias: c.Bias);
}

/// <summary>Tied input and output embeddings (Press &amp; Wolf 2017): next-token logits are x · Eᵀ with the token embedding E.</summary>
public static class TiedEmbeddings
{
    /// <summary>Logits (…, V) from hidden states (…, C) and the embedding matrix (V, C).</summary>
    public static Tensor Logits(Tensor hidden, Tensor embedding)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(embedding);
        if (hidden.shape[^1] != embedding.shape[1]) throw new ArgumentException($"Hidden width {hidden.shape[^1]} does not match the embedding width {embedding.shape[1]}.", nameof(hidden));
        return nn.functional.linear(hidden, embedding);
    }
}

/// <summary>
/// BERT's and GPT-2's initialisation (Hugging Face's <c>_init_weights</c>): every linear and embedding weight drawn from
/// N(0, std²) with std = 0.02, biases zero, LayerNorm scale one and shift zero. libtorch's defaults (uniform fan-in
/// linear weights, N(0, 1) embeddings) make a tied output layer's first logits large: a masked-LM starts far above
/// ln V nats.
/// </summary>
public static class TransformerInit
{
    /// <summary>Initialises every sub-module of <paramref name="module"/> in place.</summary>
    public static void Apply(nn.Module module, double std = 0.02)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var noGrad = no_grad();
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case Linear linear:
                    nn.init.normal_(linear.weight!, 0, std);
                    if (linear.bias is { } b) nn.init.zeros_(b);
                    break;
                case Embedding embedding:
                    nn.init.normal_(embedding.weight!, 0, std);
                    break;
                case LayerNorm norm:
                    if (norm.weight is { } w) nn.init.ones_(w);
                    if (norm.bias is { } nb) nn.init.zeros_(nb);
                    break;
            }
        }
    }
}
