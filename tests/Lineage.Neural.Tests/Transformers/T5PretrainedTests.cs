using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Transformers;

public sealed class T5PretrainedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-t5-hf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SaveThenLoad_SameOutputs_UnderHuggingFaceNames_AndBadTensorsAreNamed()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var t5 = new T5(T5Config.Tiny(30));
        t5.eval();
        t5.Save(_dir);
        using var loaded = T5.Load(_dir);
        loaded.eval();
        var src = tensor(new long[] { 5, 6, 7, 8 }).unsqueeze(0);
        var tgt = tensor(new long[] { 0, 9, 10 }).unsqueeze(0);
        Assert.Equal(0, (t5.Decode(tgt, t5.Encode(src, null), null) - loaded.Decode(tgt, loaded.Encode(src, null), null)).abs().max().item<float>());

        var path = Path.Combine(_dir, "model.safetensors");
        var tensors = Safetensors.Load(path);
        Assert.Equal(new long[] { 16, 2 }, tensors["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"].shape);
        Assert.Equal(new long[] { 64, 32 }, tensors["decoder.block.1.layer.2.DenseReluDense.wi.weight"].shape);
        Assert.True(tensors.ContainsKey("decoder.block.0.layer.1.EncDecAttention.k.weight"));
        Assert.Equal(1 + 2 + 2 + 2 * (4 + 1 + 2 + 1) + 2 * (4 + 1 + 4 + 1 + 2 + 1), tensors.Count);

        tensors.Remove("decoder.block.1.layer.1.EncDecAttention.v.weight");
        Safetensors.Save(path, tensors);
        Assert.Contains("'decoder.block.1.layer.1.EncDecAttention.v.weight' is missing", Assert.Throws<InvalidDataException>(() => T5.Load(_dir)).Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir, "config.json"), "{\"model_type\": \"t5\", \"feed_forward_proj\": \"gated-gelu\"}");
        Assert.Contains("gated-gelu", Assert.Throws<InvalidDataException>(() => T5.Load(_dir)).Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir, "config.json"), "{\"model_type\": \"bert\"}");
        Assert.Contains("another architecture ('bert')", Assert.Throws<InvalidDataException>(() => T5.Load(_dir)).Message, StringComparison.Ordinal);
    }
}
