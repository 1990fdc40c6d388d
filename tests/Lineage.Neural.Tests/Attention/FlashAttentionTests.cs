using Lineage.Neural.Attention;
using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Attention;

public class FlashAttentionTests
{
    /// <summary>max |a − b| / max |b|: the relative error the issue bounds by 1e-4.</summary>
    private static double Relative(Tensor a, Tensor b) => (a - b).abs().max().item<float>() / Math.Max(1e-12, b.abs().max().item<float>());

    // B, H, G (kv heads), Tq, Tk, D, causal, Br, Bc: odd lengths hit partial tiles; G < H is GQA, G = 1 MQA.
    public static TheoryData<int, int, int, int, int, int, bool, int, int> Shapes => new()
    {
        { 1, 2, 2, 64, 64, 32, false, 64, 64 },
        { 2, 4, 2, 100, 100, 64, true, 64, 64 },
        { 1, 4, 1, 77, 77, 128, true, 32, 16 },
        { 1, 6, 3, 33, 50, 32, false, 16, 8 },
        { 2, 2, 1, 10, 37, 64, true, 4, 8 },
        { 1, 8, 2, 130, 130, 64, false, 64, 32 },
        { 1, 2, 2, 1, 9, 16, true, 64, 64 },
    };

    [Theory, MemberData(nameof(Shapes))]
    public void ForwardAndGradients_MatchNaiveAttention(int b, int h, int g, int tq, int tk, int d, bool causal, int br, int bc)
    {
        manual_seed(tq * 31 + d);
        using var scope = NewDisposeScope();
        var q = randn(b, h, tq, d).requires_grad_();
        var k = randn(b, g, tk, d).requires_grad_();
        var v = randn(b, g, tk, d).requires_grad_();
        var dOut = randn(b, h, tq, d);
        var options = new FlashOptions(Causal: causal, QueryBlock: br, KeyBlock: bc, Threads: 2);

        var reference = NaiveAttention.Forward(q, k, v, causal);
        var (rq, rk, rv) = Grads(reference, dOut, q, k, v);
        var flash = FlashAttentionFunction.Attend(q, k, v, options);
        var (fq, fk, fv) = Grads(flash, dOut, q, k, v);

        Assert.True(Relative(flash, reference) <= 1e-4, $"output {Relative(flash, reference):E2}");
        Assert.True(Relative(fq, rq) <= 1e-4, $"dQ {Relative(fq, rq):E2}");
        Assert.True(Relative(fk, rk) <= 1e-4, $"dK {Relative(fk, rk):E2}");
        Assert.True(Relative(fv, rv) <= 1e-4, $"dV {Relative(fv, rv):E2}");

        using var noGrad = no_grad();
        var (fa1, lse1) = FlashAttention.Forward(q, k, v, options with { Algorithm = FlashAlgorithm.Fa1 });
        Assert.True(Relative(fa1, reference) <= 1e-4, $"FA1 output {Relative(fa1, reference):E2}");
        var (_, lse2) = FlashAttention.Forward(q, k, v, options);
        var scores = matmul(q, k.repeat_interleave(h / g, dim: 1).transpose(-2, -1)) / Math.Sqrt(d);
        var mask = ScaledDotProduct.Mask(tq, tk, null, causal, null, ScalarType.Float32, CPU);
        var lseRef = (mask is null ? scores : scores + mask).logsumexp(-1);
        Assert.True(Relative(lse2, lseRef) <= 1e-5 && Relative(lse1, lseRef) <= 1e-5, "log-sum-exp");
    }

    private static (Tensor, Tensor, Tensor) Grads(Tensor output, Tensor dOut, Tensor q, Tensor k, Tensor v)
    {
        q.grad?.zero_();
        k.grad?.zero_();
        v.grad?.zero_();
        (output * dOut).sum().backward();
        return (q.grad!.clone(), k.grad!.clone(), v.grad!.clone());
    }

