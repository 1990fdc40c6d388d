using BenchmarkDotNet.Attributes;
using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Benchmarks;

/// <summary>
/// One training step (forward, backward, Adam) of each archetype at the same size: 2 layers (T5: 2 + 2), width 128,
/// 4 heads, vocabulary 4,000, a batch of 16 × 128 tokens (T5: 16 × 128 in, 16 × 32 out). Tokens per second =
/// 2,048 / the step time (T5 counts its 2,560 input and output tokens). BERT's masked-LM loss is taken at 15 % of the
/// positions, as the tour's experiment does.
/// </summary>
public class ArchetypeTrainingBenchmarks
{
    private const int Vocab = 4000, Batch = 16, Length = 128;
    private Gpt? _gpt;
    private Bert? _bert;
    private T5? _t5;
    private optim.Optimizer? _gptOpt, _bertOpt, _t5Opt;
    private Tensor? _ids, _targets, _mlmPositions, _t5Out;

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Initialize();
        manual_seed(1);
        _gpt = new Gpt(new GptConfig(Vocab, Length, Layers: 2, Heads: 4, Dim: 128, Dropout: 0));
        _bert = new Bert(new BertConfig(Vocab, Length, Layers: 2, Heads: 4, Dim: 128, Dropout: 0));
        _t5 = new T5(new T5Config(Vocab, Layers: 2, Heads: 4, Dim: 128, Hidden: 512, Dropout: 0));
        _gptOpt = optim.Adam(_gpt.parameters(), 1e-3);
        _bertOpt = optim.Adam(_bert.parameters(), 1e-3);
        _t5Opt = optim.Adam(_t5.parameters(), 1e-3);
        _ids = randint(5, Vocab, [Batch, Length], dtype: ScalarType.Int64);
        _targets = randint(5, Vocab, [Batch, Length], dtype: ScalarType.Int64);
        _mlmPositions = randperm(Batch * Length)[..(Batch * Length * 15 / 100)];
        _t5Out = randint(5, Vocab, [Batch, 32], dtype: ScalarType.Int64);
    }

    [Benchmark(Baseline = true)]
    public float GptStep() => Step(_gpt!, _gptOpt!, () => Gpt.Loss(_gpt!.forward(_ids!), _targets!));

    [Benchmark]
    public float BertStep() => Step(_bert!, _bertOpt!, () =>
    {
        var hidden = _bert!.forward(_ids!).reshape(-1, 128).index_select(0, _mlmPositions!);
        return nn.functional.cross_entropy(_bert.MlmLogits(hidden), _targets!.reshape(-1).index_select(0, _mlmPositions!));
    });

    [Benchmark]
    public float T5Step() => Step(_t5!, _t5Opt!, () => _t5!.Loss(_ids!, null, _t5Out!, 0));

    private static float Step(nn.Module model, optim.Optimizer optimizer, Func<Tensor> loss)
    {
        using var scope = NewDisposeScope();
        model.train();
        optimizer.zero_grad();
        var l = loss();
        l.backward();
        optimizer.step();
        return l.item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _gpt?.Dispose();
        _bert?.Dispose();
        _t5?.Dispose();
        _gptOpt?.Dispose();
        _bertOpt?.Dispose();
        _t5Opt?.Dispose();
        _ids?.Dispose();
        _targets?.Dispose();
        _mlmPositions?.Dispose();
        _t5Out?.Dispose();
    }
}
