using Lineage.Neural.Transformers.Training;
using Lineage.Experiments.Transformers;
using Lineage.Neural.Transformers;
using TorchSharp;

namespace Lineage.Experiments.Tests;

/// <summary>The shared training pieces behind <c>lineage bert|roberta|t5 pretrain|finetune</c>.</summary>
public class TransformerTrainingTests
{
    [Fact]
    public void T5PretrainingExample_DropsSpansBehindSentinels_AndInputPlusTargetRebuildTheWindow()
    {
        var stream = Enumerable.Range(100, 400).ToArray();
        long[] sentinels = [4, 5, 6, 7, 8, 9, 10, 11];
        var (input, target) = T5Pretraining.Example(stream, 40, sentinels, new Random(3));

        Assert.Equal(1L, input[^1]);                                        // </s>
        Assert.Equal(1L, target[^1]);
        Assert.Equal(sentinels[0], target[0]);
        int spans = input.Count(sentinels.Contains);
        Assert.Equal(T5Pretraining.SentinelsFor(40) - 1, spans);
        Assert.Equal(6, target.Count(t => t >= 100));                       // 15 % of 40
        Assert.Equal(34, input.Count(t => t >= 100));

        // Putting each span back behind its sentinel gives the window: consecutive ids of the stream.
        var rebuilt = new List<long>();
        foreach (var id in input[..^1])
        {
            int s = Array.IndexOf(sentinels, id);
            if (s < 0) { rebuilt.Add(id); continue; }
            int at = Array.IndexOf(target, sentinels[s]) + 1;
            while (!sentinels.Contains(target[at])) rebuilt.Add(target[at++]);
        }

        Assert.Equal(40, rebuilt.Count);
        Assert.All(rebuilt.Zip(rebuilt.Skip(1)), p => Assert.Equal(p.First + 1, p.Second));
    }

    [Fact]
    public void T5PretrainingExample_TooShortAStream_OrTooFewSentinels_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => T5Pretraining.Example([1, 2, 3], 8, [4, 5], new Random(1)));
        Assert.Throws<ArgumentException>(() => T5Pretraining.Example([.. Enumerable.Range(10, 200)], 100, [4, 5], new Random(1)));
    }

    [Fact]
    public void LabelledTextsFromTsv_SplitsByTextHash_AndNamesBadLines()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "l.tsv");
        File.WriteAllLines(path, Enumerable.Range(0, 200).Select(i => $"{(i % 3 == 0 ? "b" : "a")}\ttext number {i}"));
        var data = LabelledTexts.FromTsv(path);
        Assert.Equal(["a", "b"], data.Labels);
        Assert.Equal(200, data.TrainTexts.Count + data.TestTexts.Count);
        Assert.InRange(data.TestTexts.Count, 20, 60);
        for (int i = 0; i < data.TrainTexts.Count; i++)
            Assert.Equal(int.Parse(data.TrainTexts[i].Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture) % 3 == 0 ? "b" : "a", data.Labels[data.TrainLabels[i]]);

        File.WriteAllText(path, "a\tone\nno tab here\n");
        Assert.Contains(":2:", Assert.Throws<ArgumentException>(() => LabelledTexts.FromTsv(path)).Message, StringComparison.Ordinal);
        File.WriteAllText(path, "a\tone\na\ttwo\n");
        Assert.Contains("at least two", Assert.Throws<ArgumentException>(() => LabelledTexts.FromTsv(path)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ClassifierFolder_RoundTrips_InTheSequenceClassificationLayout(bool roberta)
    {
        using var dir = new TempFolder();
        torch.random.manual_seed(1);
        using var bert = new Bert(BertConfig.Tiny(50) with { TypeVocab = roberta ? 1 : 2 });
        var classifier = new EncoderClassifier(bert, 3);
        using var head = classifier.Head;
        bert.SaveClassifier(dir.Path, head, ["x", "y", "z"], roberta, padId: 1);
        var names = Lineage.Neural.Core.Safetensors.Load(Path.Combine(dir.Path, "model.safetensors"));
        Assert.Contains(roberta ? "classifier.out_proj.weight" : "classifier.weight", names.Keys);
        Assert.Contains(roberta ? "classifier.dense.weight" : "bert.pooler.dense.weight", names.Keys);
        Assert.DoesNotContain(names.Keys, k => k.StartsWith("cls.", StringComparison.Ordinal) || k.StartsWith("lm_head.", StringComparison.Ordinal));
        foreach (var t in names.Values) t.Dispose();

        var (loaded, loadedHead, labels, isRoberta) = Bert.LoadClassifier(dir.Path);
        using var _ = loaded;
        using var __ = loadedHead;
        Assert.Equal(roberta, isRoberta);
        Assert.Equal(["x", "y", "z"], labels);
        using var scope = torch.NewDisposeScope();
        var ids = torch.tensor(new long[] { 2, 7, 9, 11, 3 }).unsqueeze(0);
        var padding = torch.ones(1, 5, torch.ScalarType.Bool);
        var expected = classifier.Logits(ids, padding);
        var again = loadedHead.forward(loaded.Pooled(loaded.Encode(ids, padding, null)));
        Assert.True(expected.allclose(again, atol: 1e-6), "the loaded classifier gives other logits");

        // A pre-trained folder has no labels: not a classifier.
        var pretrained = Path.Combine(dir.Path, "pretrained");
        bert.Save(pretrained, roberta, padId: 1);
        Assert.Contains("id2label", Assert.Throws<InvalidDataException>(() => Bert.LoadClassifier(pretrained)).Message, StringComparison.Ordinal);
    }
}
