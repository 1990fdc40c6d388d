using Lineage.Neural.Pretrained;
using Lineage.Neural.Transformers;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Pretrained;

/// <summary>The frozen-feature probe: features in the order given, a separable task learned, scores as defined.</summary>
public sealed class FrozenProbeTests
{
    [Fact]
    public void Features_AreInTheOrderGiven_WhateverTheBatching()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var bert = new Bert(BertConfig.Tiny(24));
        long[][] ids = [[1, 5, 6, 7, 2], [1, 9, 2], [1, 4, 4, 4, 4, 4, 2], [1, 8, 2]];
        var all = FrozenProbe.Features(bert, ids, pad: 0, batch: 4);
        var one = FrozenProbe.Features(bert, ids, pad: 0, batch: 1);
        Assert.Equal([4L, bert.Config.Dim], all.shape);
        Assert.True(all.allclose(one, rtol: 1e-4, atol: 1e-5));
        var single = FrozenProbe.Features(bert, [ids[2]], pad: 0);
        Assert.True(all[2].allclose(single[0], rtol: 1e-4, atol: 1e-5));
        Assert.True(bert.training, "the model's mode is restored");
    }

    [Fact]
    public void Probe_LearnsASeparableTask_AndScoresHeldOutRows()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(1);
        (Tensor X, bool[] Y) Make(int n)
        {
            var y = Enumerable.Range(0, n).Select(i => i % 3 == 0).ToArray();
            var x = new float[n * 8];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < 8; j++) x[(i * 8) + j] = (float)(rng.NextDouble() - 0.5) + (j == 3 ? (y[i] ? 2f : -2f) : 0f);
            return (tensor(x, [n, 8]), y);
        }

        var (trainX, trainY) = Make(90);
        var (testX, testY) = Make(60);
        var s = FrozenProbe.TrainAndScore(trainX, trainY, testX, testY, steps: 200);
        Assert.Equal(1.0, s.Accuracy);
        Assert.Equal(1.0, s.MacroF1);
        Assert.Throws<ArgumentException>(() => FrozenProbe.TrainAndScore(trainX, [.. trainY.Select(_ => true)], testX, testY));
    }

    [Fact]
    public void Score_IsAccuracyAndTheMeanOfBothClassesF1()
    {
        // truth: T T F F; predicted: T F T F → tp 1, fn 1, fp 1, tn 1: F1 = 0.5 for both classes.
        var s = FrozenProbe.Score([true, false, true, false], [true, true, false, false]);
        Assert.Equal(0.5, s.Accuracy);
        Assert.Equal(0.5, s.MacroF1, 12);
        // all predicted negative: spam F1 0, ham F1 2·2/(4+2) = 2/3.
        var none = FrozenProbe.Score([false, false, false, false], [true, true, false, false]);
        Assert.Equal(0, none.PositiveF1);
        Assert.Equal(1.0 / 3, none.MacroF1, 12);
    }
}
