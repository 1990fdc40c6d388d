// The softmax pieces of a score tile, one row at a time, fused so that each row is read once or twice instead of once
// per operation: max; exp(x − m) with its sum; and the backward's dS = scale · P ⊙ (dP − D). 256-bit vectors, scalar tail.
// NaN needs no special case: a NaN score makes exp(x − m) NaN, hence the row sum and the output row, as in the reference.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lineage.Neural.Attention;

/// <summary>Row operations of the attention tiles (fp32).</summary>
internal static unsafe class RowOps
{
    /// <summary>max over x[0..n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Max(float* x, int n)
    {
        int i = 0;
        float m = float.NegativeInfinity;
        if (n >= 8)
        {
            var v = Vector256.Load(x);
            for (i = 8; i + 8 <= n; i += 8) v = Vector256.Max(v, Vector256.Load(x + i));
            for (int j = 0; j < 8; j++) m = MathF.Max(m, v.GetElement(j));
        }

        for (; i < n; i++) m = MathF.Max(m, x[i]);
        return m;
    }

    /// <summary>x = exp(x − m) in place; returns Σ x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float ExpSum(float* x, int n, float m)
    {
        var vm = Vector256.Create(m);
        var sum = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var e = Vector256.Exp(Vector256.Load(x + i) - vm);
            e.Store(x + i);
            sum += e;
        }

        float s = Vector256.Sum(sum);
        for (; i < n; i++)
        {
            x[i] = MathF.Exp(x[i] - m);
            s += x[i];
        }

        return s;
    }

    /// <summary>ds = scale · p ⊙ (ds − delta) in place (ds holds dP on entry).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SoftmaxGrad(float* ds, float* p, int n, float delta, float scale)
    {
        var vd = Vector256.Create(delta);
        var vs = Vector256.Create(scale);
        int i = 0;
        for (; i + 8 <= n; i += 8) (Vector256.Load(p + i) * (Vector256.Load(ds + i) - vd) * vs).Store(ds + i);
        for (; i < n; i++) ds[i] = p[i] * (ds[i] - delta) * scale;
    }

    /// <summary>y = a · x (x and y may be the same).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(float* x, float a, float* y, int n)
    {
        var va = Vector256.Create(a);
        int i = 0;
        for (; i + 8 <= n; i += 8) (Vector256.Load(x + i) * va).Store(y + i);
        for (; i < n; i++) y[i] = x[i] * a;
    }
}
