using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.LongContext;

namespace Lineage.Neural.Tests.LongContext;

/// <summary>The recall recipe: a tiny model learns a tiny task well above chance in seconds; runs are seeded; bad options are refused.</summary>
public class RecallTrainingTests
{
    [Fact]
    public void TinyAttention_LearnsTinyMqar_WellAboveChance()
    {
        // N = 16, K = 2 pairs, V = 32 (16 values: chance 1/16). Measured 2026-12-07: 0.525 after 200 steps (5 s): the model has
        // learned to answer with a value of this example (1 in 2) before it matches keys; the bound is 4× chance, well clear of
        // chance's 4σ band (±0.04 over the 512 scored positions) and of the measurement.
        using var threads = TorchThreads.AtMost(1);
        var task = new Mqar(new MqarConfig(16, 2, 32));
        var r = RecallTraining.Train(task, new RecallTrainingOptions("full", 32, Steps: 200, LearningRate: 3e-3, Batch: 32, EvalExamples: 256));
        Assert.True(r.Accuracy >= 0.25, $"accuracy {r.Accuracy:0.000} (chance {r.Chance:0.000}), final loss {r.FinalLoss:0.000}, {r.TrainSeconds:0.0} s");
        Assert.Equal(200 * 32, r.Examples);
        Assert.True(r.Causal);
    }

    [Fact]
    public void SameSeed_SameRun_AndLinformerRunsBidirectionally()
    {
        using var threads = TorchThreads.AtMost(1);
        var task = new SelectiveCopy(new SelectiveCopyConfig(16, 4, 8));
        var options = new RecallTrainingOptions("mamba", 16, Steps: 3, Batch: 4, EvalExamples: 16, Seed: 5);
        var a = RecallTraining.Train(task, options);
        var b = RecallTraining.Train(task, options);
        Assert.Equal(a.FinalLoss, b.FinalLoss);
        Assert.Equal(a.Accuracy, b.Accuracy);
        var linformer = RecallTraining.Train(task, options with { Mixer = "linformer" });
        Assert.False(linformer.Causal);
        Assert.InRange(linformer.Accuracy, 0, 1);
    }

    [Fact]
    public void Progress_IsReportedEveryStep_AndCancellationStops()
    {
        using var threads = TorchThreads.AtMost(1);
        var task = new InductionHeads(new InductionHeadsConfig(8, 6));
        var steps = new List<int>();
        RecallTraining.Train(task, new RecallTrainingOptions("hyena", 16, Steps: 4, Batch: 2, EvalExamples: 4), new Inline(r => steps.Add(r.Step)));
        Assert.Equal([1, 2, 3, 4], steps);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => RecallTraining.Train(task, new RecallTrainingOptions("full", 16, Steps: 4, Batch: 2), null, cancel.Token));
    }

    [Fact]
    public void ShortConvolution_IsCausal_AndCountsItsParameters()
    {
        // Changing the last token must leave every earlier position's logits unchanged with the convolution before the mixer.
        using var threads = TorchThreads.AtMost(1);
        Seeding.Seed(3);
        using var plain = new RecallModel("full", RecallTraining.Settings(16, 12), 32, 2);
        Seeding.Seed(3);
        using var model = new RecallModel("full", RecallTraining.Settings(16, 12), 32, 2, shortConv: 3);
        Assert.Equal(plain.parameters().Sum(p => p.numel()) + 2 * (16 * 3 + 16), model.parameters().Sum(p => p.numel()));
        using var noGrad = TorchSharp.torch.no_grad();
        long[] tokens = [1, 5, 17, 3, 9, 30, 2, 8, 4, 21, 6, 11];
        var changed = (long[])tokens.Clone();
        changed[^1] = 25;
        using var a = model.forward(TorchSharp.torch.tensor(tokens, [1, 12]));
        using var b = model.forward(TorchSharp.torch.tensor(changed, [1, 12]));
        Assert.True(a.narrow(1, 0, 11).allclose(b.narrow(1, 0, 11), 0, 1e-6));
        Assert.False(a.narrow(1, 11, 1).allclose(b.narrow(1, 11, 1), 0, 1e-6));
        Assert.Equal("ShortConv", Assert.Throws<ArgumentOutOfRangeException>(() => new RecallTrainingOptions("full", 16, ShortConv: -1).Validate()).ParamName);
    }

    [Fact]
    public void ThePapersBlock_HasNoMlp_AndNoPositions()
    {
        // Without an MLP each block loses its LayerNorm and 4C MLP. Without positions causal attention cannot tell the order
        // of what it attends to: in one layer the last position's logits stay the same when two earlier tokens swap; with them they change.
        using var threads = TorchThreads.AtMost(1);
        const int C = 16;
        Seeding.Seed(3);
        using var plain = new RecallModel("mamba", RecallTraining.Settings(C, 12), 32, 2);
        Seeding.Seed(3);
        using var bare = new RecallModel("mamba", RecallTraining.Settings(C, 12), 32, 2, withMlp: false, withPositions: false);
        long mlp = 2 * C + (C * 4 * C + 4 * C) + (4 * C * C + C);
        Assert.Equal(plain.parameters().Sum(p => p.numel()) - 2 * mlp, bare.parameters().Sum(p => p.numel()));
        Seeding.Seed(4);
        var options = new RecallTrainingOptions("mamba", C, Steps: 2, Batch: 2, EvalExamples: 4, Mlp: false, Positions: false);
        var r = RecallTraining.Train(new SelectiveCopy(new SelectiveCopyConfig(16, 4, 8)), options);
        Assert.InRange(r.Accuracy, 0, 1);
        using var noGrad = TorchSharp.torch.no_grad();
        using var x = TorchSharp.torch.tensor(new long[] { 1, 5, 17, 3 }, [1, 4]);
        using var swapped = TorchSharp.torch.tensor(new long[] { 5, 1, 17, 3 }, [1, 4]);
        foreach (bool positions in new[] { false, true })
        {
            Seeding.Seed(5);
            using var attention = new RecallModel("full", RecallTraining.Settings(C, 4), 32, 1, withPositions: positions);   // one layer: the last position attends to a set
            bool same = attention.forward(x).narrow(1, 3, 1).allclose(attention.forward(swapped).narrow(1, 3, 1), 0, 1e-5);
            Assert.Equal(!positions, same);
        }

        Assert.Equal(4, ((SelectiveCopy)RecallTasks.Create("selective-copy", 32, copyTokens: 4)).Config.Tokens);
    }

    [Fact]
    public void BadOptions_AreRefused_NamingTheField()
    {
        Assert.Contains("known: full", Assert.Throws<ArgumentException>(() => new RecallTrainingOptions("lstm", 16).Validate()).Message);
        Assert.Equal("Heads", Assert.Throws<ArgumentException>(() => new RecallTrainingOptions("full", 30, Heads: 4).Validate()).ParamName);
        Assert.Equal("LearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new RecallTrainingOptions("full", 16, LearningRate: 0).Validate()).ParamName);
        Assert.Equal("Steps", Assert.Throws<ArgumentOutOfRangeException>(() => new RecallTrainingOptions("full", 16, Steps: 0).Validate()).ParamName);
    }

    private sealed class Inline(Action<RecallProgress> report) : IProgress<RecallProgress>
    {
        public void Report(RecallProgress value) => report(value);
    }
}
