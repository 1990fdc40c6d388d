using Lineage.Neural.Attention;
using Xunit;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Attention;

public class AttentionKernelRegistryTests
{
    [Fact]
    public void Kernels_AreFoundByTheirAttribute_AndEqualByClass()
    {
        Assert.Equal(["naive", "sdpa", "flash", "flash1"], AttentionKernel.All.Select(k => k.Id));
        Assert.False(AttentionKernel.Get("flash1") == AttentionKernel.Flash);
        Assert.IsType<FlashKernel>(AttentionKernel.Flash);
        Assert.Same(AttentionKernel.Get(" SDPA "), AttentionKernel.Sdpa);
        Assert.True(new NaiveKernel() == AttentionKernel.Naive);
        Assert.True(AttentionKernel.Naive != AttentionKernel.Flash);
        var e = Assert.Throws<ArgumentException>(() => AttentionKernel.Get("flash3"));
        Assert.Contains("Unknown attention kernel 'flash3'; known: naive, sdpa, flash, flash1.", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryKernel_SelfAttend_And_Attend_MatchTheWrittenOutReference(bool causal)
    {
        manual_seed(3);
        using var scope = NewDisposeScope();
        var (q, k, v) = (randn(2, 2, 37, 8), randn(2, 2, 37, 8), randn(2, 2, 37, 8));
        var reference = ScaledDotProduct.Naive(q, k, v, ScaledDotProduct.Mask(37, 37, null, causal, null, q.dtype, q.device));
        foreach (var kernel in AttentionKernel.All)
        {
            Assert.True((kernel.SelfAttend(q, k, v, causal) - reference).abs().max().item<float>() <= 1e-5, kernel.Id);
            Assert.True((ScaledDotProduct.Attend(kernel, q, k, v, null, causal, null) - reference).abs().max().item<float>() <= 1e-5, kernel.Id);
        }

        Assert.Throws<NotSupportedException>(() => ScaledDotProduct.Attend(AttentionKernel.Flash, q, k, v, ones(2, 37, dtype: ScalarType.Bool), causal, null));
        Assert.Equal(0, AttentionKernel.Sdpa.SelfAttendBytes(1, 2, 1024));
        Assert.True(AttentionKernel.Naive.SelfAttendBytes(1, 2, 1024) > AttentionKernel.Flash.SelfAttendBytes(1, 2, 1024));
    }
}
