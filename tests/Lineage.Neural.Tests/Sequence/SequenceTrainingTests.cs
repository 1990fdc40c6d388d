using System.Text;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Sequence;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Sequence;

public sealed class SequenceTrainingTests : IDisposable
{
    private static readonly byte[] Text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the cat sat on the mat. a dog ran in the fog. ", 40)));
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-seq-").FullName;

    public SequenceTrainingTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static StepHistory TrainLm(nn.Module<Tensor, Tensor> model, StepTrainingOptions options, string configuration = "tiny") =>
        StepTrainer.Train(model, step =>
        {
            var (x, y) = ByteLm.Batch(Text, 4, 16, seed: 3, step);
            return ByteLm.Loss(model.forward(x), y);
        }, options, configuration: configuration);

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void Resume_AfterAnInterruptedRun_GivesTheUninterruptedLossCurve(CellKind cell)
    {
        var path = Path.Combine(_dir, $"{cell}.ckpt");
        torch.manual_seed(1);
        using var straight = new RecurrentLm(RecurrentLmConfig.Tiny(cell));
        var uninterrupted = TrainLm(straight, new StepTrainingOptions(12, 1e-2));

        torch.manual_seed(1);
        using var first = new RecurrentLm(RecurrentLmConfig.Tiny(cell));
        TrainLm(first, new StepTrainingOptions(5, 1e-2, CheckpointPath: path, CheckpointEvery: 5));
        torch.manual_seed(99);                                       // a different init: the checkpoint must overwrite it
        using var resumed = new RecurrentLm(RecurrentLmConfig.Tiny(cell));
        var continued = TrainLm(resumed, new StepTrainingOptions(12, 1e-2, CheckpointPath: path, Resume: true));

        Assert.Equal(uninterrupted.Losses, continued.Losses);      // bit for bit, optimiser state included
    }

    [Fact]
    public void Resume_ByteNet_GivesTheUninterruptedLossCurve()
    {
        var path = Path.Combine(_dir, "bytenet.ckpt");
        torch.manual_seed(2);
        using var straight = new ByteNet(ByteNetConfig.Tiny);
        var uninterrupted = TrainLm(straight, new StepTrainingOptions(8, 1e-2));
        torch.manual_seed(2);
        using var first = new ByteNet(ByteNetConfig.Tiny);
        TrainLm(first, new StepTrainingOptions(3, 1e-2, CheckpointPath: path));
        using var resumed = new ByteNet(ByteNetConfig.Tiny);
        var continued = TrainLm(resumed, new StepTrainingOptions(8, 1e-2, CheckpointPath: path, Resume: true));
        Assert.Equal(uninterrupted.Losses, continued.Losses);
        Assert.True(continued.Losses[^1] < continued.Losses[0]);
    }

    [Fact]
    public void ByteNet_SameSeed_GivesTheSameFiniteLossCurve_EveryTime()
    {
        // libtorch's CPU conv1d backward gave NaN input gradients now and then for these shapes (1 run in 40 to 1 in 2
        // diverged, 2026-12-05); ByteNet's masked convolution is now a sum of matrix products, and this must hold.
        List<double>? first = null;
        for (int run = 0; run < 12; run++)
        {
            torch.manual_seed(2);
            using var model = new ByteNet(ByteNetConfig.Tiny);
            var losses = TrainLm(model, new StepTrainingOptions(8, 1e-2)).Losses;
            Assert.All(losses, l => Assert.True(double.IsFinite(l)));
            if (first is null) first = [.. losses];
            else Assert.Equal(first, losses);
        }
    }

