using Lineage.Neural.Core;
using Lineage.Neural.Multimodal;
using Lineage.Neural.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Vision;

public sealed class ModelFolderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"lineage-vision-{Guid.NewGuid():N}");

    public ModelFolderTests()
    {
        TorchRuntime.Initialize();
        TorchThreads.AtMost(1);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    [Fact]
    public void Vit_RoundTrip_IsBitIdentical_WithHuggingFaceNames()
    {
        torch.manual_seed(0);
        using var model = new Vit(VitConfig.Tiny);
        model.eval();
        model.Save(_dir);
        using var loaded = Vit.Load(_dir);
        loaded.eval();
        using var scope = torch.NewDisposeScope();
        var x = torch.rand(2, 1, 28, 28);
        Assert.True(model.forward(x).allclose(loaded.forward(x), 0, 0));
        var names = Safetensors.Load(Path.Combine(_dir, "model.safetensors"));
        Assert.Contains("vit.embeddings.patch_embeddings.projection.weight", names.Keys);
        Assert.Contains("vit.encoder.layer.1.attention.attention.query.weight", names.Keys);
        Assert.Contains("vit.encoder.layer.0.intermediate.dense.bias", names.Keys);
        Assert.Equal([1L, 17L, 16L], names["vit.embeddings.position_embeddings"].shape);
        Assert.Contains("classifier.weight", names.Keys);
    }

    [Fact]
    public void Swin_RoundTrip_IsBitIdentical_WithHuggingFaceNames()
    {
        torch.manual_seed(0);
        using var model = new Swin(SwinConfig.Tiny);
        model.eval();
        model.Save(_dir);
        using var loaded = Swin.Load(_dir);
        loaded.eval();
        using var scope = torch.NewDisposeScope();
        var x = torch.rand(2, 1, 16, 16);
        Assert.True(model.forward(x).allclose(loaded.forward(x), 0, 0));
        var names = Safetensors.Load(Path.Combine(_dir, "model.safetensors")).Keys;
        Assert.Contains("swin.encoder.layers.0.blocks.1.attention.self.relative_position_bias_table", names);
        Assert.Contains("swin.encoder.layers.0.downsample.reduction.weight", names);
        Assert.Contains("swin.encoder.layers.1.blocks.0.output.dense.weight", names);
    }

    [Theory]
    [InlineData(ContrastiveObjective.Clip)]
    [InlineData(ContrastiveObjective.SigLip)]
    public void DualEncoder_RoundTrip_IsBitIdentical_WithClipNames(ContrastiveObjective objective)
    {
        torch.manual_seed(0);
        var tok = CaptionTokenizer.Build(["red apple", "cat face"]);
        using var model = new DualEncoder(DualEncoderConfig.Tiny(tok.VocabSize, objective));
        ModelFolders.SaveDualEncoder(_dir, model, tok);
        using var loaded = ModelFolders.LoadDualEncoder(_dir, out var tok2);
        Assert.Equal(tok.Words, tok2.Words);
        using var scope = torch.NewDisposeScope();
        var x = torch.rand(2, 3, 16, 16);
        var ids = tok.EncodeBatch(["red apple", "cat"], 8);
        model.eval();
        loaded.eval();
        Assert.True(model.forward(x, ids).allclose(loaded.forward(x, ids), 0, 0));
        var names = Safetensors.Load(Path.Combine(_dir, "model.safetensors")).Keys;
        Assert.Contains("vision_model.encoder.layers.0.self_attn.q_proj.weight", names);
        Assert.Contains("text_model.embeddings.token_embedding.weight", names);
        Assert.Contains("logit_scale", names);
        Assert.Equal(objective == ContrastiveObjective.SigLip, names.Contains("logit_bias"));
    }

    [Fact]
    public void MismatchedWeights_ThrowNamingTheTensor()
    {
        torch.manual_seed(0);
        using var model = new Vit(VitConfig.Tiny);
        model.Save(_dir);
        // Change one tensor's shape in the file: the error names it.
        var path = Path.Combine(_dir, "model.safetensors");
        var tensors = Safetensors.Load(path);
        tensors["vit.encoder.layer.0.attention.attention.key.weight"] = torch.zeros(3, 3);
        Safetensors.Save(path, tensors);
        var e = Assert.Throws<InvalidDataException>(() => Vit.Load(_dir));
        Assert.Contains("vit.encoder.layer.0.attention.attention.key.weight", e.Message, StringComparison.Ordinal);
        // A missing tensor is named too.
        tensors.Remove("vit.encoder.layer.0.attention.attention.key.weight");
        Safetensors.Save(path, tensors);
        e = Assert.Throws<InvalidDataException>(() => Vit.Load(_dir));
        Assert.Contains("vit.encoder.layer.0.attention.attention.key.weight", e.Message, StringComparison.Ordinal);
        // Another model type in config.json.
        Assert.Throws<InvalidDataException>(() => Swin.Load(_dir));
    }
}