    [Fact]
    public void BackwardStridedOverKeyBlocks_MatchesSingleStride()
    {
        // One kv head (MQA) and 4 threads: the backward splits each head's key blocks into strides with their own dQ copies.
        manual_seed(5);
        using var scope = NewDisposeScope();
        var q = randn(1, 4, 200, 32);
        var k = randn(1, 1, 200, 32);
        var v = randn(1, 1, 200, 32);
        var dOut = randn(1, 4, 200, 32);
        var one = new FlashOptions(Causal: true, Threads: 1, QueryBlock: 32, KeyBlock: 32);
        var (o, lse) = FlashAttention.Forward(q, k, v, one);
        var a = FlashAttention.Backward(q, k, v, o, lse, dOut, one);
        var b = FlashAttention.Backward(q, k, v, o, lse, dOut, one with { Threads = 4 });
        Assert.True(Relative(b.DQ, a.DQ) <= 1e-5 && Relative(b.DK, a.DK) <= 1e-5 && Relative(b.DV, a.DV) <= 1e-5);
    }

    [Fact]
    public void NonContiguousInputs_AndExplicitScale_MatchNaive()
    {
        manual_seed(6);
        using var scope = NewDisposeScope();
        var q = randn(1, 40, 2, 32).transpose(1, 2);                 // (1, 2, 40, 32), not contiguous
        var k = randn(1, 40, 2, 32).transpose(1, 2);
        var v = randn(1, 40, 2, 32).transpose(1, 2);
        var (o, _) = FlashAttention.Forward(q, k, v, new FlashOptions(Scale: 0.3));
        Assert.True(Relative(o, NaiveAttention.Forward(q, k, v, false, 0.3)) <= 1e-4);
    }

    [Fact]
    public void Gpt_TrainsThroughTheFlashKernel_WithTheSameLogitsAsSdpa()
    {
        using var threads = TorchThreads.AtMost(1);
        manual_seed(7);
        using var gpt = new Gpt(GptConfig.Tiny(20) with { ContextLength = 40 });
        var x = randint(0, 20, [3, 40]);
        var y = randint(0, 20, [3, 40]);
        gpt.Kernel = AttentionKernel.Sdpa;
        var sdpa = gpt.forward(x);
        gpt.Kernel = AttentionKernel.Flash;
        var flash = gpt.forward(x);
        Assert.True(Relative(flash, sdpa) <= 1e-4);

        // Cached generation calls the kernel with 1 query over t keys (causal offset t − 1).
        gpt.Kernel = AttentionKernel.Sdpa;
        var expected = gpt.Generate([1, 2, 3], 10, Sampling.Greedy);
        gpt.Kernel = AttentionKernel.Flash;
        Assert.Equal(expected, gpt.Generate([1, 2, 3], 10, Sampling.Greedy));

        var optimizer = optim.Adam(gpt.parameters(), 0.01);
        float first = 0, last = 0;
        for (int step = 0; step < 15; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = Gpt.Loss(gpt.forward(x), y);
            loss.backward();
            optimizer.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }

        Assert.True(last < first - 0.5, $"loss {first} → {last}");
        Assert.All(gpt.parameters(), p => Assert.True(p.grad is not null));
    }