    [Fact]
    public void Cancel_MidRun_CheckpointsTheStepsDone_AndResumeFinishesTheSameCurve()
    {
        var path = Path.Combine(_dir, "cancel.ckpt");
        torch.manual_seed(4);
        using var straight = new RecurrentLm(RecurrentLmConfig.Tiny(CellKind.Gru));
        var uninterrupted = TrainLm(straight, new StepTrainingOptions(9, 1e-2));

        torch.manual_seed(4);
        using var first = new RecurrentLm(RecurrentLmConfig.Tiny(CellKind.Gru));
        using var cts = new CancellationTokenSource();
        var progress = new Progress(r => { if (r.Step == 4) cts.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => StepTrainer.Train(first, step =>
        {
            var (x, y) = ByteLm.Batch(Text, 4, 16, seed: 3, step);
            return ByteLm.Loss(first.forward(x), y);
        }, new StepTrainingOptions(9, 1e-2, CheckpointPath: path, CheckpointEvery: 100), progress: progress, configuration: "tiny", cancellation: cts.Token));
        Assert.Equal(4, Checkpoint.Peek(path).Step);                 // checkpointed on the way out, not only every 100 steps

        using var resumed = new RecurrentLm(RecurrentLmConfig.Tiny(CellKind.Gru));
        var continued = TrainLm(resumed, new StepTrainingOptions(9, 1e-2, CheckpointPath: path, Resume: true));
        Assert.Equal(uninterrupted.Losses, continued.Losses);
    }

    /// <summary>Synchronous progress (System.Progress posts to the thread pool).</summary>
    private sealed class Progress(Action<StepReport> report) : IProgress<StepReport>
    {
        public void Report(StepReport value) => report(value);
    }

    [Fact]
    public void Resume_CheckpointOfAnotherShape_FailsNamingIt()
    {
        var path = Path.Combine(_dir, "shape.ckpt");
        torch.manual_seed(1);
        using var small = new RecurrentLm(RecurrentLmConfig.Tiny(CellKind.Lstm));
        TrainLm(small, new StepTrainingOptions(2, 1e-2, CheckpointPath: path), configuration: "H=16");
        using var big = new RecurrentLm(RecurrentLmConfig.Tiny(CellKind.Lstm) with { Hidden = 32 });
        var e = Assert.Throws<InvalidDataException>(() => TrainLm(big, new StepTrainingOptions(4, 1e-2, CheckpointPath: path, Resume: true), configuration: "H=32"));
        Assert.Contains("H=16", e.Message);
        // Without a configuration to compare, the weights themselves are checked.
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, big, null));
    }

    [Fact]
    public void Train_NaNLoss_StopsWithTheLastGoodCheckpoint()
    {
        var path = Path.Combine(_dir, "nan.ckpt");
        torch.manual_seed(1);
        using var model = new RecurrentLm(RecurrentLmConfig.Tiny(CellKind.Rnn));
        var e = Assert.Throws<TrainingDivergedException>(() => StepTrainer.Train(model, step =>
        {
            var (x, y) = ByteLm.Batch(Text, 2, 8, 1, step);
            var loss = ByteLm.Loss(model.forward(x), y);
            return step < 4 ? loss : loss * float.NaN;
        }, new StepTrainingOptions(10, CheckpointPath: path, CheckpointEvery: 2)));
        Assert.Equal(5, e.Step);
        Assert.Equal(path, e.LastCheckpoint);
        Assert.Equal(4, Checkpoint.Peek(path).Step);
    }

    [Fact]
    public void LanguageModels_LearnAndSample()
    {
        torch.manual_seed(5);
        using var lstm = new RecurrentLm(RecurrentLmConfig.Tiny(CellKind.Lstm) with { Hidden = 32 });
        double before = ByteLm.BitsPerByte(lstm, Text, 32, 16, maxWindows: 8);
        var history = TrainLm(lstm, new StepTrainingOptions(60, 2e-2));
        double after = ByteLm.BitsPerByte(lstm, Text, 32, 16, maxWindows: 8);
        Assert.True(after < before - 2, $"bits per byte {before:0.00} → {after:0.00}");
        Assert.True(history.TrainSeconds > 0);

        var prompt = "the "u8;
        var a = ByteLm.Sample(lstm, prompt, 20, 0.8, seed: 1);
        Assert.Equal(20, a.Length);
        Assert.Equal(a, ByteLm.Sample(lstm, prompt, 20, 0.8, seed: 1));   // seeded
        // the stateful sampler and re-running the window agree at temperature 0
        var greedy = ByteLm.Sample(lstm, prompt, 10, 0, seed: 1);
        using var bytenetLike = new WindowOnly(lstm);
        Assert.Equal(greedy, ByteLm.Sample(bytenetLike, prompt, 10, 0, seed: 1));

        using var bytenet = new ByteNet(ByteNetConfig.Tiny);
        Assert.Equal(7, ByteLm.Sample(bytenet, prompt, 7, 1.0, seed: 2).Length);
        Assert.Throws<ArgumentException>(() => ByteLm.Sample(bytenet, [], 5, 1.0, 1));
    }

    [Fact]
    public void Batch_SequenceLongerThanCorpus_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ByteLm.Batch(new byte[10], 2, 10, 1, 0));
        Assert.Contains("10 bytes", e.Message);
    }

    [Fact]
    public void AddingProblem_BatchesAreDeterministicAndWellFormed()
    {
        using var scope = torch.NewDisposeScope();
        var (x, y) = AddingProblem.Batch(8, 20, seed: 1, step: 3);
        var (x2, _) = AddingProblem.Batch(8, 20, seed: 1, step: 3);
        Assert.True(x.eq(x2).all().item<bool>());
        Assert.Equal([8L, 20, 2], x.shape);
        Assert.True(x[.., .., 1].sum(1).eq(2).all().item<bool>());               // two markers per sequence
        Assert.True(x[.., ..10, 1].sum(1).eq(1).all().item<bool>());             // one in each half
        var sums = (x[.., .., 0] * x[.., .., 1]).sum(1);
        Assert.True((sums - y).abs().max().item<float>() < 1e-6);
    }

    /// <summary>Hides the RecurrentLm type so the sampler re-runs the window instead of carrying state.</summary>
    private sealed class WindowOnly(RecurrentLm inner) : nn.Module<Tensor, Tensor>("WindowOnly")
    {
        public override Tensor forward(Tensor input) => inner.forward(input);
    }
}
