using Lineage.Neural.Pretrained;
using Lineage.Neural.Transformers;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Pretrained;

/// <summary>The ONNX → Hugging Face import on small synthetic ONNX models: round trip, and every kind of tampering a clear error.</summary>
public sealed class OnnxImportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-onnx-import-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Bert Model(double eps = 1e-12)
    {
        manual_seed(7);
        var bert = new Bert(BertConfig.Tiny(20) with { LayerNormEps = eps });
        bert.eval();
        return bert;
    }

    private string Write(ModelProto model, string name = "model.onnx")
    {
        var path = Path.Combine(_dir, name);
        SyntheticOnnx.Write(model, path);
        return path;
    }

    private string Vocab(int size)
    {
        var path = Path.Combine(_dir, "vocab.txt");
        File.WriteAllLines(path, Enumerable.Range(0, size).Select(i => i switch { 0 => "[PAD]", 1 => "[UNK]", 2 => "[CLS]", 3 => "[SEP]", 4 => "[MASK]", _ => $"w{i}" }));
        return path;
    }

    [Theory]
    [InlineData(true, 1e-12)]
    [InlineData(false, 1e-5)]
    public void Read_SyntheticExport_GivesTheSameEncoder(bool pooler, double eps)
    {
        using var scope = NewDisposeScope();
        using var bert = Model(eps);
        var weights = OnnxBertReader.Read(Write(SyntheticOnnx.FromBert(bert, pooler)));
        Assert.Equal(bert.Config with { Dropout = 0 }, weights.Config);
        Assert.Equal(pooler, weights.HasPooler);
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], weights.Inputs);
        using var loaded = OnnxBertReader.ToBert(weights);
        var ids = tensor(new long[] { 2, 7, 9, 11, 3, 0, 2, 5, 3, 0, 0, 0 }, [2, 6]);
        var mask = ids.ne(0);
        Assert.Equal(0, (bert.Encode(ids, mask, null) - loaded.Encode(ids, mask, null)).abs().max().item<float>());
        if (pooler) Assert.Equal(0, (bert.Pooled(bert.forward(ids)) - loaded.Pooled(bert.forward(ids))).abs().max().item<float>());
    }

    [Fact]
    public void Import_WritesAHuggingFaceFolderThatBertLoads()
    {
        using var scope = NewDisposeScope();
        using var bert = Model();
        var output = Path.Combine(_dir, "out");
        PretrainedModels.Import(Write(SyntheticOnnx.FromBert(bert, pooler: false)), Vocab(20), output, Pooling.Cls);
        Assert.True(File.Exists(Path.Combine(output, "config.json")));
        Assert.True(File.Exists(Path.Combine(output, "vocab.txt")));
        var tensors = Lineage.Neural.Core.Safetensors.Load(Path.Combine(output, "model.safetensors"));
        Assert.Contains("encoder.layer.1.attention.self.query.weight", tensors.Keys);
        Assert.DoesNotContain(tensors.Keys, k => k.StartsWith("pooler.", StringComparison.Ordinal) || k.StartsWith("cls.", StringComparison.Ordinal));
        foreach (var t in tensors.Values) t.Dispose();
        var (loaded, roberta) = Bert.Load(output);
        using var _ = loaded;
        loaded.eval();
        Assert.False(roberta);
        Assert.Equal(1e-12, loaded.Config.LayerNormEps);
        var ids = tensor(new long[] { 2, 7, 9, 3 }).unsqueeze(0);
        Assert.Equal(0, (bert.forward(ids) - loaded.forward(ids)).abs().max().item<float>());
        using var embedder = SentenceEmbedder.Load(output);
        Assert.Equal(Pooling.Cls, embedder.DefaultPooling);
        Assert.Empty(Directory.GetDirectories(_dir, ".out.staging-*"));
    }

    public static TheoryData<string, string> Tamperings() => new()
    {
        { "missing", "tensor 'encoder.layer.1.output.LayerNorm.bias' is missing" },
        { "shape", "tensor 'encoder.layer.0.attention.output.LayerNorm.weight' has shape (31); this encoder needs (32)" },
        { "nan", "tensor 'encoder.layer.0.attention.self.key.weight' holds NaN or infinite values" },
        { "extra", "unexpected tensor 'encoder.layer.0.attention.self.extra.bias'" },
        { "stray", "unexpected tensor 'stray'" },
        { "unnamed", "no Add with a named bias follows it" },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public void Import_TamperedOnnx_IsAClearErrorAndWritesNothing(string how, string expected)
    {
        using var scope = NewDisposeScope();
        using var bert = Model();
        var model = SyntheticOnnx.FromBert(bert, pooler: true);
        var inits = model.Graph.Initializer;
        TensorProto Init(string name) => inits.Single(t => t.Name == name);
        switch (how)
        {
            case "missing":
                inits.Remove(Init("encoder.layer.1.output.LayerNorm.bias"));
                break;
            case "shape":
                var w = Init("encoder.layer.0.attention.output.LayerNorm.weight");
                inits[inits.IndexOf(w)] = SyntheticOnnx.Tensor(w.Name, [31], SyntheticOnnx.Floats(w)[..31]);
                break;
            case "nan":
                // The key weight: the MatMul whose Add uses the key's bias.
                var add = model.Graph.Node.First(n => n.OpType == "Add" && n.Input.Contains("encoder.layer.0.attention.self.key.bias"));
                var matmul = model.Graph.Node.First(n => n.OpType == "MatMul" && add.Input.Contains(n.Output[0]));
                var k = Init(matmul.Input[1]);
                var data = SyntheticOnnx.Floats(k);
                data[5] = float.NaN;
                inits[inits.IndexOf(k)] = SyntheticOnnx.Tensor(k.Name, [.. k.Dims], data);
                break;
            case "extra":
                inits.Add(SyntheticOnnx.Tensor("encoder.layer.0.attention.self.extra.bias", [32], new float[32]));
                break;
            case "stray":
                inits.Add(SyntheticOnnx.Tensor("stray", [4, 4], new float[16]));
                break;
            case "unnamed":
                var first = model.Graph.Node.First(n => n.OpType == "MatMul" && inits.Any(t => t.Name == n.Input[1]));
                model.Graph.Node.Remove(model.Graph.Node.First(n => n.OpType == "Add" && n.Input.Contains(first.Output[0])));
                break;
        }

        var onnx = Write(model);
        var output = Path.Combine(_dir, "out");
        var e = Assert.Throws<InvalidDataException>(() => PretrainedModels.Import(onnx, Vocab(20), output, Pooling.Mean));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith(onnx, e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
        Assert.Empty(Directory.GetDirectories(_dir, ".out.staging-*"));
    }

    [Fact]
    public void Read_NotAnOnnxFile_NamesTheFile()
    {
        var path = Path.Combine(_dir, "junk.onnx");
        File.WriteAllBytes(path, [0xff, 0xff, 0xff, 0xff, 0x01, 0x02]);
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertReader.Read(path));
        Assert.StartsWith($"{path}: not an ONNX model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_VocabularyOfAnotherSize_IsAnError()
    {
        using var scope = NewDisposeScope();
        using var bert = Model();
        var e = Assert.Throws<InvalidDataException>(() => PretrainedModels.Import(Write(SyntheticOnnx.FromBert(bert, true)), Vocab(19), Path.Combine(_dir, "out"), Pooling.Mean));
        Assert.Contains("19 tokens", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pool_MeanIgnoresPadding_AndBothPoolingsAreUnitLength()
    {
        using var scope = NewDisposeScope();
        var hidden = tensor(new float[] { 1, 0, 3, 4, 100, 100, /* second row */ 0, 2, 0, 2, 0, 2 }, [2, 3, 2]);
        var mask = tensor(new long[] { 1, 1, 0, 1, 1, 1 }, [2, 3]);
        var mean = SentenceEmbedder.Pool(hidden, mask, Pooling.Mean)!;
        // Row 0: mean of (1, 0) and (3, 4) = (2, 2) → (0.7071, 0.7071); the padded (100, 100) is ignored.
        Assert.Equal(new[] { 0.70710677f, 0.70710677f, 0f, 1f }, mean.data<float>().ToArray(), new FloatTolerance(1e-6f));
        var cls = SentenceEmbedder.Pool(hidden, mask, Pooling.Cls)!;
        Assert.Equal(new[] { 1f, 0f, 0f, 1f }, cls.data<float>().ToArray(), new FloatTolerance(1e-6f));
        Assert.Null(SentenceEmbedder.Pool(hidden, mask, Pooling.None));
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
