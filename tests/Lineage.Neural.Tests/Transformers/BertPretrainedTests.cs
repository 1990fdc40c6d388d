using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Transformers;

public sealed class BertPretrainedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-bert-hf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Bert Model(int typeVocab = 2)
    {
        manual_seed(4);
        var bert = new Bert(new BertConfig(VocabSize: 40, MaxLength: 16, Layers: 2, Heads: 2, Dim: 8, Dropout: 0, TypeVocab: typeVocab));
        bert.eval();
        return bert;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SaveThenLoad_SameOutputs_UnderHuggingFaceNames(bool roberta)
    {
        using var scope = NewDisposeScope();
        using var bert = Model(roberta ? 1 : 2);
        bert.Save(_dir, roberta, padId: 1);
        var (loaded, isRoberta) = Bert.Load(_dir);
        using var _ = loaded;
        loaded.eval();
        Assert.Equal(roberta, isRoberta);
        var ids = tensor(new long[] { 3, 14, 15, 9, 2, 6 }).unsqueeze(0);
        var h = bert.forward(ids);
        Assert.Equal(0, (h - loaded.forward(ids)).abs().max().item<float>());
        Assert.Equal(0, (bert.MlmLogits(h) - loaded.MlmLogits(h)).abs().max().item<float>());

        var tensors = Safetensors.Load(Path.Combine(_dir, "model.safetensors"));
        string root = roberta ? "roberta" : "bert";
        Assert.Equal(new long[] { 8, 8 }, tensors[$"{root}.encoder.layer.1.attention.self.query.weight"].shape);
        Assert.Equal(new long[] { 32, 8 }, tensors[$"{root}.encoder.layer.0.intermediate.dense.weight"].shape);
        Assert.Equal(new long[] { roberta ? 18 : 16, 8 }, tensors[$"{root}.embeddings.position_embeddings.weight"].shape);
        Assert.True(tensors.ContainsKey(roberta ? "lm_head.layer_norm.weight" : "cls.predictions.transform.LayerNorm.weight"));
        Assert.Equal(!roberta, tensors.ContainsKey("cls.seq_relationship.weight"));
        Assert.Contains(roberta ? "\"model_type\": \"roberta\"" : "\"model_type\": \"bert\"", File.ReadAllText(Path.Combine(_dir, "config.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NamesTheBadTensor()
    {
        using var bert = Model();
        bert.Save(_dir);
        var path = Path.Combine(_dir, "model.safetensors");
        var tensors = Safetensors.Load(path);

        tensors.Remove("bert.encoder.layer.1.output.dense.weight");
        Safetensors.Save(path, tensors);
        Assert.Contains("'bert.encoder.layer.1.output.dense.weight' is missing", Assert.Throws<InvalidDataException>(() => Bert.Load(_dir)).Message, StringComparison.Ordinal);

        bert.Save(_dir);
        tensors = Safetensors.Load(path);
        tensors["bert.embeddings.word_embeddings.weight"] = zeros(41, 8);
        tensors["bert.extra.weight"] = zeros(1);
        Safetensors.Save(path, tensors);
        Assert.Contains("'bert.embeddings.word_embeddings.weight' has shape (41, 8)", Assert.Throws<InvalidDataException>(() => Bert.Load(_dir)).Message, StringComparison.Ordinal);

        bert.Save(_dir);
        tensors = Safetensors.Load(path);
        tensors["bert.extra.weight"] = zeros(1);
        Safetensors.Save(path, tensors);
        Assert.Contains("unexpected tensor 'bert.extra.weight'", Assert.Throws<InvalidDataException>(() => Bert.Load(_dir)).Message, StringComparison.Ordinal);

        using var gpt = new Gpt(GptConfig.Tiny(10));
        gpt.Save(_dir);
        Assert.Contains("another architecture ('gpt2')", Assert.Throws<InvalidDataException>(() => Bert.Load(_dir)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ABareEncoderWithoutHeads_Loads()
    {
        using var bert = Model();
        bert.Save(_dir);
        var path = Path.Combine(_dir, "model.safetensors");
        var tensors = Safetensors.Load(path).Where(kv => !kv.Key.StartsWith("cls.", StringComparison.Ordinal)).ToDictionary();
        Safetensors.Save(path, tensors);

        var (loaded, _) = Bert.Load(_dir);
        using var l = loaded;
        loaded.eval();
        var ids = tensor(new long[] { 1, 2, 3 }).unsqueeze(0);
        Assert.Equal(0, (bert.forward(ids) - loaded.forward(ids)).abs().max().item<float>());
    }
}
