// The small pieces the transformer models share: the feed-forward layer, RMSNorm, tied output embeddings, BERT's and
// GPT-2's N(0, 0.02) initialisation, and the pre-norm TransformerBlock of ViT, Swin, the CLIP/SigLIP text tower and the
// VLA. BERT (BertLayer), GPT (GptBlock) and T5 (T5Block) keep blocks of their own in their model files.
// Paper:   Vaswani et al. 2017, "Attention Is All You Need", arXiv:1706.03762 (§3.3 feed-forward); Zhang & Sennrich 2019
//          (RMSNorm); Press & Wolf 2017 (tied embeddings); Xiong et al. 2020 (pre-norm).
// Shapes:  B batch, T tokens, C width, F feed-forward units.
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
            Activation.GeluTanh => GeluTanh(h),
            _ => nn.functional.relu(h),
        };
        return dropout.forward(fc_out.forward(dropout.forward(h))).MoveToOuterDisposeScope();
    }

    /// <summary>GELU with the tanh approximation (GPT-2's "gelu_new"): ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    /// <remarks>libtorch's fused kernel (<c>gelu(approximate='tanh')</c>, one op forward and one backward), not the
    /// formula written out in eight (bench/pytorch measured the difference in a GPT step).</remarks>
    public static Tensor GeluTanh(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh);
    }
}

/// <summary>Settings of the shared pre-norm block.</summary>
/// <param name="Dim">Model width C.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="Hidden">Feed-forward units (4·C in most models).</param>
/// <param name="Dropout">Dropout on attention weights and residual branches.</param>
/// <param name="Activation">Feed-forward non-linearity.</param>
public sealed record BlockConfig(int Dim, int Heads, int Hidden, double Dropout = 0.1, Activation Activation = Activation.Gelu);

/// <summary>
/// The pre-norm transformer layer that ViT, Swin, the CLIP/SigLIP text tower and the VLA's decoder share (GPT-2's
/// ordering, Xiong et al. 2020): x += attn(ln_1(x)); x += mlp(ln_2(x)). BERT (post-norm), GPT-2 (its own names) and
/// T5 (RMSNorm, cross-attention) have blocks of their own in their files.
/// </summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly MultiHeadAttention attn;
    private readonly LayerNorm ln_2;
    private readonly FeedForward mlp;

    /// <summary>A block with these settings.</summary>
    public TransformerBlock(BlockConfig config) : base(nameof(TransformerBlock))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        ln_1 = nn.LayerNorm(config.Dim);
        attn = new MultiHeadAttention(config.Dim, config.Heads, config.Dropout);
        ln_2 = nn.LayerNorm(config.Dim);
        mlp = new FeedForward(config.Dim, config.Hidden, config.Activation, config.Dropout);
        RegisterComponents();
    }

    /// <summary>The settings.</summary>
    public BlockConfig Config { get; }

    /// <summary>Sets the attention computation.</summary>
    public AttentionKernel Kernel
    {
        set => attn.Kernel = value;
    }

    /// <summary>Self-attention block over x (B, T, C), nothing masked.</summary>
    public override Tensor forward(Tensor x) => forward(x, null);

    /// <summary>The block on x (B, T, C).</summary>
    /// <param name="x">Tokens (B, T, C).</param>
    /// <param name="padding">(B, T) bool, true for real tokens; or null.</param>
    /// <param name="causal">Each token sees only earlier ones.</param>
    /// <param name="bias">Additive attention bias (Swin's relative positions), or null.</param>
    public Tensor forward(Tensor x, Tensor? padding, bool causal = false, Tensor? bias = null)
    {
        using var scope = NewDisposeScope();
        x = x + attn.forward(ln_1.forward(x), padding, causal, bias);
        x = x + mlp.forward(ln_2.forward(x));
        return x.MoveToOuterDisposeScope();
    }
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
