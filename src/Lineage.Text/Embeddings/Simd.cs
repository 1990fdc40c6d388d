// The two vector kernels every embedding trainer spends its time in: a dot product and y += a·x.
// Vector<float> is 8 floats with AVX2 (16 with AVX-512); the tail is scalar.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Lineage.Text.Embeddings;

/// <summary>SIMD dot product and AXPY over raw float pointers (no bounds checks: callers own the ranges).</summary>
internal static unsafe class Simd
{
    /// <summary>Σ x[i]·y[i] over n floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* x, float* y, int n)
    {
        int w = Vector<float>.Count, i = 0;
        var acc0 = Vector<float>.Zero;
        var acc1 = Vector<float>.Zero;
        for (; i <= n - 2 * w; i += 2 * w)
        {
            acc0 += Unsafe.ReadUnaligned<Vector<float>>(x + i) * Unsafe.ReadUnaligned<Vector<float>>(y + i);
            acc1 += Unsafe.ReadUnaligned<Vector<float>>(x + i + w) * Unsafe.ReadUnaligned<Vector<float>>(y + i + w);
        }

        for (; i <= n - w; i += w)
        {
            acc0 += Unsafe.ReadUnaligned<Vector<float>>(x + i) * Unsafe.ReadUnaligned<Vector<float>>(y + i);
        }

        float sum = Vector.Sum(acc0 + acc1);
        for (; i < n; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    /// <summary>y[i] += a·x[i] over n floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy(float a, float* x, float* y, int n)
    {
        int w = Vector<float>.Count, i = 0;
        var va = new Vector<float>(a);
        for (; i <= n - w; i += w)
        {
            Unsafe.WriteUnaligned(y + i, Unsafe.ReadUnaligned<Vector<float>>(y + i) + va * Unsafe.ReadUnaligned<Vector<float>>(x + i));
        }

        for (; i < n; i++)
        {
            y[i] += a * x[i];
        }
    }

    /// <summary>x[i] *= a over n floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scale(float a, float* x, int n)
    {
        for (int i = 0; i < n; i++)
        {
            x[i] *= a;
        }
    }

    /// <summary>x[i] = 0 over n floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Clear(float* x, int n) => new Span<float>(x, n).Clear();

    /// <summary>Asks for the cache lines of n floats at x (a hint: no effect on results, none without SSE).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(float* x, int n)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        byte* p = (byte*)x, last = (byte*)(x + n) - 1;
        for (; p <= last; p += 64)
        {
            Sse.Prefetch0(p);
        }

        Sse.Prefetch0(last); // a row that starts mid-line spans one more line
    }

    /// <summary>The logistic function, saturated beyond ±30 so exp never overflows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float f) => f > 30f ? 1f : f < -30f ? 0f : 1f / (1f + MathF.Exp(-f));
}
