using System.Globalization;
using Lineage.Data.Catalog;
using Lineage.Data.Corpora;
using Lineage.Neural.Pretrained;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Pretrained;

/// <summary>
/// The real checkpoints: our Bert, loaded from the folder <c>lineage pretrained import</c> writes, gives ONNX Runtime's
/// <c>last_hidden_state</c> on the same ONNX file, within 1e-4 (fp32), on real sentences of 3 to 512 tokens in padded
/// batches. Returns early when the data set is not in the cache (<c>lineage data fetch minilm arctic-xs</c>).
/// </summary>
public sealed class OnnxRuntimeParityTests(ITestOutputHelper output) : IDisposable
{
    private const float Tolerance = 1e-4f;
    private const int BatchSize = 8;
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-parity-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string? Cached(string dataset, params string[] files)
    {
        var folder = Path.Combine(DataStore.DefaultRoot(), dataset);
        return files.All(f => File.Exists(Path.Combine(folder, f))) ? folder : null;
    }

    /// <summary>
    /// Real text of every length: LibreOffice help paragraphs (English) chosen by WordPiece count, two per band
    /// 1, 2, 3–4, 5–8, …, 257–510, and joined paragraphs longer than 510 (cut to 512 with [CLS] and [SEP]).
    /// </summary>
    private static List<string> Sentences(SentenceEmbedder embedder, string help)
    {
        var paragraphs = Directory.EnumerateFiles(Path.Combine(help, "text"), "*.html", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Take(300).SelectMany(p => LibreOfficeHelp.Paragraphs(File.ReadAllText(p)).Select(x => x.Text)).Where(t => t.Length > 0).Distinct()
            .Select(t => (Text: t, Pieces: embedder.Tokenizer.Encode(t).Length)).ToList();
        int[] bands = [1, 2, 4, 8, 16, 32, 64, 128, 256, 510];
        var chosen = new List<string>();
        int low = 1;
        foreach (var high in bands)
        {
            chosen.AddRange(paragraphs.Where(p => p.Pieces >= low && p.Pieces <= high).Take(high <= 64 ? 3 : 2).Select(p => p.Text));
            low = high + 1;
        }

        // Long texts: consecutive paragraphs joined until they pass the 512-token window well (two different ones).
        foreach (var skip in new[] { 0, 300 })
        {
            var joined = paragraphs.Skip(skip).Select(p => p.Pieces).ToList();
            int count = 0, sum = 0;
            while (sum <= 600 && count < joined.Count) sum += joined[count++];
            chosen.Add(string.Join(' ', paragraphs.Skip(skip).Take(count).Select(p => p.Text)));
        }

        return chosen;
    }

    [Theory]
    [InlineData("minilm")]
    [InlineData("arctic-xs")]
    public void LastHiddenState_EqualsOnnxRuntime_OnRealSentences(string id)
    {
        var data = Cached(id, PretrainedModels.OnnxName, PretrainedModels.VocabName);
        var help = Cached("libreoffice-help-en", "manifest.json");
        if (data is null || help is null) return;   // not fetched: lineage data fetch minilm arctic-xs libreoffice-help-en

        var model = PretrainedModels.Get(id);
        var folder = Path.Combine(_dir, id);
        var onnx = Path.Combine(data, PretrainedModels.OnnxName);
        PretrainedModels.Import(onnx, Path.Combine(data, PretrainedModels.VocabName), folder, model.Pooling, model.MaxSeqLength);
        using (var check = SentenceEmbedder.Load(folder)) Assert.Equal(model.MaxSeqLength, check.MaxTokens);
        using var embedder = SentenceEmbedder.Load(folder);
        var texts = Sentences(embedder, help);
        var ids = texts.Select(t => embedder.Tokenize(t, 512)).ToList();   // every position, beyond all-MiniLM's 256 of sentence-transformers
        Assert.True(texts.Count >= 20, $"only {texts.Count} sentences");
        Assert.Equal(512, ids.Max(x => x.Count));
        Assert.True(ids.Min(x => x.Count) <= 3, $"the shortest text has {ids.Min(x => x.Count)} tokens");

        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        using var session = new InferenceSession(onnx, options);
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], session.InputNames);
        Assert.Equal("last_hidden_state", session.OutputNames[0]);

