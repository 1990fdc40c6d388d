using System.Text.Json.Nodes;
using Lineage.Neural.Pretrained;
using Lineage.Neural.Transformers;

namespace Lineage.Experiments.Tests;

/// <summary><c>lineage bert embed</c> on a tiny BERT folder with a WordPiece vocabulary, and <c>lineage pretrained list</c>.</summary>
public class BertEmbedCliTests
{
    private static (int ExitCode, string Output) Lineage(params string[] args) =>
        TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), .. args]);

    private static string Folder(TempFolder dir)
    {
        string[] vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "cafe", ".", "##s", "a"];
        TorchSharp.torch.manual_seed(1);
        using var bert = new Bert(BertConfig.Tiny(vocab.Length));
        bert.SaveEncoder(dir.Path, pooler: false);
        File.WriteAllLines(Path.Combine(dir.Path, "vocab.txt"), vocab);
        SentenceEmbedder.WritePooling(dir.Path, Pooling.Mean, bert.Config.Dim);
        return dir.Path;
    }

    [Fact]
    public void Embed_Json_GivesIdsStatesAndAUnitVector_PerText()
    {
        using var dir = new TempFolder();
        var folder = Folder(dir);
        var (code, output) = Lineage("bert", "embed", folder, "--text", "The cats sat on a Café mat.", "--format", "json");
        Assert.True(code == 0, output);
        var json = JsonNode.Parse(output.Trim())!.AsObject();
        var ids = json["ids"]!.AsArray().Select(x => (int)x!).ToArray();
        Assert.Equal([2, 5, 6, 12, 7, 8, 13, 10, 9, 11, 3], ids);   // lower-cased, accent stripped, ##s split off
        Assert.Equal(ids.Length, json["last_hidden_state"]!.AsArray().Count);
        Assert.Equal(32, json["last_hidden_state"]![0]!.AsArray().Count);
        var v = json["embedding"]!.AsArray().Select(x => (double)x!).ToArray();
        Assert.Equal(1.0, Math.Sqrt(v.Sum(x => x * x)), 5);

        var file = Path.Combine(dir.Path, "texts.txt");
        File.WriteAllLines(file, ["the cat", "", "a mat sat on the cat ."]);
        (code, output) = Lineage("bert", "embed", folder, "--file", file, "--format", "json", "--pooling", "none", "--batch", "2");
        Assert.True(code == 0, output);
        var lines = output.Trim().Split('\n');
        Assert.Equal(2, lines.Length);   // the blank line is skipped
        Assert.Null(JsonNode.Parse(lines[0])!["embedding"]);
        Assert.Equal(9, JsonNode.Parse(lines[1])!["ids"]!.AsArray().Count);
    }

    [Fact]
    public void Embed_Errors_AreOneLine()
    {
        using var dir = new TempFolder();
        var (code, output) = Lineage("bert", "embed", dir.Path, "--text", "x");
        Assert.Equal(2, code);
        Assert.Contains("vocab.txt: missing", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        (code, output) = Lineage("bert", "embed", Folder(dir));
        Assert.Equal(2, code);
        Assert.Contains("Give either --text or --file", output, StringComparison.Ordinal);
    }

    [Fact]
    public void PretrainedList_ShowsBothEncoders()
    {
        var (code, output) = Lineage("pretrained", "list");
        Assert.True(code == 0, output);
        Assert.Contains("minilm", output, StringComparison.Ordinal);
        Assert.Contains("arctic-xs", output, StringComparison.Ordinal);
    }
}
