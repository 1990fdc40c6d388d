using BenchmarkDotNet.Attributes;
using Lineage.Neural.Attention;
using Lineage.Neural.Core;
using Lineage.Neural.Multimodal;
using Lineage.Neural.Transformers;
using Lineage.Neural.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Benchmarks;

/// <summary>
/// Training throughput of the chapter's ViT and Swin on 28 × 28 Fashion-MNIST-sized images (one AdamW step on 128
/// images; images/s = 128 / time), and one ViT forward pass at 112 × 112 (785 tokens) with written-out against fused
/// attention. The ViT training step is the baseline.
/// </summary>
public class VisionBenchmarks
{
    private Vit? _vit;
    private Swin? _swin;
    private Vit? _large;
    private optim.Optimizer? _vitOptimizer;
    private optim.Optimizer? _swinOptimizer;
    private Tensor? _images;
    private Tensor? _labels;
    private Tensor? _largeImages;

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Initialize();
        manual_seed(1);
        _vit = new Vit(new VitConfig(Patch: 4, Dim: 64, Layers: 4, Heads: 4, MlpRatio: 2));
        _swin = new Swin(new SwinConfig(Patch: 2, Dim: 32, Depths: [2, 2], Heads: [2, 4], Window: 7, MlpRatio: 2));
        _large = new Vit(new VitConfig(ImageSize: 112, Patch: 4, Dim: 64, Layers: 4, Heads: 4, MlpRatio: 2));
        _large.eval();
        _vitOptimizer = optim.AdamW(_vit.parameters(), 1e-3);
        _swinOptimizer = optim.AdamW(_swin.parameters(), 1e-3);
        _images = randn(128, 1, 28, 28);
        _labels = randint(0, 10, [128], dtype: ScalarType.Int64);
        _largeImages = randn(8, 1, 112, 112);
    }

    [Benchmark(Baseline = true)]
    public float VitTrainingStep128() => Step(_vit!, _vitOptimizer!);

    [Benchmark]
    public float SwinTrainingStep128() => Step(_swin!, _swinOptimizer!);

    [Benchmark]
    public float VitForward112Naive() => Forward(AttentionKernel.Naive);

    [Benchmark]
    public float VitForward112Sdpa() => Forward(AttentionKernel.Sdpa);

    private float Step(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.forward(_images!), _labels!);
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    private float Forward(AttentionKernel kernel)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _large!.Kernel = kernel;
        return _large.forward(_largeImages!).sum().item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _vit?.Dispose();
        _swin?.Dispose();
        _large?.Dispose();
        _images?.Dispose();
        _labels?.Dispose();
        _largeImages?.Dispose();
    }
}

/// <summary>
/// CLIP's InfoNCE against SigLIP's chunked sigmoid loss, forward + backward on (N, 64) unit embeddings, at batch sizes
/// 256, 1024 and 4096 (BenchmarkDotNet's memory diagnoser reports managed allocations only; the native peak is measured
/// by the multimodal.batch-size experiment). InfoNCE is the baseline.
/// </summary>
[MemoryDiagnoser]
public class ContrastiveLossBenchmarks
{
    private Tensor? _u;
    private Tensor? _v;
    private readonly Tensor _scale = tensor(10f);
    private readonly Tensor _bias = tensor(-10f);

    [Params(256, 1024, 4096)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Initialize();
        manual_seed(1);
        _u = nn.functional.normalize(randn(Batch, 64), dim: -1);
        _v = nn.functional.normalize(randn(Batch, 64), dim: -1);
    }

    [Benchmark(Baseline = true)]
    public float ClipInfoNce() => Run(ContrastiveLosses.InfoNce);

    [Benchmark]
    public float SigLipChunked64() => Run((u, v, s) => ContrastiveLosses.Sigmoid(u, v, s, _bias, 64));

    private float Run(Func<Tensor, Tensor, Tensor, Tensor> loss)
    {
        using var scope = NewDisposeScope();
        var u = _u!.detach().requires_grad_(true);
        var v = _v!.detach().requires_grad_(true);
        var l = loss(u, v, _scale);
        l.backward();
        return l.item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _u?.Dispose();
        _v?.Dispose();
    }
}
