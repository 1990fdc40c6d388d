// Multi-head attention with separate query, key, value and output projections (q, k, v, o), used by BERT, T5, ViT,
// Swin, CLIP and the VLA (GPT keeps GPT-2's fused c_attn in Gpt.cs), and the KV cache that incremental decoding uses.
// Paper:   Vaswani et al. 2017, "Attention Is All You Need", §3.2.2.
// Shapes:  B batch, Tq queries, Tk keys, C width, H heads, D = C/H.
using Lineage.Neural.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers;

/// <summary>Keys and values of earlier positions, per layer, so that generating token t costs O(t) instead of O(t²).</summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    /// <summary>An empty cache for <paramref name="layers"/> attention layers.</summary>
    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>Positions cached so far (in layer 0).</summary>
    public long Length => _keys[0]?.shape[2] ?? 0;

    /// <summary>Appends this step's keys and values (B, H, Tnew, D) to layer <paramref name="layer"/> and returns all of them.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(values);
        var k = _keys[layer] is { } oldK ? cat([oldK, keys], 2) : keys.alias();
        var v = _values[layer] is { } oldV ? cat([oldV, values], 2) : values.alias();
        _keys[layer]?.Dispose();
        _values[layer]?.Dispose();
        _keys[layer] = k.DetachFromDisposeScope();
        _values[layer] = v.DetachFromDisposeScope();
        return (k, v);
    }

    /// <summary>Frees the cached tensors.</summary>
    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values)) t?.Dispose();
        Array.Clear(_keys);
        Array.Clear(_values);
    }
}

/// <summary>
/// Multi-head attention (Vaswani et al. 2017, §3.2.2): project to H heads of queries, keys and values, attend in each
/// head, concatenate, project back: self-attention (<c>forward</c>) or cross-attention (<see cref="Cross"/>: queries from x,
/// keys and values from an encoder's output). Padding and causal masks, an additive position bias (T5) and a KV
/// cache; <see cref="AttentionKernel"/> picks the written-out or the fused computation.
/// </summary>
public sealed class MultiHeadAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear q;
    private readonly Linear k;
    private readonly Linear v;
    private readonly Linear o;
    private readonly Dropout resid_dropout;
    private readonly int _heads;
    private readonly int _headDim;
    private readonly double _dropout;
    private readonly double? _scale;

    /// <summary>Attention over <paramref name="dim"/>-wide tokens with <paramref name="heads"/> heads.</summary>
    /// <param name="dim">Model width C (divisible by <paramref name="heads"/>).</param>
    /// <param name="heads">Number of heads H; each has C/H dimensions.</param>
    /// <param name="dropout">Dropout on the attention weights and on the output.</param>
    /// <param name="bias">Biases in the four projections (BERT and GPT-2 have them, T5 does not).</param>
    /// <param name="scale">Score scale; null for 1/√(C/H). T5 uses 1 (its initialisation absorbs the scale).</param>
    public MultiHeadAttention(int dim, int heads, double dropout = 0.0, bool bias = true, double? scale = null) : base(nameof(MultiHeadAttention))
    {
        if (heads < 1 || dim % heads != 0) throw new ArgumentException($"The width ({dim}) must be divisible by the number of heads ({heads}).", nameof(heads));
        q = nn.Linear(dim, dim, hasBias: bias);
        k = nn.Linear(dim, dim, hasBias: bias);
        v = nn.Linear(dim, dim, hasBias: bias);
        o = nn.Linear(dim, dim, hasBias: bias);
        resid_dropout = nn.Dropout(dropout);
        (_heads, _headDim, _dropout, _scale) = (heads, dim / heads, dropout, scale);
        RegisterComponents();
    }

    /// <summary>Which computation runs (default: the fused one).</summary>
    public AttentionKernel Kernel { get; set; } = AttentionKernel.Sdpa;

    /// <summary>Self-attention over x (B, T, C), nothing masked.</summary>
    public override Tensor forward(Tensor x) => forward(x, null);

    /// <summary>Self-attention of x (B, T, C).</summary>
    /// <param name="x">Tokens (B, T, C).</param>
    /// <param name="keyPadding">(B, Tk) bool, true for real tokens; or null.</param>
    /// <param name="causal">Each query sees only keys at or before its position.</param>
    /// <param name="bias">Additive bias broadcastable to (B, H, T, Tk) (T5's or Swin's relative positions), or null.</param>
    /// <param name="cache">Earlier positions' keys and values (Tk = cached + T), extended by this call; or null.</param>
    /// <param name="layer">This layer's index in <paramref name="cache"/>.</param>
    /// <returns>(B, T, C).</returns>
    public Tensor forward(Tensor x, Tensor? keyPadding, bool causal = false, Tensor? bias = null, KvCache? cache = null, int layer = 0) =>
        Attend(x, x, keyPadding, causal, bias, cache, layer);

    /// <summary>Cross-attention: queries from x (B, Tq, C), keys and values from <paramref name="memory"/> (B, Tk, C), an encoder's output.</summary>
    /// <param name="x">Queries' tokens.</param>
    /// <param name="memory">Keys' and values' tokens.</param>
    /// <param name="memoryPadding">(B, Tk) bool, true for real tokens; or null.</param>
    public Tensor Cross(Tensor x, Tensor memory, Tensor? memoryPadding) =>
        Attend(x, memory ?? throw new ArgumentNullException(nameof(memory)), memoryPadding, false, null, null, 0);

    private Tensor Attend(Tensor x, Tensor source, Tensor? keyPadding, bool causal, Tensor? bias, KvCache? cache, int layer)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 3 || x.shape[2] != _heads * _headDim) throw new ArgumentException($"Expected (B, T, {_heads * _headDim}); got ({string.Join(", ", x.shape)}).", nameof(x));
        using var scope = NewDisposeScope();
        long b = x.shape[0], tq = x.shape[1];
        var qh = Heads(q.forward(x));                      // (B, H, Tq, D)
        var kh = Heads(k.forward(source));                 // (B, H, Tk, D)
        var vh = Heads(v.forward(source));
        if (cache is not null) (kh, vh) = cache.Append(layer, kh, vh);
        var y = ScaledDotProduct.Attend(Kernel, qh, kh, vh, keyPadding, causal, bias, training ? _dropout : 0, _scale);   // (B, H, Tq, D)
        y = y.transpose(1, 2).reshape(b, tq, _heads * _headDim);                               // heads side by side
        return resid_dropout.forward(o.forward(y)).MoveToOuterDisposeScope();
    }

    private Tensor Heads(Tensor t) => t.reshape(t.shape[0], t.shape[1], _heads, _headDim).transpose(1, 2);
}
