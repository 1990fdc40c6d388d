using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Foundations;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Core;

public sealed class ClassifierTrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-trainer-").FullName;

    public ClassifierTrainerTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Three Gaussian blobs in 16 dimensions: learnable in a few epochs.</summary>
    private static (Tensor X, Tensor Y) Blobs(int n, int seed)
    {
        using var g = new torch.Generator((ulong)seed);
        var y = torch.randint(0, 3, [n], dtype: ScalarType.Int64, generator: g);
        var centres = torch.eye(3, 16) * 3f;
        var x = centres.index_select(0, y) + torch.randn([n, 16], generator: g);
        return (x, y);
    }

    private static ClassifierTrainingOptions Options(int epochs) => new(Epochs: epochs, BatchSize: 32, LearningRate: 1e-2, Seed: 5);

    [Fact]
    public void Train_SeparableBlobs_ReachesHighAccuracy()
    {
        var (x, y) = Blobs(600, 1);
        var (xt, yt) = Blobs(300, 2);
        torch.manual_seed(3);
        using var model = new Mlp(MlpConfig.Tiny);
        var history = ClassifierTrainer.Train(model, x, y, xt, yt, Options(3));
        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(3 * 19, history.StepLosses.Count);
        Assert.True(history.Epochs[^1].TestAccuracy > 0.95, $"accuracy {history.Epochs[^1].TestAccuracy}");
        Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss);
    }

    [Fact]
    public void Train_SameSeed_GivesBitIdenticalLosses()
    {
        var (x, y) = Blobs(200, 1);
        List<double> Run()
        {
            torch.manual_seed(3);
            using var model = new Mlp(MlpConfig.Tiny with { Dropout = 0.2 });
            return ClassifierTrainer.Train(model, x, y, x, y, Options(2)).StepLosses;
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Resume_AfterAnInterruptedRun_GivesTheUninterruptedLossCurve()
    {
        var (x, y) = Blobs(200, 1);
        torch.manual_seed(3);
        using var whole = new Mlp(MlpConfig.Tiny with { Dropout = 0.2 });
        var expected = ClassifierTrainer.Train(whole, x, y, x, y, Options(3));

        var checkpoint = Path.Combine(_dir, "run.ckpt");
        torch.manual_seed(3);
        using (var first = new Mlp(MlpConfig.Tiny with { Dropout = 0.2 }))
            ClassifierTrainer.Train(first, x, y, x, y, Options(1) with { CheckpointPath = checkpoint });   // "interrupted" after epoch 1
        torch.manual_seed(99);                                                                               // a fresh process, other seed
        using var resumed = new Mlp(MlpConfig.Tiny with { Dropout = 0.2 });
        var actual = ClassifierTrainer.Train(resumed, x, y, x, y, Options(3) with { CheckpointPath = checkpoint, Resume = true });

        Assert.Equal(expected.StepLosses, actual.StepLosses);
        Assert.Equal(expected.Epochs.Select(e => e.TestLoss), actual.Epochs.Select(e => e.TestLoss));
    }

    [Fact]
    public void Train_Cancelled_StopsAndKeepsTheLastCheckpoint()
    {
        var (x, y) = Blobs(200, 1);
        var checkpoint = Path.Combine(_dir, "c.ckpt");
        using var cts = new CancellationTokenSource();
        var progress = new Progress(r => { if (r.Epoch == 2) cts.Cancel(); });
        using var model = new Mlp(MlpConfig.Tiny);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            ClassifierTrainer.Train(model, x, y, x, y, Options(3) with { CheckpointPath = checkpoint }, progress, cts.Token));
        Assert.Equal(1, Checkpoint.Load(checkpoint, model, null).Step);
    }

    [Fact]
    public void Train_NaNInputs_ThrowsTrainingDiverged()
    {
        var (x, y) = Blobs(64, 1);
        x[0, 0] = torch.tensor(float.NaN);
        using var model = new Mlp(MlpConfig.Tiny);
        var e = Assert.Throws<TrainingDivergedException>(() => ClassifierTrainer.Train(model, x, y, x, y, Options(1) with { BatchSize = 64 }));
        Assert.Equal(1, e.Step);
    }

    [Fact]
    public void Train_LabelsOfAnotherLength_ThrowsArgumentException()
    {
        var (x, y) = Blobs(64, 1);
        using var model = new Mlp(MlpConfig.Tiny);
        using var shortY = y.narrow(0, 0, 10);
        Assert.Throws<ArgumentException>(() => ClassifierTrainer.Train(model, x, shortY, x, y, Options(1)));
    }

    private sealed class Progress(Action<StepReport> report) : IProgress<StepReport>
    {
        public void Report(StepReport value) => report(value);
    }
}
