using BenchmarkDotNet.Attributes;
using Lineage.Neural.Attention;
using Lineage.Neural.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Benchmarks;

/// <summary>
/// Attention forward + backward, fp32, batch 1, 8 heads, head dimension 64 (the setting): libtorch's
/// scaled_dot_product_attention (the baseline) against the FlashAttention kernel and written-out attention, causal and not.
/// Peak memory and n up to 64k are in `lineage attention bench` (the side-by-side run); BenchmarkDotNet gives the timing
/// distribution at the sizes a benchmark job can afford.
/// </summary>
public class FlashAttentionBenchmarks
{
    private Tensor? _q, _k, _v, _grad;

    /// <summary>Sequence length n.</summary>
    [Params(1024, 4096)]
    public int Length { get; set; }

    /// <summary>Causal mask.</summary>
    [Params(false, true)]
    public bool Causal { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Initialize();
        manual_seed(1);
        _q = randn(1, 8, Length, 64);
        _k = randn(1, 8, Length, 64);
        _v = randn(1, 8, Length, 64);
        _grad = randn(1, 8, Length, 64);
    }

    [Benchmark(Baseline = true)]
    public float Sdpa() => Run((q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: Causal));

    [Benchmark]
    public float Flash() => Run((q, k, v) => FlashAttentionFunction.Attend(q, k, v, new FlashOptions(Causal: Causal)));

    [Benchmark]
    public float Naive() => Length > 2048 ? float.NaN : Run((q, k, v) => NaiveAttention.Forward(q, k, v, Causal));   // 4096: 2 GiB of n×n matrices

    private float Run(Func<Tensor, Tensor, Tensor, Tensor> attend)
    {
        using var scope = NewDisposeScope();
        var q = _q!.detach().requires_grad_();
        var k = _k!.detach().requires_grad_();
        var v = _v!.detach().requires_grad_();
        attend(q, k, v).backward([_grad!]);
        return q.grad!.sum().item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _q?.Dispose();
        _k?.Dispose();
        _v?.Dispose();
        _grad?.Dispose();
    }
}
