using Lineage.Neural.Attention;
using Lineage.Neural.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Transformers;

public class BlocksTests
{
    private static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Fact]
    public void NaiveAndFusedAttention_AgreeWithPaddingCausalMaskAndBias()
    {
        manual_seed(1);
        using var scope = NewDisposeScope();
        var q = randn(2, 3, 5, 8);
        var k = randn(2, 3, 5, 8);
        var v = randn(2, 3, 5, 8);
        var padding = tensor(new[] { true, true, true, true, true, true, true, true, false, false }, [2, 5]);
        var bias = randn(1, 3, 5, 5);
        foreach (bool causal in new[] { false, true })
        {
            var mask = ScaledDotProduct.Mask(5, 5, padding, causal, bias, ScalarType.Float32, CPU);
            Assert.True(MaxDiff(ScaledDotProduct.Naive(q, k, v, mask), ScaledDotProduct.Fused(q, k, v, mask)) <= 1e-5);
            Assert.True(MaxDiff(ScaledDotProduct.Naive(q, k, v, mask, scale: 1.0), ScaledDotProduct.Fused(q, k, v, mask, scale: 1.0)) <= 1e-5);
        }

        // Padded keys get exactly zero weight: changing them changes nothing.
        var mask2 = ScaledDotProduct.Mask(5, 5, padding, false, null, ScalarType.Float32, CPU);
        var v2 = v.clone();
        v2[1, .., 3..] = randn(3, 2, 8) * 100;
        Assert.True(MaxDiff(ScaledDotProduct.Naive(q, k, v, mask2)[1], ScaledDotProduct.Naive(q, k, v2, mask2)[1]) == 0);
    }

    [Fact]
    public void MultiHeadAttention_KernelSwitch_SameOutput_AndBadShapesAreDotNetErrors()
    {
        manual_seed(2);
        using var scope = NewDisposeScope();
        using var mha = new MultiHeadAttention(16, 4, dropout: 0);
        var x = randn(2, 6, 16);
        var padding = ones([2, 6], ScalarType.Bool);
        padding[0, 4..] = tensor(false);
        mha.Kernel = AttentionKernel.Naive;
        var naive = mha.forward(x, padding, causal: true);
        mha.Kernel = AttentionKernel.Sdpa;
        var fused = mha.forward(x, padding, causal: true);
        Assert.True(MaxDiff(naive, fused) <= 1e-5);
        Assert.Throws<ArgumentException>(() => mha.forward(randn(2, 6, 15)));
        Assert.Throws<ArgumentException>(() => new MultiHeadAttention(10, 4));
    }

    private static TransformerBlock[] Stack(int layers) =>
        [.. Enumerable.Range(0, layers).Select(_ => new TransformerBlock(new BlockConfig(16, 4, 32, Dropout: 0)))];

    private static Tensor Run(TransformerBlock[] blocks, Tensor x, Tensor? padding, bool causal)
    {
        foreach (var b in blocks) x = b.forward(x, padding, causal);
        return x;
    }

    [Fact]
    public void CausalStack_OutputAtT_IgnoresLaterTokens()
    {
        manual_seed(3);
        using var scope = NewDisposeScope();
        var blocks = Stack(2);
        var x = randn(1, 8, 16);
        var changed = x.clone();
        changed[0, 5..] = randn(3, 16);
        var a = Run(blocks, x, null, causal: true);
        var b = Run(blocks, changed, null, causal: true);
        Assert.True(MaxDiff(a[0, ..5], b[0, ..5]) <= 1e-6);
        Assert.True(MaxDiff(a[0, 5..], b[0, 5..]) > 1e-3);
        foreach (var blk in blocks) blk.Dispose();
    }

    [Fact]
    public void Padding_DoesNotChangeTheUnpaddedOutputs_PreNormAndBertsPostNorm()
    {
        manual_seed(4);
        using var scope = NewDisposeScope();
        var pre = Stack(2);
        BertLayer[] post = [new BertLayer(16, 4, dropout: 0), new BertLayer(16, 4, dropout: 0)];
        var x = randn(1, 5, 16);
        var padded = cat([x, randn(1, 3, 16)], 1);
        var mask = tensor(new[] { true, true, true, true, true, false, false, false }, [1, 8]);
        Assert.True(MaxDiff(Run(pre, x, null, causal: false), Run(pre, padded, mask, causal: false)[.., ..5]) <= 1e-5, "pre-norm");
        Tensor Post(Tensor h, Tensor? m)
        {
            foreach (var layer in post) h = layer.forward(h, m);
            return h;
        }

        Assert.True(MaxDiff(Post(x, null), Post(padded, mask)[.., ..5]) <= 1e-5, "post-norm");
    }

    [Fact]
    public void KvCache_StepByStepDecoding_EqualsTheFullForward()
    {
        manual_seed(5);
        using var scope = NewDisposeScope();
        GptBlock[] blocks = [new GptBlock(16, 4, dropout: 0), new GptBlock(16, 4, dropout: 0), new GptBlock(16, 4, dropout: 0)];
        var x = randn(2, 7, 16);
        var full = x;
        foreach (var b in blocks) full = b.forward(full);
        using var cache = new KvCache(blocks.Length);
        var steps = new List<Tensor>();
        for (int t = 0; t < 7; t++)
        {
            var h = x[.., t..(t + 1)];
            for (int l = 0; l < blocks.Length; l++) h = blocks[l].forward(h, cache, l);
            steps.Add(h);
        }

        Assert.Equal(7, cache.Length);
        Assert.True(MaxDiff(full, cat(steps, 1)) <= 1e-5);
    }

    [Fact]
    public void EveryParameterGetsAGradient_InT5sDecoderBlock_WithCrossAttentionAndRmsNorm()
    {
        manual_seed(6);
        using var scope = NewDisposeScope();
        var block = new T5Block(T5Config.Tiny(30) with { Dim = 16, Heads = 4, Hidden = 32 }, decoder: true);
        var memory = randn(2, 4, 16);
        var y = block.Decode(randn(2, 3, 16), null, memory, null, null, 0);
        y.sum().backward();
        var names = block.named_parameters().Select(p => p.name).ToList();
        Assert.Contains("cross_attn.q.weight", names);
        Assert.DoesNotContain(names, n => n.EndsWith(".bias", StringComparison.Ordinal));
        Assert.All(block.named_parameters(), p => Assert.True(p.parameter.grad is not null && p.parameter.grad.abs().sum().item<float>() > 0, p.name));
    }

    [Fact]
    public void SinusoidalPositions_FollowTheFormula()
    {
        using var scope = NewDisposeScope();
        var pe = SinusoidalPositions.Encode(10, 8);
        Assert.Equal(new long[] { 10, 8 }, pe.shape);
        Assert.Equal(Math.Sin(1.0), pe[1, 0].item<float>(), 5);
        Assert.Equal(Math.Cos(1.0), pe[1, 1].item<float>(), 5);
        Assert.Equal(Math.Sin(7 / Math.Pow(10000, 4.0 / 8)), pe[7, 4].item<float>(), 5);
        Assert.Equal(Math.Cos(7 / Math.Pow(10000, 6.0 / 8)), pe[7, 7].item<float>(), 5);
        Assert.True(MaxDiff(SinusoidalPositions.Encode(3, 8, start: 7), pe[7..]) <= 1e-6);
    }

    [Theory]
    [InlineData(0, true, 0)]
    [InlineData(-1, true, 1)]
    [InlineData(1, true, 17)]
    [InlineData(-7, true, 7)]
    [InlineData(-8, true, 8)]
    [InlineData(-128, true, 15)]
    [InlineData(200, true, 31)]
    [InlineData(-1, false, 1)]
    [InlineData(5, false, 0)]
    [InlineData(-15, false, 15)]
    [InlineData(-16, false, 16)]
    [InlineData(-1000, false, 31)]
    public void T5Buckets_ExactNearLogarithmicFar(int offset, bool bidirectional, int bucket) =>
        Assert.Equal(bucket, RelativePositionBias.Bucket(offset, bidirectional));

    [Fact]
    public void RelativeBias_Shape_AndDecoderOffsetForCachedSteps()
    {
        using var scope = NewDisposeScope();
        using var rel = new RelativePositionBias(heads: 4, bidirectional: false);
        var full = rel.forward(5, 5);
        Assert.Equal(new long[] { 1, 4, 5, 5 }, full.shape);
        Assert.True(MaxDiff(rel.forward(1, 5, queryOffset: 4), full[.., .., 4..5]) == 0);
    }

    [Fact]
    public void LearnedPositions_BeyondTheContext_IsAClearError_AndTiedLogitsUseTheEmbedding()
    {
        using var scope = NewDisposeScope();
        using var pos = new LearnedPositions(8, 16);
        Assert.Equal(new long[] { 8, 16 }, pos.forward(arange(8)).shape);
        Assert.Contains("context of 8", Assert.Throws<ArgumentException>(() => pos.forward(arange(9))).Message, StringComparison.Ordinal);
        var emb = randn(50, 16);
        var h = randn(2, 3, 16);
        Assert.True(MaxDiff(TiedEmbeddings.Logits(h, emb), matmul(h, emb.t())) <= 1e-5);
        Assert.Equal(new long[] { 2, 3, 50 }, TiedEmbeddings.Logits(h, emb).shape);
    }
}
