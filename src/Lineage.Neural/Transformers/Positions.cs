// Where a token is: fixed sinusoidal positions (Vaswani et al. 2017, §3.5), learned absolute positions (BERT, ViT,
// CLIP) and T5's bucketed relative position bias (Raffel et al. 2020, §2.1; Shaw et al. 2018).
// Shapes:  T tokens, C width, H heads.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers;

/// <summary>
/// Fixed sinusoidal positions (Vaswani et al. 2017, §3.5): PE(p, 2i) = sin(p / 10000^(2i/C)), PE(p, 2i+1) = cos(…).
/// Nothing to learn, defined for any length; relative offsets are linear maps of these vectors.
/// </summary>
public static class SinusoidalPositions
{
    /// <summary>Positions <paramref name="start"/> … start+T−1 as a float32 (T, C) tensor.</summary>
    public static Tensor Encode(long length, int dim, long start = 0, Device? device = null)
    {
        if (dim % 2 != 0) throw new ArgumentException($"Sinusoidal positions need an even width; got {dim}.", nameof(dim));
        using var scope = NewDisposeScope();
        var position = arange(start, start + length, dtype: ScalarType.Float32, device: device).unsqueeze(1);            // (T, 1)
        var frequency = exp(arange(0, dim, 2, dtype: ScalarType.Float32, device: device) * (float)(-Math.Log(10000.0) / dim)); // (C/2)
        var angles = position * frequency;                                                                                  // (T, C/2)
        // Interleave: even columns sin, odd columns cos.
        return stack([angles.sin(), angles.cos()], dim: 2).reshape(length, dim).MoveToOuterDisposeScope();
    }
}

/// <summary>Learned absolute positions (BERT, GPT-2): one trained vector per position up to a maximum length.</summary>
public sealed class LearnedPositions : nn.Module<Tensor, Tensor>
{
    private readonly Embedding wpe;

    /// <summary>Positions 0 … <paramref name="maxLength"/>−1 of width <paramref name="dim"/>.</summary>
    public LearnedPositions(int maxLength, int dim) : base(nameof(LearnedPositions))
    {
        MaxLength = maxLength;
        wpe = nn.Embedding(maxLength, dim);
        RegisterComponents();
    }

    /// <summary>The longest sequence the model can take.</summary>
    public int MaxLength { get; }

    /// <summary>The vectors of positions given as an int64 tensor (any shape).</summary>
    /// <exception cref="ArgumentException">A position at or beyond <see cref="MaxLength"/>.</exception>
    public override Tensor forward(Tensor positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        long max = positions.numel() == 0 ? 0 : positions.max().item<long>();
        if (max >= MaxLength) throw new ArgumentException($"Position {max} is beyond the model's context of {MaxLength} tokens.", nameof(positions));
        return wpe.forward(positions);
    }
}

/// <summary>
/// T5's relative position bias (Raffel et al. 2020, §2.1; Shaw et al. 2018): each head learns one scalar per bucket of the
/// offset (key position − query position), added to the attention scores. Buckets are exact for small offsets and
/// logarithmic up to <c>maxDistance</c>; the encoder's buckets distinguish left from right, the decoder's (causal) do not.
/// Shared by all layers of a stack (only the first layer owns it).
/// </summary>
public sealed class RelativePositionBias : nn.Module<Tensor, Tensor>
{
    private readonly Embedding relative_attention_bias;
    private readonly int _buckets;
    private readonly int _maxDistance;
    private readonly bool _bidirectional;

    /// <summary>A bias table of <paramref name="buckets"/> × <paramref name="heads"/>.</summary>
    public RelativePositionBias(int heads, bool bidirectional, int buckets = 32, int maxDistance = 128) : base(nameof(RelativePositionBias))
    {
        relative_attention_bias = nn.Embedding(buckets, heads);
        (_buckets, _maxDistance, _bidirectional) = (buckets, maxDistance, bidirectional);
        RegisterComponents();
    }

    /// <summary>The bucket of an offset (key − query), as T5 computes it.</summary>
    public static int Bucket(int relative, bool bidirectional, int buckets = 32, int maxDistance = 128)
    {
        int result = 0;
        int n = buckets;
        if (bidirectional)
        {
            n /= 2;
            if (relative > 0) result += n;
            relative = Math.Abs(relative);
        }
        else
        {
            relative = -Math.Min(relative, 0);
        }

        int maxExact = n / 2;
        if (relative < maxExact) return result + relative;
        // float32 as in the reference implementation, so bucket edges agree.
        int large = maxExact + (int)(MathF.Log(relative / (float)maxExact) / MathF.Log(maxDistance / (float)maxExact) * (n - maxExact));
        return result + Math.Min(large, n - 1);
    }

    /// <summary>Bias (1, H, Tq, Tk) for queries at positions offset … offset+Tq−1 and keys 0 … Tk−1.</summary>
    public Tensor forward(long tq, long tk, long queryOffset = 0)
    {
        var buckets = new long[tq * tk];
        for (long i = 0; i < tq; i++)
        {
            for (long j = 0; j < tk; j++) buckets[i * tk + j] = Bucket((int)(j - (i + queryOffset)), _bidirectional, _buckets, _maxDistance);
        }

        using var scope = NewDisposeScope();
        var index = tensor(buckets, [tq, tk], device: relative_attention_bias.weight!.device);
        return relative_attention_bias.forward(index).permute(2, 0, 1).unsqueeze(0).MoveToOuterDisposeScope();   // (1, H, Tq, Tk)
    }

    /// <summary>Use <see cref="forward(long, long, long)"/>; this overload takes (Tq, Tk) as a 2-element int64 tensor.</summary>
    public override Tensor forward(Tensor shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return forward(shape[0].item<long>(), shape[1].item<long>());
    }
}
