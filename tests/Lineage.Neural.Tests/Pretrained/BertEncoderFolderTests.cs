using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Pretrained;

/// <summary>What real checkpoints need of <see cref="Bert"/>: ε from config.json, bare BertModel folders, an optional pooler.</summary>
public sealed class BertEncoderFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-bert-encoder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Bert Model(double eps)
    {
        manual_seed(3);
        var bert = new Bert(BertConfig.Tiny(24) with { LayerNormEps = eps });
        bert.eval();
        return bert;
    }

    [Theory]
    [InlineData(1e-12)]
    [InlineData(1e-5)]
    public void LayerNormEps_IsWrittenAndRead(double eps)
    {
        using var scope = NewDisposeScope();
        using var bert = Model(eps);
        bert.Save(_dir);
        Assert.Equal(eps, (double)JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "config.json")))!["layer_norm_eps"]!);
        var (loaded, _) = Bert.Load(_dir);
        using var __ = loaded;
        Assert.Equal(eps, loaded.Config.LayerNormEps);
    }

    [Fact]
    public void LayerNormEps_AbsentIsHuggingFacesDefault_AndABadOneIsAnError()
    {
        using var scope = NewDisposeScope();
        using var bert = Model(1e-5);
        bert.Save(_dir);
        var path = Path.Combine(_dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        config.Remove("layer_norm_eps");
        File.WriteAllText(path, config.ToJsonString());
        var (loaded, _) = Bert.Load(_dir);
        loaded.Dispose();
        Assert.Equal(1e-12, loaded.Config.LayerNormEps);

        config["layer_norm_eps"] = -1;
        File.WriteAllText(path, config.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => Bert.Load(_dir));
        Assert.Contains("'layer_norm_eps' is -1, not a positive number", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SaveEncoder_WritesBareBertModelNames_ThatLoad(bool pooler)
    {
        using var scope = NewDisposeScope();
        using var bert = Model(1e-12);
        bert.SaveEncoder(_dir, pooler);
        var tensors = Safetensors.Load(Path.Combine(_dir, "model.safetensors"));
        var keys = tensors.Keys.ToList();
        foreach (var t in tensors.Values) t.Dispose();
        Assert.Contains("embeddings.word_embeddings.weight", keys);
        Assert.Contains("encoder.layer.1.output.dense.weight", keys);
        Assert.Equal(pooler, keys.Contains("pooler.dense.weight"));
        Assert.DoesNotContain(keys, k => k.StartsWith("bert.", StringComparison.Ordinal) || k.StartsWith("cls.", StringComparison.Ordinal));

        var (loaded, roberta) = Bert.Load(_dir);
        using var _ = loaded;
        loaded.eval();
        Assert.False(roberta);
        var ids = tensor(new long[] { 1, 5, 9, 2 }).unsqueeze(0);
        var h = bert.forward(ids);
        Assert.Equal(0, (h - loaded.forward(ids)).abs().max().item<float>());
        if (pooler) Assert.Equal(0, (bert.Pooled(h) - loaded.Pooled(h)).abs().max().item<float>());
    }

    [Fact]
    public void Gelu_IsTheErfForm()
    {
        // Hugging Face's "gelu" is x·Φ(x) = ½x(1 + erf(x/√2)), not the tanh approximation.
        using var scope = NewDisposeScope();
        var x = linspace(-4, 4, 81);
        var erfForm = 0.5 * x * (1 + special.erf(x / Math.Sqrt(2)));
        Assert.True((nn.functional.gelu(x) - erfForm).abs().max().item<float>() < 1e-6f);
        Assert.True((FeedForward.GeluTanh(x) - erfForm).abs().max().item<float>() > 1e-4f);
    }
}
