using BenchmarkDotNet.Attributes;
using Lineage.Neural.Attention;
using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Benchmarks;

/// <summary>
/// GPT generation (4 layers, width 128, context 256): 200 new tokens after a 16-token prompt with the KV cache against
/// re-reading the whole sequence each step (the baseline); and one forward pass of 256 tokens with written-out against
/// fused attention.
/// </summary>
public class TransformerBenchmarks
{
    private Gpt? _gpt;
    private Tensor? _batch;

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Initialize();
        manual_seed(1);
        _gpt = new Gpt(new GptConfig(VocabSize: 512, ContextLength: 256, Layers: 4, Heads: 4, Dim: 128, Dropout: 0));
        _gpt.eval();
        _batch = randint(0, 512, [8, 256], dtype: ScalarType.Int64);
    }

    [Benchmark(Baseline = true)]
    public int GenerateWithoutCache() => _gpt!.Generate([.. Enumerable.Range(0, 16).Select(i => (long)i)], 200, Sampling.Greedy, useCache: false).Length;

    [Benchmark]
    public int GenerateWithCache() => _gpt!.Generate([.. Enumerable.Range(0, 16).Select(i => (long)i)], 200, Sampling.Greedy, useCache: true).Length;

    [Benchmark]
    public float ForwardNaiveAttention() => Forward(AttentionKernel.Naive);

    [Benchmark]
    public float ForwardFusedAttention() => Forward(AttentionKernel.Sdpa);

    private float Forward(AttentionKernel kernel)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _gpt!.Kernel = kernel;
        return _gpt.forward(_batch!).sum().item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _gpt?.Dispose();
        _batch?.Dispose();
    }
}
