// The hand-written vector kernels (Simd.cs) and the batched negative-sampling step against plain scalar loops.
using System.Runtime.Intrinsics;
using Lineage.Text.Embeddings;
using Lineage.Text.Embeddings.Word2Vec;

namespace Lineage.Text.Tests.Embeddings;

public unsafe class SimdTests
{
    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
    }

    [Fact]
    public void DotAxpyAndAxpyBoth_MatchPlainLoops_ForEveryLengthUpTo130()
    {
        // Every length exercises a different mix of 16-, 8- and 4-float steps and the scalar tail.
        for (int n = 1; n <= 130; n++)
        {
            var x = Random(n, n);
            var y = Random(n, 1000 + n);
            var e = Random(n, 2000 + n);
            double dot = 0;
            for (int i = 0; i < n; i++)
            {
                dot += (double)x[i] * y[i];
            }

            const float a = 0.37f;
            var axpy = y.Select((yi, i) => yi + a * x[i]).ToArray();
            var both = e.Select((ei, i) => ei + a * y[i]).ToArray(); // e += a·u (u = y before its update)
            fixed (float* px = x, py = y, pe = e)
            {
                Assert.Equal(dot, Simd.Dot(px, py, n), 5);
                var y2 = (float[])y.Clone();
                fixed (float* py2 = y2)
                {
                    Simd.Axpy(a, px, py2, n);
                }

                Assert.Equal(axpy, y2, (p, q) => Math.Abs(p - q) < 1e-6f);
                Simd.AxpyBoth(a, px, py, pe, n); // u = y, v = x
            }

            Assert.Equal(both, e, (p, q) => Math.Abs(p - q) < 1e-6f);
            Assert.Equal(axpy, y, (p, q) => Math.Abs(p - q) < 1e-6f);
        }
    }

    [Fact]
    public void VectorSigmoid_MatchesScalarSigmoid()
    {
        float[] values = [-1e30f, -31f, -30.5f, -30f, -29.9f, -12f, -6f, -1f, -1e-3f, 0f, 1e-3f, 0.5f, 1f, 6f, 12f, 29.9f, 30f, 30.5f, 31f, 1e30f];
        for (int k = 0; k < values.Length; k += 8)
        {
            var chunk = new float[8];
            Array.Copy(values, k, chunk, 0, Math.Min(8, values.Length - k));
            var s = Simd.Sigmoid(Vector256.Create(chunk));
            for (int i = 0; i < 8; i++)
            {
                float expected = Simd.Sigmoid(chunk[i]);
                Assert.True(Math.Abs(expected - s[i]) <= 1e-6f * Math.Max(expected, 1e-30f) + 1e-12f, $"σ({chunk[i]}) = {s[i]}, scalar {expected}");
            }
        }
    }

    [Theory]
    [InlineData(100, new[] { 3, 7, 1, 4, 0, 9 })]   // the benchmark's shape: 5 distinct noise words (the batched path)
    [InlineData(37, new[] { 3, 7, 3, 4 })]          // a noise word equal to the true word: skipped
    [InlineData(100, new[] { 3, 7, 1, 7, 0, 9 })]   // a repeated noise word: the sequential loop (the row is read after its update)
    [InlineData(5, new[] { 2, 2, 2 })]
    [InlineData(130, new[] { 0, 1, 2, 3, 4, 5, 6, 8, 9 })] // more than 8 targets: the sequential loop
    public void NegativeSamplingStep_MatchesTheSequentialScalarLoop(int dim, int[] targets)
    {
        const int words = 10;
        const float alpha = 0.3f;
        var input = Random(dim, 1);
        var output = Random(words * dim, 2);
        var expectedOut = (float[])output.Clone();
        var expectedE = new float[dim];
        for (int d = 0; d < targets.Length; d++)
        {
            if (d > 0 && targets[d] == targets[0])
            {
                continue;
            }

            int row = targets[d] * dim;
            double f = 0;
            for (int i = 0; i < dim; i++)
            {
                f += (double)input[i] * expectedOut[row + i];
            }

            float g = (float)(((d == 0 ? 1 : 0) - 1 / (1 + Math.Exp(-f))) * alpha);
            for (int i = 0; i < dim; i++)
            {
                expectedE[i] += g * expectedOut[row + i];
                expectedOut[row + i] += g * input[i];
            }
        }

        var e = new float[dim];
        fixed (float* pIn = input, pOut = output, pE = e)
        {
            Word2VecTrainer.NegativeSamplingStep(pIn, pOut, dim, targets, alpha, pE);
        }

        Assert.Equal(expectedE, e, (p, q) => Math.Abs(p - q) < 1e-5f);
        Assert.Equal(expectedOut, output, (p, q) => Math.Abs(p - q) < 1e-5f);
    }
}
