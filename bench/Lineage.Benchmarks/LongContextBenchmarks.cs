using BenchmarkDotNet.Attributes;
using Lineage.Neural.Core;
using Lineage.Neural.LongContext;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Benchmarks;

/// <summary>
/// One forward + backward pass of each long-context mixer (C = 32, batch 1, the settings of the tour's scaling
/// experiment) at n = 4,096, against written-out full attention (the baseline). The growth with n is measured by
/// <c>./lineage longctx bench</c> and the tour's <c>long-context.scaling</c>.
/// </summary>
public class LongContextBenchmarks
{
    private nn.Module<Tensor, Tensor>? _mixer;
    private Tensor? _x;

    [Params("full", "longformer", "bigbird", "reformer", "linformer", "hyena", "mamba")]
    public string Mixer { get; set; } = "full";

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Apply(new RunSettings { Threads = 1 });
        manual_seed(1);
        _mixer = MixerRegistry.Create(Mixer, MixerBenchmark.Settings(Mixer, 4096));
        _x = randn(1, 4096, 32);
    }

    [Benchmark]
    public float ForwardBackward()
    {
        using var scope = NewDisposeScope();
        var x = _x!.detach().requires_grad_(true);
        var loss = _mixer!.forward(x).pow(2).mean();
        loss.backward();
        _mixer.zero_grad();
        return loss.item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _mixer?.Dispose();
        _x?.Dispose();
    }
}
