using Lineage.Neural.Core;
using Lineage.Neural.Multimodal;
using Lineage.Neural.Onnx;
using Lineage.Neural.Transformers;
using Lineage.Neural.Vision;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Onnx;

/// <summary>
/// Each family is saved as a tiny random Hugging Face folder, exported with <see cref="OnnxExport"/>, run in ONNX Runtime
/// at two (batch, sequence) sizes from the one file, and compared with TorchSharp's forward on the same inputs.
/// </summary>
public sealed class OnnxExportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"lineage-onnx-{Guid.NewGuid():N}");
    private readonly ITestOutputHelper _output;

    public OnnxExportTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.Initialize();
        TorchThreads.AtMost(1);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private string Folder(string name) => Path.Combine(_dir, name);

    private OnnxParity Exported(string folder, string expectedType)
    {
        var path = Path.Combine(_dir, Path.GetFileName(folder) + ".onnx");
        var report = OnnxExport.Export(folder, path);
        Assert.Equal(expectedType, report.ModelType);
        Assert.True(report.Bytes > 0 && File.Exists(path));
        return new OnnxParity(path);
    }

    private void Within(string what, float diff)
    {
        _output.WriteLine($"{what}: max |diff| = {diff:E2}");
        Assert.True(diff <= OnnxParity.Tolerance, $"{what}: max |diff| {diff} > {OnnxParity.Tolerance}");
    }

    [Fact]
    public void Gpt_Logits_MatchTorchSharp_AtTwoSizes_AndStayCausal()
    {
        manual_seed(1);
        using var model = new Gpt(new GptConfig(VocabSize: 50, ContextLength: 16, Layers: 2, Heads: 2, Dim: 32, Dropout: 0));
        OnnxParity.Perturb(model, 0.2);
        model.eval();
        model.Save(Folder("gpt"));
        using var onnx = Exported(Folder("gpt"), "gpt2");
        onnx.CheckHeader("gpt2", ("input_ids", ["batch", "sequence"]));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (b, t) in new[] { (2, 5), (3, 16) })
        {
            var ids = randint(0, 50, [b, t]);
            Within($"GPT logits ({b}, {t})", OnnxParity.MaxDiff(onnx.Run(("input_ids", ids))["logits"], model.forward(ids)));
        }

        // Causal in ONNX Runtime too: changing the last token leaves every earlier position's logits as they were.
        var before = randint(0, 50, [2, 9]);
        var after = before.clone();
        after[.., 8] = (before[.., 8] + 1) % 50;
        var (x, y) = (onnx.Run(("input_ids", before))["logits"].Values, onnx.Run(("input_ids", after))["logits"].Values);
        int v = 50, T = 9;
        float earlier = 0, last = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float d = Math.Abs(x[i] - y[i]);
            if (i / v % T < T - 1) earlier = Math.Max(earlier, d);
            else last = Math.Max(last, d);
        }

        _output.WriteLine($"GPT causal check: earlier positions {earlier:E2}, last position {last:E2}");
        Assert.True(earlier < 1e-6f, $"positions before the changed token moved by {earlier}");
        Assert.True(last > 1e-3f, "the changed token's own logits did not move");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bert_LastHiddenState_MatchesTorchSharp_WithAPaddedBatch(bool roberta)
    {
        manual_seed(2);
        using var model = new Bert(new BertConfig(VocabSize: 40, MaxLength: 16, Layers: 2, Heads: 2, Dim: 32, Dropout: 0, TypeVocab: roberta ? 1 : 2));
        OnnxParity.Perturb(model, 0.2);
        model.eval();
        var folder = Folder(roberta ? "roberta" : "bert");
        model.Save(folder, roberta, padId: 1);
        using var onnx = Exported(folder, roberta ? "roberta" : "bert");
        string[] axes = ["batch", "sequence"];
        if (roberta)
        {
            onnx.CheckHeader("roberta", ("input_ids", axes), ("attention_mask", axes));
            Assert.DoesNotContain(onnx.Model.Graph.Input, i => i.Name == "token_type_ids");
        }
        else
        {
            onnx.CheckHeader("bert", ("input_ids", axes), ("attention_mask", axes), ("token_type_ids", axes));
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // A padded batch (lengths 7, 4, 2 of 7) and a short unpadded one.
        foreach (var lengths in new[] { new[] { 7, 4, 2 }, new[] { 3, 3 } })
        {
            int b = lengths.Length, t = lengths.Max();
            var mask = zeros([b, t], ScalarType.Int64);
            for (int i = 0; i < b; i++) mask[i, ..lengths[i]] = 1;
            var ids = randint(2, 40, [b, t]) * mask + (1 - mask);                          // padding id 1
            var types = (arange(t).unsqueeze(0) >= t / 2).to(ScalarType.Int64).expand(b, t) * mask;
            var expected = model.Encode(ids, mask.to(ScalarType.Bool), roberta ? null : types);
            (string, Tensor)[] inputs = roberta
                ? [("input_ids", ids), ("attention_mask", mask)]
                : [("input_ids", ids), ("attention_mask", mask), ("token_type_ids", types)];
            var got = onnx.Run(inputs)["last_hidden_state"];
            Within($"{(roberta ? "RoBERTa" : "BERT")} last_hidden_state ({b}, {t}), lengths {string.Join('/', lengths)}", OnnxParity.MaxDiff(got, expected));

            // The mask works in ONNX Runtime too: the shortest sentence alone, unpadded, gives its real tokens' states.
            int last = b - 1, n = lengths[last];
            (string, Tensor)[] alone = [.. inputs.Select(i => (i.Item1, i.Item2[last..(last + 1), ..n]))];
            var single = onnx.Run(alone)["last_hidden_state"];
            var padded = tensor(got.Values, got.Shape)[last..(last + 1), ..n];
            Within($"{(roberta ? "RoBERTa" : "BERT")} padded vs alone (ORT), {n} tokens", OnnxParity.MaxDiff(single, padded));
        }
    }

    [Fact]
    public void BertClassifier_Logits_MatchTorchSharp_WithTheLabelsInTheMetadata()
    {
        manual_seed(6);
        using var model = new Bert(new BertConfig(VocabSize: 40, MaxLength: 16, Layers: 2, Heads: 2, Dim: 32, Dropout: 0));
        using var head = nn.Linear(32, 3);
        OnnxParity.Perturb(model, 0.2);
        OnnxParity.Perturb(head, 0.2);
        model.eval();
        model.SaveClassifier(Folder("classifier"), head, ["ham", "spam", "other"]);
        using var onnx = Exported(Folder("classifier"), "bert");
        Assert.Equal("ham\nspam\nother", onnx.Metadata["labels"]);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var lengths in new[] { new[] { 9, 5 }, new[] { 4, 4, 2 } })
        {
            int b = lengths.Length, t = lengths.Max();
            var mask = zeros([b, t], ScalarType.Int64);
            for (int i = 0; i < b; i++) mask[i, ..lengths[i]] = 1;
            var ids = randint(1, 40, [b, t]) * mask;
            var expected = head.forward(model.Pooled(model.Encode(ids, mask.to(ScalarType.Bool), null)));   // EncoderClassifier.Logits
            var got = onnx.Run(("input_ids", ids), ("attention_mask", mask), ("token_type_ids", zeros_like(ids)))["logits"];
            Within($"BERT classifier logits ({b}, {t}), lengths {string.Join('/', lengths)}", OnnxParity.MaxDiff(got, expected));
        }
    }

    [Fact]
    public void Vit_Logits_MatchTorchSharp_AtTwoBatchSizes()
    {
        manual_seed(3);
        using var model = new Vit(new VitConfig(ImageSize: 16, Channels: 3, Patch: 4, Dim: 16, Layers: 2, Heads: 2, MlpRatio: 2, Classes: 5));
        OnnxParity.Perturb(model, 0.2);
        model.eval();
        model.Save(Folder("vit"));
        using var onnx = Exported(Folder("vit"), "vit");
        onnx.CheckHeader("vit", ("pixel_values", ["batch"]));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (int b in new[] { 1, 4 })
        {
            var images = randn(b, 3, 16, 16);
            Within($"ViT logits ({b}, 3, 16, 16)", OnnxParity.MaxDiff(onnx.Run(("pixel_values", images))["logits"], model.forward(images)));
        }
    }

    [Theory]
    [InlineData(ContrastiveObjective.Clip)]
    [InlineData(ContrastiveObjective.SigLip)]
    public void Clip_Embeddings_And_Logits_MatchTorchSharp_AtTwoSizes(ContrastiveObjective objective)
    {
        manual_seed(4);
        var tokenizer = new CaptionTokenizer([.. Enumerable.Range(0, 26).Select(i => $"w{i}")]);
        using var model = new DualEncoder(DualEncoderConfig.Tiny(tokenizer.VocabSize, objective));
        OnnxParity.Perturb(model, 0.2);
        model.eval();
        string name = objective == ContrastiveObjective.Clip ? "clip" : "siglip";
        ModelFolders.SaveDualEncoder(Folder(name), model, tokenizer);
        using var onnx = Exported(Folder(name), name);
        onnx.CheckHeader(name, ("input_ids", ["text_batch", "sequence"]), ("pixel_values", ["image_batch"]));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Captions of different lengths, padded to the context (8), then a shorter, unpadded context (5).
        foreach (var (captions, context, images) in new[] { (new[] { "w1 w2 w3", "w4", "w5 w6 w7 w8 w9 w10" }, 8, 2), (new[] { "w11 w12 w13", "w14 w15 w16" }, 5, 3) })
        {
            var ids = tokenizer.EncodeBatch(captions, context);
            var pixels = randn(images, 3, 16, 16);
            var got = onnx.Run(("input_ids", ids), ("pixel_values", pixels));
            string size = $"text ({captions.Length}, {context}), images {images}";
            Within($"{name} text_embeds {size}", OnnxParity.MaxDiff(got["text_embeds"], model.EncodeTexts(ids)));
            Within($"{name} image_embeds {size}", OnnxParity.MaxDiff(got["image_embeds"], model.EncodeImages(pixels)));
            var logits = model.forward(pixels, ids);
            Within($"{name} logits_per_image {size}", OnnxParity.MaxDiff(got["logits_per_image"], logits));
            Within($"{name} logits_per_text {size}", OnnxParity.MaxDiff(got["logits_per_text"], logits.t()));
        }
    }

    /// <summary>The tour's sizes (4 layers, width 128, 4 heads) at 128 tokens, as initialised: the error stays far under the bound.</summary>
    [Theory]
    [InlineData("gpt")]
    [InlineData("bert")]
    public void TourSizedModels_At128Tokens_MatchTorchSharp(string family)
    {
        manual_seed(7);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var folder = Folder(family);
        var ids = randint(0, 2000, [2, 128]);
        Tensor expected;
        (string, Tensor)[] inputs;
        if (family == "gpt")
        {
            using var gpt = new Gpt(new GptConfig(VocabSize: 2000, ContextLength: 128, Layers: 4, Heads: 4, Dim: 128, Dropout: 0));
            gpt.eval();
            gpt.Save(folder);
            (expected, inputs) = (gpt.forward(ids), [("input_ids", ids)]);
        }
        else
        {
            using var bert = new Bert(new BertConfig(VocabSize: 2000, MaxLength: 128, Layers: 4, Heads: 4, Dim: 128, Dropout: 0));
            bert.eval();
            bert.Save(folder);
            var mask = ones_like(ids);
            mask[1, 100..] = 0;                                                                   // the second sentence: 100 tokens
            (expected, inputs) = (bert.Encode(ids, mask.to(ScalarType.Bool), null), [("input_ids", ids), ("attention_mask", mask), ("token_type_ids", zeros_like(ids))]);
        }

        using var onnx = Exported(folder, family == "gpt" ? "gpt2" : family);
        Within($"{family} 4 × 128 wide, (2, 128)", OnnxParity.MaxDiff(onnx.Run(inputs).Values.Single(), expected));
    }

    /// <summary>
    /// At ordinary scales a LayerNorm's ε (1e-5 against 1e-12) moves outputs by ~1e-5, under the 1e-4 bound, so the
    /// tests above cannot see a wrong ε. With every parameter (and the images) scaled by 0.02, each LayerNorm reads inputs
    /// of variance ~1e-4, where ε shows: the exporters' ε must be the model's. Compared relative to the output's size.
    /// </summary>
    [Theory]
    [InlineData("gpt")]
    [InlineData("bert")]
    [InlineData("vit")]
    public void LayerNormEpsilons_AreTheModels_WhereTheyMatter(string family)
    {
        manual_seed(5);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var folder = Folder(family);
        nn.Module model = family switch
        {
            "gpt" => new Gpt(new GptConfig(VocabSize: 30, ContextLength: 8, Layers: 2, Heads: 2, Dim: 16, Dropout: 0)),
            "bert" => new Bert(new BertConfig(VocabSize: 30, MaxLength: 8, Layers: 2, Heads: 2, Dim: 16, Dropout: 0)),
            _ => new Vit(new VitConfig(ImageSize: 8, Channels: 1, Patch: 4, Dim: 16, Layers: 2, Heads: 2, MlpRatio: 2, Classes: 3)),
        };
        using var disposeModel = model;
        OnnxParity.Perturb(model, 0.2);
        foreach (var p in model.parameters()) p.mul_(0.02);
        model.eval();
        Tensor expected;
        (string, Tensor)[] inputs;
        var ids = randint(0, 30, [2, 8]);
        switch (model)
        {
            case Gpt gpt:
                gpt.Save(folder);
                (expected, inputs) = (gpt.forward(ids), [("input_ids", ids)]);
                break;
            case Bert bert:
                bert.Save(folder);
                var mask = ones_like(ids);
                (expected, inputs) = (bert.Encode(ids, null, null), [("input_ids", ids), ("attention_mask", mask), ("token_type_ids", zeros_like(ids))]);
                break;
            default:
                var vit = (Vit)model;
                vit.Save(folder);
                var images = randn(2, 1, 8, 8) * 0.02f;
                (expected, inputs) = (vit.forward(images), [("pixel_values", images)]);
                break;
        }

        using var onnx = Exported(folder, family == "gpt" ? "gpt2" : family);
        var got = onnx.Run(inputs).Values.Single();
        float relative = OnnxParity.MaxDiff(got, expected) / expected.abs().max().item<float>();
        _output.WriteLine($"{family}, parameters ×0.02: max |diff| / max |output| = {relative:E2}");
        Assert.True(relative <= OnnxParity.Tolerance, $"{family}: relative diff {relative}");
    }

    [Fact]
    public void BadFolders_AreOneLineErrors_NamingTheFile()
    {
        var none = Folder("none");
        var missing = Assert.Throws<DirectoryNotFoundException>(() => OnnxExport.Export(none, Path.Combine(_dir, "x.onnx")));
        Assert.Contains(none, missing.Message, StringComparison.Ordinal);

        var empty = Folder("empty");
        Directory.CreateDirectory(empty);
        var noConfig = Assert.Throws<InvalidDataException>(() => OnnxExport.Export(empty, Path.Combine(_dir, "x.onnx")));
        Assert.Contains("config.json: missing", noConfig.Message, StringComparison.Ordinal);

        var other = Folder("llama");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "config.json"), """{"model_type": "llama"}""");
        var unknown = Assert.Throws<InvalidDataException>(() => OnnxExport.Export(other, Path.Combine(_dir, "x.onnx")));
        Assert.Contains("model_type 'llama' has no ONNX exporter", unknown.Message, StringComparison.Ordinal);

        foreach (var e in new Exception[] { missing, noConfig, unknown }) Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "x.onnx")));
    }
}
