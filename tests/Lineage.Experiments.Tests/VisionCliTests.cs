using Lineage.Neural.Core;
using Lineage.Neural.Multimodal;
using static TorchSharp.torch;

namespace Lineage.Experiments.Tests;

/// <summary><c>lineage vit|swin|clip|siglip</c> as a user runs them: search, eval, and their errors.</summary>
public class VisionCliTests
{
    private static (int ExitCode, string Output) Lineage(params string[] args) =>
        TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), .. args]);

    [Fact]
    public void Help_ListsTheVisionCommands()
    {
        var (code, output) = Lineage("clip", "--help");
        Assert.Equal(0, code);
        Assert.Contains("search", output, StringComparison.Ordinal);
        Assert.Contains("train", output, StringComparison.Ordinal);
        Assert.Equal(0, Lineage("vit", "train", "--help").ExitCode);
        Assert.Contains("--resume", Lineage("siglip", "train", "--help").Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ClipSearch_RanksTheImagesOfAFolder_AndReportsUnknownWords()
    {
        if (!TestPaths.Has(global::Lineage.Data.Catalog.DataCatalog.Twemoji)) return;
        using var dir = new TempFolder();
        TorchRuntime.Initialize();
        manual_seed(1);
        var tokenizer = CaptionTokenizer.Build(["red apple. food & drink, food fruit", "cat face. animals & nature, animal mammal"]);
        using (var model = new DualEncoder(DualEncoderConfig.Tiny(tokenizer.VocabSize)))
            ModelFolders.SaveDualEncoder(Path.Combine(dir.Path, "model"), model, tokenizer);
        var images = Directory.CreateDirectory(Path.Combine(dir.Path, "images")).FullName;
        var emoji = Path.Combine(TestPaths.DataRoot, "twemoji", "64");
        foreach (var name in new[] { "1f34e.png", "1f431.png", "0023-fe0f-20e3.png" }) File.Copy(Path.Combine(emoji, name), Path.Combine(images, name));
        var (code, output) = Lineage("clip", "search", "red zebra", "--images", images, "--model", Path.Combine(dir.Path, "model"), "-k", "2");
        Assert.True(code == 0, output);
        Assert.Contains("zebra", output, StringComparison.Ordinal);          // reported as [UNK]
        Assert.Equal(2, new[] { "1f34e.png", "1f431.png", "0023-fe0f-20e3.png" }.Count(n => output.Contains(n, StringComparison.Ordinal)));
    }

    [Fact]
    public void ClipSearch_EmptyFolderOrMissingModel_ExitsWithAMessage()
    {
        using var dir = new TempFolder();
        var (code, output) = Lineage("clip", "search", "apple", "--images", dir.Path, "--model", Path.Combine(dir.Path, "nope"));
        Assert.Equal(2, code);
        Assert.Contains("config.json", output, StringComparison.Ordinal);
        var (code2, output2) = Lineage("vit", "eval", "--model", dir.Path);
        Assert.Equal(2, code2);
        Assert.Contains("config.json", output2, StringComparison.Ordinal);
    }
}
