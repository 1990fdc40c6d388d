using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Core;

public class StepScheduleTests
{
    public StepScheduleTests() => TorchRuntime.Initialize();

    [Fact]
    public void ScheduledRate_WarmsUpLinearly_ThenHoldsOrDecaysAlongACosine()
    {
        var constant = new StepTrainingOptions(100, 2e-3, WarmupSteps: 10);
        Assert.Equal(2e-4, StepTrainer.ScheduledRate(0, constant), 12);
        Assert.Equal(1e-3, StepTrainer.ScheduledRate(4, constant), 12);
        Assert.Equal(2e-3, StepTrainer.ScheduledRate(9, constant), 12);
        Assert.Equal(2e-3, StepTrainer.ScheduledRate(99, constant), 12);

        var cosine = constant with { CosineDecay = true };
        Assert.Equal(2e-3, StepTrainer.ScheduledRate(10, cosine), 12);
        Assert.Equal(1e-3, StepTrainer.ScheduledRate(55, cosine), 12);                 // half-way through the decay
        Assert.True(StepTrainer.ScheduledRate(99, cosine) < 1e-5);
        var rates = Enumerable.Range(10, 90).Select(s => StepTrainer.ScheduledRate(s, cosine)).ToList();
        Assert.True(rates.Zip(rates.Skip(1)).All(p => p.Second <= p.First));

        Assert.Equal(2e-3, StepTrainer.ScheduledRate(0, new StepTrainingOptions(100, 2e-3)), 12);   // no schedule: constant
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepTrainingOptions(10, WarmupSteps: -1).Validate());
    }

    [Fact]
    public void ScheduledRate_TwoStages_EachHasItsOwnWarmupAndDecay()
    {
        var staged = new StepTrainingOptions(100, 2e-3, WarmupSteps: 10, CosineDecay: true, StageStart: 40);
        var first = new StepTrainingOptions(40, 2e-3, WarmupSteps: 10, CosineDecay: true);
        var second = new StepTrainingOptions(60, 2e-3, WarmupSteps: 10, CosineDecay: true);
        for (int s = 0; s < 40; s++) Assert.Equal(StepTrainer.ScheduledRate(s, first), StepTrainer.ScheduledRate(s, staged), 12);
        for (int s = 40; s < 100; s++) Assert.Equal(StepTrainer.ScheduledRate(s - 40, second), StepTrainer.ScheduledRate(s, staged), 12);
        Assert.Equal(2e-4, StepTrainer.ScheduledRate(40, staged), 12);                  // the second stage warms up again
        Assert.Throws<ArgumentOutOfRangeException>(() => (staged with { StageStart = 100 }).Validate());
    }

    [Fact]
    public void Train_SetsTheOptimisersRate_EveryStep()
    {
        // One parameter w, loss = w: Adam's first step moves w by the learning rate (m̂/√v̂ = 1 for a constant gradient).
        using var model = new OneWeight();
        var options = new StepTrainingOptions(4, 1e-2, GradClip: 0, WarmupSteps: 4);
        var before = new List<float>();
        StepTrainer.Train(model, _ => { before.Add(model.W.item<float>()); return model.W.sum(); }, options);
        before.Add(model.W.item<float>());
        var moves = before.Zip(before.Skip(1), (a, b) => a - b).ToList();
        for (int s = 0; s < 4; s++) Assert.Equal(StepTrainer.ScheduledRate(s, options), moves[s], 5);
    }

    private sealed class OneWeight : nn.Module
    {
        public OneWeight() : base(nameof(OneWeight))
        {
            W = nn.Parameter(zeros(1));
            RegisterComponents();
        }

        public TorchSharp.Modules.Parameter W { get; }
    }
}
