// FlashAttention 3's low-precision path, simulated exactly in software (Shah et al. 2024, §3.3): Q, K, V are rounded to FP8
// e4m3 (1 sign, 4 exponent, 3 mantissa bits; the "fn" variant without infinities: largest 448, smallest normal 2⁻⁶,
// subnormal step 2⁻⁹) after dividing by a scale, one scale per block of rows (block quantisation) or one per tensor (the
// baseline), optionally after a random Hadamard rotation of Q and K (incoherent processing). The dequantised values then go
// through the fp32 kernel, so the error measured is the quantisation error alone.
// Deviations: the CPU has no FP8 units, so this measures accuracy, not speed; P is kept in fp32 (FA3 also casts P to FP8 for
// the second matmul); rounding is to nearest, ties to even, saturating at ±448 as the hardware's saturating conversion does.
// Shapes: q (B, H, Tq, D); k, v (B, G, Tk, D); blocks are runs of BlockRows rows within one (batch, head).
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>How FP8 scales are chosen.</summary>
public enum Fp8Scaling
{
    /// <summary>One scale for the whole tensor (the baseline FP8 attention of the FA3 paper).</summary>
    PerTensor,
    /// <summary>One scale per block of rows of one head (FA3's block quantisation).</summary>
    PerBlock,
}

/// <summary>The FP8 e4m3 number format.</summary>
public static class Fp8E4M3
{
    /// <summary>Largest finite value.</summary>
    public const float Max = 448f;

    /// <summary>The e4m3 value nearest to <paramref name="x"/> (ties to even), saturating at ±448; NaN stays NaN.</summary>
    public static float Round(float x)
    {
        if (float.IsNaN(x)) return x;
        float a = MathF.Abs(x);
        if (a >= Max) return MathF.CopySign(Max, x);
        if (a == 0) return x;
        int exponent = Math.Max(MathF.ILogB(a), -6);                        // below 2⁻⁶ the step stays 2⁻⁹ (subnormals)
        float step = MathF.ScaleB(1f, exponent - 3);                       // 3 mantissa bits
        float q = MathF.Round(a / step, MidpointRounding.ToEven) * step;   // exact: step is a power of two
        return MathF.CopySign(MathF.Min(q, Max), x);
    }

    /// <summary>
    /// x rounded through FP8 and scaled back: x̂ = s · round(x / s) with s = amax / 448 per tensor or per block of
    /// <paramref name="blockRows"/> rows of each (batch, head). A new fp32 tensor of x's shape (…, T, D).
    /// </summary>
    public static Tensor QuantizeDequantize(Tensor x, Fp8Scaling scaling, int blockRows = 64)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockRows, 1);
        if (x.dim() < 2) throw new ArgumentException($"Expected (…, T, D); got ({string.Join(", ", x.shape)}).", nameof(x));
        var data = x.to(ScalarType.Float32).contiguous().data<float>().ToArray();
        int d = (int)x.shape[^1], t = (int)x.shape[^2];
        int block = scaling == Fp8Scaling.PerTensor ? data.Length : Math.Min(blockRows, t) * d;
        int rowsPerHead = t * d;
        for (int head = 0; head < data.Length; head += scaling == Fp8Scaling.PerTensor ? data.Length : rowsPerHead)
        {
            int headEnd = scaling == Fp8Scaling.PerTensor ? data.Length : head + rowsPerHead;
            for (int start = head; start < headEnd; start += block)
            {
                var span = data.AsSpan(start, Math.Min(block, headEnd - start));
                float amax = 0;
                foreach (float v in span) amax = MathF.Max(amax, MathF.Abs(v));
                float scale = amax > 0 && float.IsFinite(amax) ? amax / Max : 1f;
                for (int i = 0; i < span.Length; i++) span[i] = Round(span[i] / scale) * scale;
            }
        }

        return tensor(data, x.shape);
    }
}

/// <summary>One FP8 attention configuration.</summary>
/// <param name="Scaling">Per tensor (baseline) or per block.</param>
/// <param name="Rotate">Incoherent processing: the same random Hadamard rotation of Q and K before quantising.</param>
/// <param name="BlockRows">Rows per block (FA3's tile height).</param>
/// <param name="Seed">Seeds the rotation's signs.</param>
public sealed record Fp8Options(Fp8Scaling Scaling, bool Rotate, int BlockRows = 64, int Seed = 1)
{
    /// <summary>"per-block + Hadamard" and so on.</summary>
    public string Label => (Scaling == Fp8Scaling.PerBlock ? "per-block" : "per-tensor") + (Rotate ? " + Hadamard" : "");
}

/// <summary>FP8 attention simulated in software, and its error against fp32 attention.</summary>
public static class Fp8Attention
{
    /// <summary>Attention of FP8-rounded q, k, v (q and k rotated first when asked), computed by the fp32 kernel.</summary>
    public static Tensor Forward(Tensor q, Tensor k, Tensor v, bool causal, Fp8Options options)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(options);
        using var scope = NewDisposeScope();
        if (options.Rotate)
        {
            var rotation = new RandomHadamard((int)q.shape[^1], options.Seed);
            q = rotation.Apply(q);                                          // (QM)(KM)ᵀ = QKᵀ
            k = rotation.Apply(k);
        }

        var q8 = Fp8E4M3.QuantizeDequantize(q, options.Scaling, options.BlockRows);
        var k8 = Fp8E4M3.QuantizeDequantize(k, options.Scaling, options.BlockRows);
        var v8 = Fp8E4M3.QuantizeDequantize(v, options.Scaling, options.BlockRows);
        var (o, _) = FlashAttention.Forward(q8, k8, v8, new FlashOptions(Causal: causal));
        return o.MoveToOuterDisposeScope();
    }

    /// <summary>Root-mean-square error of FP8 attention against fp32 attention on the same inputs (the FA3 paper's measure).</summary>
    public static double Rmse(Tensor q, Tensor k, Tensor v, bool causal, Fp8Options options)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (exact, _) = FlashAttention.Forward(q, k, v, new FlashOptions(Causal: causal));
        var approx = Forward(q, k, v, causal, options);
        return (approx - exact).square().mean().sqrt().item<float>();
    }

    /// <summary>The FA3 paper's test inputs: standard normal entries, of which a fraction <paramref name="outlierFraction"/>
    /// (0.1 % in the paper) are drawn with standard deviation <paramref name="outlierScale"/> (10) instead.</summary>
    public static Tensor OutlierEntries(long[] shape, double outlierFraction = 0.001, double outlierScale = 10, Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        var x = randn(shape, generator: generator);
        var outliers = rand(shape, generator: generator) < outlierFraction;
        return where(outliers, x * outlierScale, x).MoveToOuterDisposeScope();
    }

    /// <summary>Per-channel gains for inputs with outlier channels, as LLM activations have: 1, except
    /// <paramref name="channels"/> channels chosen at random with gain <paramref name="scale"/>. Multiplying Q and K by the
    /// same gains puts their outliers in the same channels, where the products q_c·k_c dominate every score.</summary>
    public static Tensor OutlierChannelGains(long dim, int channels = 2, double scale = 20, Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        var gain = ones(dim);
        gain.index_fill_(0, randperm(dim, generator: generator).narrow(0, 0, channels), scale);
        return gain.MoveToOuterDisposeScope();
    }
}
