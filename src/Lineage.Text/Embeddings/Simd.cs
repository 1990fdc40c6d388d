// The vector kernels every embedding trainer spends its time in: a dot product and y += a·x (and the two of them fused
// for negative sampling's row update). With AVX-512 they use 16-float registers and 8- and 4-float tails (Vector<float>
// stays 8 floats there unless DOTNET_PreferredVectorBitWidth=512); otherwise Vector<float> and a scalar tail.
// Checked against plain loops for every length 1..130 in tests/Lineage.Text.Tests/Embeddings/SimdTests.cs.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lineage.Text.Embeddings;

/// <summary>SIMD dot product and AXPY over raw float pointers (no bounds checks: callers own the ranges).</summary>
internal static unsafe class Simd
{
    /// <summary>Σ x[i]·y[i] over n floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* x, float* y, int n)
    {
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            return Dot512(x, y, n);
        }

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

    /// <summary>
    /// <see cref="Dot"/> with 16-float AVX-512 registers (Vector&lt;float&gt; stays 8 wide on AVX-512 machines unless
    /// DOTNET_PreferredVectorBitWidth says otherwise) and 8- and 4-float tails, so that e.g. 100 floats take 6 + 1 vector
    /// steps and no scalar ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot512(float* x, float* y, int n)
    {
        int i = 0;
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        for (; i <= n - 32; i += 32)
        {
            acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), acc0);
            acc1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i + 16), Vector512.Load(y + i + 16), acc1);
        }

        if (i <= n - 16)
        {
            acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), acc0);
            i += 16;
        }

        acc0 += acc1;
        var acc = acc0.GetLower() + acc0.GetUpper();
        if (i <= n - 8)
        {
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(x + i), Vector256.Load(y + i), acc);
            i += 8;
        }

        var acc4 = acc.GetLower() + acc.GetUpper();
        if (i <= n - 4)
        {
            acc4 = Vector128.FusedMultiplyAdd(Vector128.Load(x + i), Vector128.Load(y + i), acc4);
            i += 4;
        }

        float sum = Vector128.Sum(acc4);
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
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var a16 = Vector512.Create(a);
            for (; i <= n - 16; i += 16)
            {
                Vector512.FusedMultiplyAdd(a16, Vector512.Load(x + i), Vector512.Load(y + i)).Store(y + i);
            }

            if (i <= n - 8)
            {
                Vector256.FusedMultiplyAdd(Vector256.Create(a), Vector256.Load(x + i), Vector256.Load(y + i)).Store(y + i);
                i += 8;
            }

            if (i <= n - 4)
            {
                Vector128.FusedMultiplyAdd(Vector128.Create(a), Vector128.Load(x + i), Vector128.Load(y + i)).Store(y + i);
                i += 4;
            }
        }
        else
        {
            int w = Vector<float>.Count;
            var va = new Vector<float>(a);
            for (; i <= n - w; i += w)
            {
                Unsafe.WriteUnaligned(y + i, Unsafe.ReadUnaligned<Vector<float>>(y + i) + va * Unsafe.ReadUnaligned<Vector<float>>(x + i));
            }
        }

        for (; i < n; i++)
        {
            y[i] += a * x[i];
        }
    }

    /// <summary>
    /// The two updates of one output row in negative sampling, in one pass: e[i] += g·u[i] (with u before its update),
    /// then u[i] += g·v[i]. Equal to Axpy(g, u, e, n) followed by Axpy(g, v, u, n) when e, u and v do not overlap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AxpyBoth(float g, float* v, float* u, float* e, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var g16 = Vector512.Create(g);
            for (; i <= n - 16; i += 16)
            {
                var ui = Vector512.Load(u + i);
                Vector512.FusedMultiplyAdd(g16, ui, Vector512.Load(e + i)).Store(e + i);
                Vector512.FusedMultiplyAdd(g16, Vector512.Load(v + i), ui).Store(u + i);
            }

            if (i <= n - 8)
            {
                var g8 = Vector256.Create(g);
                var ui = Vector256.Load(u + i);
                Vector256.FusedMultiplyAdd(g8, ui, Vector256.Load(e + i)).Store(e + i);
                Vector256.FusedMultiplyAdd(g8, Vector256.Load(v + i), ui).Store(u + i);
                i += 8;
            }

            if (i <= n - 4)
            {
                var g4 = Vector128.Create(g);
                var ui = Vector128.Load(u + i);
                Vector128.FusedMultiplyAdd(g4, ui, Vector128.Load(e + i)).Store(e + i);
                Vector128.FusedMultiplyAdd(g4, Vector128.Load(v + i), ui).Store(u + i);
                i += 4;
            }
        }
        else
        {
            Axpy(g, u, e, n);
            Axpy(g, v, u, n);
            return;
        }

        for (; i < n; i++)
        {
            float ui = u[i];
            e[i] += g * ui;
            u[i] = ui + g * v[i];
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

    /// <summary><see cref="Sigmoid(float)"/> of 8 values at once (Vector256.Exp: within a few ulp of MathF.Exp, not bit-equal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> f)
    {
        var clamped = Vector256.Min(Vector256.Max(f, Vector256.Create(-30f)), Vector256.Create(30f));
        var s = Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-clamped));
        s = Vector256.ConditionalSelect(Vector256.GreaterThan(f, Vector256.Create(30f)), Vector256<float>.One, s);
        return Vector256.ConditionalSelect(Vector256.LessThan(f, Vector256.Create(-30f)), Vector256<float>.Zero, s);
    }
}
