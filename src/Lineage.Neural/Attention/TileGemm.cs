// The one matrix product every FlashAttention tile needs: C (+)= A · B for small row-major tiles, with A read through
// arbitrary strides so that a transposed operand (Pᵀ, dSᵀ) costs nothing. Register-blocked: 4 rows of C × 32 columns
// (four 256-bit vectors; 64 columns with 512-bit vectors where the CPU has them) are 16 accumulators that stay in registers while k runs, each step loading 4 vectors of B and
// broadcasting 4 scalars of A into 16 fused multiply-adds.
// Shapes: A (M, K) with element (i, p) at a[i·aRow + p·aCol]; B (K, N) row-major with leading dimension ldb; C (M, N)
// row-major with leading dimension ldc.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lineage.Neural.Attention;

/// <summary>Small dense products for attention tiles (fp32, 256-bit vectors, fused multiply-add).</summary>
internal static unsafe class TileGemm
{
    /// <summary>C = A·B, or C += A·B when <paramref name="accumulate"/>.</summary>
    public static void Multiply(int m, int n, int k, float* a, long aRow, long aCol, float* b, long ldb, float* c, long ldc, bool accumulate)
    {
        int i = 0;
        for (; i + 4 <= m; i += 4) FourRows(n, k, a + i * aRow, aRow, aCol, b, ldb, c + i * ldc, ldc, accumulate);
        for (; i < m; i++) OneRow(n, k, a + i * aRow, aCol, b, ldb, c + i * ldc, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRows(int n, int k, float* a, long aRow, long aCol, float* b, long ldb, float* c, long ldc, bool accumulate)
    {
        float* a0 = a, a1 = a + aRow, a2 = a + 2 * aRow, a3 = a + 3 * aRow;
        float* c0 = c, c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc;
        int j = Vector512.IsHardwareAccelerated ? FourRowsWide(n, k, a0, a1, a2, a3, aCol, b, ldb, c0, c1, c2, c3, accumulate) : 0;
        for (; j + 32 <= n; j += 32)
        {
            Vector256<float> s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33;
            if (accumulate)
            {
                s00 = Vector256.Load(c0 + j); s01 = Vector256.Load(c0 + j + 8); s02 = Vector256.Load(c0 + j + 16); s03 = Vector256.Load(c0 + j + 24);
                s10 = Vector256.Load(c1 + j); s11 = Vector256.Load(c1 + j + 8); s12 = Vector256.Load(c1 + j + 16); s13 = Vector256.Load(c1 + j + 24);
                s20 = Vector256.Load(c2 + j); s21 = Vector256.Load(c2 + j + 8); s22 = Vector256.Load(c2 + j + 16); s23 = Vector256.Load(c2 + j + 24);
                s30 = Vector256.Load(c3 + j); s31 = Vector256.Load(c3 + j + 8); s32 = Vector256.Load(c3 + j + 16); s33 = Vector256.Load(c3 + j + 24);
            }
            else
            {
                s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = Vector256<float>.Zero;
            }

            float* bp = b + j;
            long ap = 0;
            for (int p = 0; p < k; p++, bp += ldb, ap += aCol)
            {
                var b0 = Vector256.Load(bp);
                var b1 = Vector256.Load(bp + 8);
                var b2 = Vector256.Load(bp + 16);
                var b3 = Vector256.Load(bp + 24);
                var x = Vector256.Create(a0[ap]);
                s00 = Vector256.FusedMultiplyAdd(x, b0, s00); s01 = Vector256.FusedMultiplyAdd(x, b1, s01);
                s02 = Vector256.FusedMultiplyAdd(x, b2, s02); s03 = Vector256.FusedMultiplyAdd(x, b3, s03);
                x = Vector256.Create(a1[ap]);
                s10 = Vector256.FusedMultiplyAdd(x, b0, s10); s11 = Vector256.FusedMultiplyAdd(x, b1, s11);
                s12 = Vector256.FusedMultiplyAdd(x, b2, s12); s13 = Vector256.FusedMultiplyAdd(x, b3, s13);
                x = Vector256.Create(a2[ap]);
                s20 = Vector256.FusedMultiplyAdd(x, b0, s20); s21 = Vector256.FusedMultiplyAdd(x, b1, s21);
                s22 = Vector256.FusedMultiplyAdd(x, b2, s22); s23 = Vector256.FusedMultiplyAdd(x, b3, s23);
                x = Vector256.Create(a3[ap]);
                s30 = Vector256.FusedMultiplyAdd(x, b0, s30); s31 = Vector256.FusedMultiplyAdd(x, b1, s31);
                s32 = Vector256.FusedMultiplyAdd(x, b2, s32); s33 = Vector256.FusedMultiplyAdd(x, b3, s33);
            }

            s00.Store(c0 + j); s01.Store(c0 + j + 8); s02.Store(c0 + j + 16); s03.Store(c0 + j + 24);
            s10.Store(c1 + j); s11.Store(c1 + j + 8); s12.Store(c1 + j + 16); s13.Store(c1 + j + 24);
            s20.Store(c2 + j); s21.Store(c2 + j + 8); s22.Store(c2 + j + 16); s23.Store(c2 + j + 24);
            s30.Store(c3 + j); s31.Store(c3 + j + 8); s32.Store(c3 + j + 16); s33.Store(c3 + j + 24);
        }

        for (; j + 8 <= n; j += 8)
        {
            var s0 = accumulate ? Vector256.Load(c0 + j) : Vector256<float>.Zero;
            var s1 = accumulate ? Vector256.Load(c1 + j) : Vector256<float>.Zero;
            var s2 = accumulate ? Vector256.Load(c2 + j) : Vector256<float>.Zero;
            var s3 = accumulate ? Vector256.Load(c3 + j) : Vector256<float>.Zero;
            float* bp = b + j;
            long ap = 0;
            for (int p = 0; p < k; p++, bp += ldb, ap += aCol)
            {
                var bv = Vector256.Load(bp);
                s0 = Vector256.FusedMultiplyAdd(Vector256.Create(a0[ap]), bv, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Create(a1[ap]), bv, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Create(a2[ap]), bv, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Create(a3[ap]), bv, s3);
            }

            s0.Store(c0 + j); s1.Store(c1 + j); s2.Store(c2 + j); s3.Store(c3 + j);
        }

        for (; j < n; j++)
        {
            float s0 = accumulate ? c0[j] : 0, s1 = accumulate ? c1[j] : 0, s2 = accumulate ? c2[j] : 0, s3 = accumulate ? c3[j] : 0;
            long ap = 0;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += ldb, ap += aCol)
            {
                float bv = *bp;
                s0 += a0[ap] * bv; s1 += a1[ap] * bv; s2 += a2[ap] * bv; s3 += a3[ap] * bv;
            }

            c0[j] = s0; c1[j] = s1; c2[j] = s2; c3[j] = s3;
        }
    }

    /// <summary>The same 4 × 16 accumulators with 512-bit vectors: 4 rows × 64 columns per pass; returns the columns done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FourRowsWide(int n, int k, float* a0, float* a1, float* a2, float* a3, long aCol, float* b, long ldb,
                                    float* c0, float* c1, float* c2, float* c3, bool accumulate)
    {
        int j = 0;
        for (; j + 64 <= n; j += 64)
        {
            Vector512<float> s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33;
            if (accumulate)
            {
                s00 = Vector512.Load(c0 + j); s01 = Vector512.Load(c0 + j + 16); s02 = Vector512.Load(c0 + j + 32); s03 = Vector512.Load(c0 + j + 48);
                s10 = Vector512.Load(c1 + j); s11 = Vector512.Load(c1 + j + 16); s12 = Vector512.Load(c1 + j + 32); s13 = Vector512.Load(c1 + j + 48);
                s20 = Vector512.Load(c2 + j); s21 = Vector512.Load(c2 + j + 16); s22 = Vector512.Load(c2 + j + 32); s23 = Vector512.Load(c2 + j + 48);
                s30 = Vector512.Load(c3 + j); s31 = Vector512.Load(c3 + j + 16); s32 = Vector512.Load(c3 + j + 32); s33 = Vector512.Load(c3 + j + 48);
            }
            else
            {
                s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = Vector512<float>.Zero;
            }

            float* bp = b + j;
            long ap = 0;
            for (int p = 0; p < k; p++, bp += ldb, ap += aCol)
            {
                var b0 = Vector512.Load(bp);
                var b1 = Vector512.Load(bp + 16);
                var b2 = Vector512.Load(bp + 32);
                var b3 = Vector512.Load(bp + 48);
                var x = Vector512.Create(a0[ap]);
                s00 = Vector512.FusedMultiplyAdd(x, b0, s00); s01 = Vector512.FusedMultiplyAdd(x, b1, s01);
                s02 = Vector512.FusedMultiplyAdd(x, b2, s02); s03 = Vector512.FusedMultiplyAdd(x, b3, s03);
                x = Vector512.Create(a1[ap]);
                s10 = Vector512.FusedMultiplyAdd(x, b0, s10); s11 = Vector512.FusedMultiplyAdd(x, b1, s11);
                s12 = Vector512.FusedMultiplyAdd(x, b2, s12); s13 = Vector512.FusedMultiplyAdd(x, b3, s13);
                x = Vector512.Create(a2[ap]);
                s20 = Vector512.FusedMultiplyAdd(x, b0, s20); s21 = Vector512.FusedMultiplyAdd(x, b1, s21);
                s22 = Vector512.FusedMultiplyAdd(x, b2, s22); s23 = Vector512.FusedMultiplyAdd(x, b3, s23);
                x = Vector512.Create(a3[ap]);
                s30 = Vector512.FusedMultiplyAdd(x, b0, s30); s31 = Vector512.FusedMultiplyAdd(x, b1, s31);
                s32 = Vector512.FusedMultiplyAdd(x, b2, s32); s33 = Vector512.FusedMultiplyAdd(x, b3, s33);
            }

            s00.Store(c0 + j); s01.Store(c0 + j + 16); s02.Store(c0 + j + 32); s03.Store(c0 + j + 48);
            s10.Store(c1 + j); s11.Store(c1 + j + 16); s12.Store(c1 + j + 32); s13.Store(c1 + j + 48);
            s20.Store(c2 + j); s21.Store(c2 + j + 16); s22.Store(c2 + j + 32); s23.Store(c2 + j + 48);
            s30.Store(c3 + j); s31.Store(c3 + j + 16); s32.Store(c3 + j + 32); s33.Store(c3 + j + 48);
        }

        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneRow(int n, int k, float* a, long aCol, float* b, long ldb, float* c, bool accumulate)
    {
        int j = 0;
        for (; j + 8 <= n; j += 8)
        {
            var s = accumulate ? Vector256.Load(c + j) : Vector256<float>.Zero;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += ldb) s = Vector256.FusedMultiplyAdd(Vector256.Create(a[p * aCol]), Vector256.Load(bp), s);
            s.Store(c + j);
        }

        for (; j < n; j++)
        {
            float s = accumulate ? c[j] : 0;
            for (int p = 0; p < k; p++) s += a[p * aCol] * b[p * ldb + j];
            c[j] = s;
        }
    }

    /// <summary>dst (cols, rows) = srcᵀ for a (rows, cols) tile with leading dimension <paramref name="ld"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(int rows, int cols, float* src, long ld, float* dst)
    {
        for (int r = 0; r < rows; r++)
        {
            float* s = src + r * ld;
            for (int c = 0; c < cols; c++) dst[c * rows + r] = s[c];
        }
    }
}
