using BenchmarkDotNet.Attributes;
using Lineage.Neural.Core;
using Lineage.Neural.Foundations;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Benchmarks;

/// <summary>One AdamW training step of the Fashion-MNIST MLP (batch 128), against its forward pass alone.</summary>
public class MlpBenchmarks
{
    private Mlp? _model;
    private optim.Optimizer? _optimizer;
    private Tensor? _x, _y;

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Initialize();
        torch.manual_seed(1);
        _model = new Mlp(new MlpConfig());
        _optimizer = torch.optim.AdamW(_model.parameters());
        _x = torch.rand(128, 784);
        _y = torch.randint(0, 10, [128], dtype: ScalarType.Int64);
    }

    [Benchmark(Baseline = true)]
    public float Forward()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return _model!.forward(_x!).sum().item<float>();
    }

    [Benchmark]
    public float TrainingStep()
    {
        using var scope = torch.NewDisposeScope();
        _optimizer!.zero_grad();
        var loss = nn.functional.cross_entropy(_model!.forward(_x!), _y!);
        loss.backward();
        _optimizer.step();
        return loss.item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _model?.Dispose();
        _x?.Dispose();
        _y?.Dispose();
    }
}
