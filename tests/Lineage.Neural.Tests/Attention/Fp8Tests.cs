using Lineage.Neural.Attention;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Attention;

public class Fp8Tests
{
    [Fact]
    public void Round_KeepsEveryE4M3Value_AndRoundsToNearestEvenSaturating()
    {
        var values = new List<float>();
        for (int m = 0; m < 8; m++) values.Add(m / 8f * MathF.ScaleB(1f, -6));                 // subnormals and 0
        for (int e = -6; e <= 8; e++)
            for (int m = 0; m < 8; m++)
                if (e < 8 || m < 7) values.Add((1 + m / 8f) * MathF.ScaleB(1f, e));          // e4m3fn: 1.875·2⁸ is NaN
        values.Sort();
        Assert.Equal(448f, values[^1]);
        foreach (float v in values)
        {
            Assert.Equal(v, Fp8E4M3.Round(v));
            Assert.Equal(-v, Fp8E4M3.Round(-v));
        }

        for (int i = 1; i < values.Count; i++)                                                  // midpoints go to the even mantissa
        {
            float mid = (values[i - 1] + values[i]) / 2;
            float rounded = Fp8E4M3.Round(mid);
            Assert.True(rounded == values[i - 1] || rounded == values[i]);
        }

        Assert.Equal(0.3125f, Fp8E4M3.Round(0.3f));
        Assert.Equal(448f, Fp8E4M3.Round(1e6f));
        Assert.Equal(-448f, Fp8E4M3.Round(-460f));
        Assert.Equal(0f, Fp8E4M3.Round(1e-4f));
        Assert.True(float.IsNaN(Fp8E4M3.Round(float.NaN)));
    }

    [Fact]
    public void Hadamard_IsOrthogonal_AndLeavesScoresUnchanged()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var rotation = new RandomHadamard(64, seed: 3);
        var m = rotation.Matrix();
        Assert.True((m.matmul(m.T) - eye(64)).abs().max().item<float>() < 1e-5);
        var q = randn(2, 10, 64);
        var k = randn(2, 12, 64);
        var scores = q.matmul(k.transpose(-2, -1));
        var rotated = rotation.Apply(q).matmul(rotation.Apply(k).transpose(-2, -1));
        Assert.True((rotated - scores).abs().max().item<float>() < 1e-4);
        Assert.Throws<ArgumentException>(() => new RandomHadamard(48, 1));
    }

    [Fact]
    public void BlockScalesAndRotation_LowerTheErrorOnOutliers()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(5);
        long[] shape = [1, 2, 256, 64];
        var q = Fp8Attention.OutlierEntries(shape, generator: generator);
        var k = Fp8Attention.OutlierEntries(shape, generator: generator);
        var v = Fp8Attention.OutlierEntries(shape, generator: generator);
        double baseline = Fp8Attention.Rmse(q, k, v, false, new Fp8Options(Fp8Scaling.PerTensor, Rotate: false));
        double fa3 = Fp8Attention.Rmse(q, k, v, false, new Fp8Options(Fp8Scaling.PerBlock, Rotate: true));
        Assert.True(fa3 < baseline, $"per-block + Hadamard {fa3:E2} vs per-tensor {baseline:E2}");
        Assert.True(baseline < 0.1, $"{baseline}");

        // Per block, each block's largest entry is exactly representable (it maps to ±448).
        var x = randn(1, 1, 128, 32);
        var x8 = Fp8E4M3.QuantizeDequantize(x, Fp8Scaling.PerBlock, 64);
        Assert.True((x8.abs().amax([-1, -2]) - x.abs().amax([-1, -2])).abs().max().item<float>() < 1e-5);
    }
}