    [Fact]
    public void BadInput_IsRefusedWithClearErrors()
    {
        using var scope = NewDisposeScope();
        var ok = randn(1, 4, 8, 16);
        Assert.Contains("n = 0", Assert.Throws<ArgumentException>(() => FlashAttention.Forward(randn(1, 4, 0, 16), randn(1, 4, 0, 16), randn(1, 4, 0, 16))).Message, StringComparison.Ordinal);
        Assert.Contains("divisible by the 3 key/value heads", Assert.Throws<ArgumentException>(() => FlashAttention.Forward(ok, randn(1, 3, 8, 16), randn(1, 3, 8, 16))).Message, StringComparison.Ordinal);
        Assert.Contains("divisible", Assert.Throws<ArgumentException>(() => NaiveAttention.Forward(ok, randn(1, 3, 8, 16), randn(1, 3, 8, 16), false)).Message, StringComparison.Ordinal);
        Assert.Contains("fp32", Assert.Throws<ArgumentException>(() => FlashAttention.Forward(ok.to(ScalarType.Float64), ok, ok)).Message, StringComparison.Ordinal);
        Assert.Contains("Tq ≤ Tk", Assert.Throws<ArgumentException>(() => FlashAttention.Forward(ok, randn(1, 4, 5, 16), randn(1, 4, 5, 16), FlashOptions.CausalDefault)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => FlashAttention.Forward(ok, ok, ok, new FlashOptions(QueryBlock: 0)));

        // n = 64k naive attention with gradients: 8 heads × 64k² × 4 bytes × 4 matrices ≈ 512 GiB, refused before allocating.
        var huge = zeros(1, 1, 1, 64).expand(1, 8, 65536, 64).requires_grad_();
        var error = Assert.Throws<InsufficientMemoryException>(() => NaiveAttention.Forward(huge, huge, huge, true));
        Assert.Contains("GiB", error.Message, StringComparison.Ordinal);
        Assert.Contains("n=65536", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NaN_PropagatesAsInTheReference()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        var q = randn(1, 2, 70, 16);
        var k = randn(1, 2, 70, 16);
        var v = randn(1, 2, 70, 16);
        q[0, 0, 5, 3] = tensor(float.NaN);                        // one query row: only its own output row
        k[0, 1, 40, 0] = tensor(float.NaN);                       // one key of head 1: every query that sees it
        var (o, _) = FlashAttention.Forward(q, k, v, FlashOptions.CausalDefault);
        // Every output that depends on a NaN is NaN, as in unmasked naive attention. (The written-out causal reference also
        // poisons queries before the NaN key, since NaN + (−∞) is NaN; a masked key is not read by the kernel at all.)
        var unmasked = NaiveAttention.Forward(q, k, v, false);
        var (o2, _) = FlashAttention.Forward(q, k, v);
        Assert.True(o2.isnan().eq(unmasked.isnan()).all().item<bool>());
        Assert.True(o[0, 0, 5].isnan().all().item<bool>());
        Assert.False(o[0, 0, 4].isnan().any().item<bool>());
        Assert.True(o[0, 1, 40..].isnan().all().item<bool>());
        Assert.False(o[0, 1, ..40].isnan().any().item<bool>());
    }

    [Fact]
    public void Phases_CountExactlyTheKernelsFlops_AndNothingWhenOff()
    {
        // Not causal: every tile is computed, so the recorded products add up to the FLOP counts the benchmark divides by.
        manual_seed(5);
        var q = randn(1, 2, 100, 16);
        var k = randn(1, 2, 100, 16);
        var v = randn(1, 2, 100, 16);
        var options = FlashOptions.Default with { QueryBlock = 32, KeyBlock = 48 };
        FlashPhases.Reset();
        var (o, lse) = FlashAttention.Forward(q, k, v, options);
        Assert.All(FlashPhases.Snapshot(), x => Assert.Equal(0, x.CpuSeconds));
        FlashPhases.Enabled = true;
        try
        {
            (o, lse) = FlashAttention.Forward(q, k, v, options);
            var forward = FlashPhases.Snapshot();
            double forwardFlops = FlashAttention.ForwardFlops(1, 2, 100, 100, 16, causal: false);
            Assert.Equal(forwardFlops, forward.Sum(x => x.Flops));
            Assert.Equal(forwardFlops / 2, forward.Single(x => x.Phase == FlashPhase.ForwardQk).Flops);
            Assert.True(forward.Single(x => x.Phase == FlashPhase.ForwardSoftmax).CpuSeconds > 0);
            FlashPhases.Reset();
            FlashAttention.Backward(q, k, v, o, lse, randn(1, 2, 100, 16), options);
            var backward = FlashPhases.Snapshot();
            Assert.Equal(FlashAttention.ForwardBackwardFlops(1, 2, 100, 100, 16, causal: false) - forwardFlops, backward.Sum(x => x.Flops));
            Assert.All(new[] { FlashPhase.BackwardQk, FlashPhase.BackwardDv, FlashPhase.BackwardDp, FlashPhase.BackwardDk, FlashPhase.BackwardDq },
                phase => Assert.Equal(forwardFlops / 2, backward.Single(x => x.Phase == phase).Flops));
        }
        finally
        {
            FlashPhases.Enabled = false;
            FlashPhases.Reset();
        }
    }
}
