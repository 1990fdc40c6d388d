using Lineage.Neural.Core;
using Lineage.Neural.Multimodal;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Multimodal;

public class ClipTests
{
    public ClipTests()
    {
        TorchRuntime.Initialize();
        TorchThreads.AtMost(1);
    }

    private static readonly string[] Captions = ["red apple. food & drink", "green apple. food & drink", "cat face. animals", "dog face. animals"];

    [Fact]
    public void Tokenizer_EncodesWithBosEos_TruncatesAndMarksUnknownWords()
    {
        var tok = CaptionTokenizer.Build(Captions);
        var ids = tok.Encode("red apple", 6);
        Assert.Equal(CaptionTokenizer.Bos, ids[0]);
        Assert.Equal(CaptionTokenizer.Eos, ids[3]);
        Assert.Equal(CaptionTokenizer.Pad, ids[5]);
        var longIds = tok.Encode("red apple green apple cat face dog face", 5);      // truncated: 3 words + [EOS]
        Assert.Equal(CaptionTokenizer.Eos, longIds[4]);
        Assert.Equal(CaptionTokenizer.Unk, tok.Encode("purple apple", 6)[1]);
        Assert.Equal(["purple"], tok.Unknown("purple apple"));
        Assert.Contains("&", tok.Words);
    }

    [Theory]
    [InlineData(ContrastiveObjective.Clip)]
    [InlineData(ContrastiveObjective.SigLip)]
    public void DualEncoder_UnitEmbeddings_LossAndGradients(ContrastiveObjective objective)
    {
        torch.manual_seed(0);
        var tok = CaptionTokenizer.Build(Captions);
        using var model = new DualEncoder(DualEncoderConfig.Tiny(tok.VocabSize, objective));
        using var scope = torch.NewDisposeScope();
        var images = torch.rand(4, 3, 16, 16);
        var ids = tok.EncodeBatch(Captions, 8);
        var u = model.EncodeImages(images);
        Assert.Equal([4L, 16L], u.shape);
        Assert.True(u.norm(1).allclose(torch.ones(4), atol: 1e-5));
        Assert.Equal([4L, 4L], model.forward(images, ids).shape);
        var loss = model.Loss(images, ids);
        loss.backward();
        Assert.True(float.IsFinite(loss.item<float>()));
        Assert.All(model.named_parameters(), p => Assert.True(p.parameter.grad is not null, $"no gradient for {p.name}"));
        if (objective == ContrastiveObjective.SigLip)
        {
            Assert.Equal(10f, model.Scale.item<float>(), 4);
            Assert.Equal(-10f, model.Bias!.item<float>(), 4);
        }
        else
        {
            Assert.Equal(1 / 0.07f, model.Scale.item<float>(), 2);
        }
    }

    [Fact]
    public void SigmoidLoss_ChunkedEqualsWhole_AndMatchesTheDefinition()
    {
        torch.manual_seed(0);
        using var scope = torch.NewDisposeScope();
        var u = nn.functional.normalize(torch.randn(7, 5), dim: -1);
        var v = nn.functional.normalize(torch.randn(7, 5), dim: -1);
        var t = torch.tensor(10f);
        var b = torch.tensor(-10f);
        var whole = ContrastiveLosses.Sigmoid(u, v, t, b);
        var chunked = ContrastiveLosses.Sigmoid(u, v, t, b, chunk: 3);
        Assert.Equal(whole.item<float>(), chunked.item<float>(), 4);
        // Written out: −(1/N) Σ_ij log σ(z_ij (t u·v + b)).
        var logits = 10 * u.matmul(v.t()) - 10;
        var z = 2 * torch.eye(7) - 1;
        float reference = -nn.functional.logsigmoid(z * logits).sum().item<float>() / 7;
        Assert.Equal(reference, whole.item<float>(), 4);
    }

    [Fact]
    public void SigmoidWithGradient_BlockByBlock_MatchesAutograd()
    {
        torch.manual_seed(0);
        using var scope = torch.NewDisposeScope();
        var u0 = nn.functional.normalize(torch.randn(9, 4), dim: -1);
        var v0 = nn.functional.normalize(torch.randn(9, 4), dim: -1);
        var (u1, v1, t1, b1) = (u0.clone().requires_grad_(true), v0.clone().requires_grad_(true), torch.tensor(10f).requires_grad_(true), torch.tensor(-10f).requires_grad_(true));
        var reference = ContrastiveLosses.Sigmoid(u1, v1, t1, b1);
        reference.backward();
        var (u2, v2, t2, b2) = (u0.clone().requires_grad_(true), v0.clone().requires_grad_(true), torch.tensor(10f).requires_grad_(true), torch.tensor(-10f).requires_grad_(true));
        double value = ContrastiveLosses.SigmoidWithGradient(u2, v2, t2, b2, chunk: 4);
        Assert.Equal(reference.item<float>(), value, 4);
        Assert.True(u1.grad!.allclose(u2.grad!, atol: 1e-6) && v1.grad!.allclose(v2.grad!, atol: 1e-6));
        Assert.True(t1.grad!.allclose(t2.grad!, atol: 1e-6) && b1.grad!.allclose(b2.grad!, atol: 1e-6));
    }

    [Fact]
    public void InfoNce_IsSymmetricCrossEntropy_AndLowForMatchingPairs()
    {
        using var scope = torch.NewDisposeScope();
        var u = torch.eye(4);
        var aligned = ContrastiveLosses.InfoNce(u, u, torch.tensor(20f)).item<float>();
        var shuffled = ContrastiveLosses.InfoNce(u, u.roll(1, 0), torch.tensor(20f)).item<float>();
        Assert.True(aligned < 0.01f && shuffled > 10f, $"aligned {aligned}, shuffled {shuffled}");
        var e = Assert.Throws<ArgumentException>(() => ContrastiveLosses.InfoNce(torch.eye(4), torch.eye(3), torch.tensor(1f)));
        Assert.Contains("(4, 4)", e.Message, StringComparison.Ordinal);
    }
}