        float worst = 0;
        int compared = 0;
        // Batches of texts in order of length (each spans a band of lengths, so every batch but none of its longest rows is
        // padded; the 512-token texts share the last batch, so the long-sequence cost is paid once).
        var order = Enumerable.Range(0, ids.Count).OrderBy(i => ids[i].Count).ToList();
        for (int start = 0; start < order.Count; start += BatchSize)
        {
            var batch = order.Skip(start).Take(BatchSize).Select(i => ids[i]).ToList();
            using var scope = NewDisposeScope();
            var (hidden, mask) = embedder.Encode(batch);
            var ours = hidden.contiguous().data<float>().ToArray();
            var theirs = RunOnnx(session, batch, embedder.Tokenizer.PadTokenId);
            int t = batch.Max(x => x.Count), c = (int)hidden.shape[2];
            Assert.Equal(ours.Length, theirs.Length);
            for (int b = 0; b < batch.Count; b++)
            {
                for (int i = 0; i < batch[b].Count; i++)   // real tokens; padded positions carry nothing
                {
                    for (int j = 0; j < c; j++)
                    {
                        int at = (((b * t) + i) * c) + j;
                        worst = Math.Max(worst, Math.Abs(ours[at] - theirs[at]));
                    }
                }

                compared++;
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{id}: {compared} texts of {ids.Min(x => x.Count)}–{ids.Max(x => x.Count)} tokens in padded batches of {BatchSize}: max |ours − ONNX Runtime| = {worst:E2}"));
        Assert.Equal(texts.Count, compared);
        Assert.True(worst <= Tolerance, $"{id}: max |diff| {worst:E2} > {Tolerance:E0}");
    }

    [Theory]
    [InlineData("minilm")]
    [InlineData("arctic-xs")]
    public void PaddedBatch_GivesEachTextItsUnpaddedEncoding(string id)
    {
        var data = Cached(id, PretrainedModels.OnnxName, PretrainedModels.VocabName);
        if (data is null) return;
        var folder = Path.Combine(_dir, id);
        var model = PretrainedModels.Get(id);
        PretrainedModels.Import(Path.Combine(data, PretrainedModels.OnnxName), Path.Combine(data, PretrainedModels.VocabName), folder, model.Pooling, model.MaxSeqLength);
        using var embedder = SentenceEmbedder.Load(folder);
        // Texts are cut where sentence-transformers cuts them (all-MiniLM: 256 tokens; arctic-embed: 512).
        var cut = embedder.Tokenize(string.Join(' ', Enumerable.Repeat("table", 700)));
        Assert.Equal(model.MaxSeqLength, cut.Count);
        Assert.Equal(embedder.Tokenizer.SepTokenId, cut[^1]);
        string[] texts = ["Choose Format - Character.", "Héllo wörld: naïve café, 日本語 text and an unknownwordxyz!", "OK"];
        var together = embedder.Embed(texts, Pooling.Mean, batchSize: 3);
        float worst = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            var alone = embedder.Embed([texts[i]], Pooling.Mean)[0];
            Assert.Equal(alone.Ids, together[i].Ids);
            worst = Math.Max(worst, alone.Embedding!.Zip(together[i].Embedding!, (a, b) => Math.Abs(a - b)).Max());
            Assert.Equal(1.0, Math.Sqrt(alone.Embedding!.Sum(x => (double)x * x)), 5);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{id}: padded vs alone, max |diff| of the mean embedding {worst:E2}"));
        Assert.True(worst <= Tolerance);
        // Accents are stripped as Hugging Face's lower-casing BertTokenizer does: "héllo" is "hello", not [UNK].
        Assert.Equal(embedder.Tokenize("hello world naive cafe"), embedder.Tokenize("Héllo wörld naïve café"));
    }

    // ONNX Runtime's last_hidden_state (B·T·C, row-major) for the padded batch, segment ids 0.
    private static float[] RunOnnx(InferenceSession session, List<IReadOnlyList<int>> batch, int pad)
    {
        int t = batch.Max(x => x.Count);
        var ids = new long[batch.Count * t];
        var mask = new long[batch.Count * t];
        for (int b = 0; b < batch.Count; b++)
            for (int i = 0; i < t; i++)
                (ids[(b * t) + i], mask[(b * t) + i]) = i < batch[b].Count ? (batch[b][i], 1L) : (pad, 0L);
        long[] shape = [batch.Count, t];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
        using var run = new RunOptions();
        using var outputs = session.Run(run, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], ["last_hidden_state"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
