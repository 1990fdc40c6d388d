namespace Lineage.Experiments.Tests;

/// <summary><c>lineage gpt pretrain|finetune|generate|eval</c> on a small text, as a user runs them.</summary>
public class GptCliTests
{
    private static (int ExitCode, string Output) Lineage(params string[] args) =>
        TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), "--threads", "1", .. args]);

    [Fact]
    public void Pretrain_Resume_Generate_Eval_Finetune_OnAFolderInTheHuggingFaceLayout()
    {
        using var dir = new TempFolder();
        var text = Path.Combine(dir.Path, "text.txt");
        File.WriteAllText(text, TestCorpora.Sentences());
        var model = Path.Combine(dir.Path, "gpt");
        string[] size = ["--vocab", "300", "--layers", "1", "--heads", "2", "--dim", "16", "--context", "16", "--batch", "4"];

        var (code, output) = Lineage(["gpt", "pretrain", "--text", text, "--model", model, "--steps", "10", "-q", .. size]);
        Assert.True(code == 0, output);
        foreach (var file in new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt", "checkpoint.bin" })
            Assert.True(File.Exists(Path.Combine(model, file)), file);

        (code, output) = Lineage(["gpt", "pretrain", "--text", text, "--model", model, "--steps", "20", "--resume", "-q", .. size]);
        Assert.True(code == 0, output);
        Assert.Contains("20 steps", output, StringComparison.Ordinal);

        (code, output) = Lineage("gpt", "generate", "--model", model, "--prompt", "the cat", "-n", "5", "-t", "0");
        Assert.True(code == 0, output);
        Assert.StartsWith("the cat", output, StringComparison.Ordinal);

        (code, output) = Lineage("gpt", "eval", "--model", model, "--text", text);
        Assert.True(code == 0, output);
        Assert.Contains("held-out perplexity", output, StringComparison.Ordinal);

        (code, output) = Lineage("gpt", "finetune", "--model", model, "--text", text, "--steps", "25", "--resume", "-q");
        Assert.True(code == 0, output);
    }

    [Fact]
    public void Pretrain_IntoAFolderWithATrainedModel_IsRefused_AndOverwriteReplacesItOnlyWhenDone()
    {
        // Issue 29: pretrain into a folder holding a trained model replaced its tokenizer at the start and kept the old
        // weights, so an interrupted run left a folder whose eval gave perplexity 907 instead of 4.08.
        using var dir = new TempFolder();
        var text = Path.Combine(dir.Path, "text.txt");
        File.WriteAllText(text, TestCorpora.Sentences());
        var model = Path.Combine(dir.Path, "gpt");
        string[] size = ["--vocab", "300", "--layers", "1", "--heads", "2", "--dim", "16", "--context", "16", "--batch", "4", "-q"];
        var (code, output) = Lineage(["gpt", "pretrain", "--text", text, "--model", model, "--steps", "5", .. size]);
        Assert.True(code == 0, output);
        var before = Directory.GetFiles(model).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();

        (code, output) = Lineage(["gpt", "pretrain", "--text", text, "--model", model, "--steps", "5", "--vocab", "280", .. size[2..]]);
        Assert.Equal(2, code);
        Assert.Contains("holds a trained model", output, StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetFiles(model).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList());

        (code, output) = Lineage(["gpt", "pretrain", "--text", text, "--model", model, "--steps", "5", "--overwrite", "--vocab", "280", .. size[2..]]);
        Assert.True(code == 0, output);
        Assert.Contains("\"vocab_size\": 280", File.ReadAllText(Path.Combine(model, "config.json")), StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(dir.Path, "*", SearchOption.TopDirectoryOnly)); // no staging folder left beside it
        (code, output) = Lineage("gpt", "eval", "--model", model, "--text", text);
        Assert.True(code == 0, output);
    }

    [Fact]
    public void Generate_WithoutAModel_SaysHowToMakeOne_EmptyText_IsRefused()
    {
        using var dir = new TempFolder();
        var (code, output) = Lineage("gpt", "generate", "--model", Path.Combine(dir.Path, "none"));
        Assert.Equal(2, code);
        Assert.Contains("no config.json", output, StringComparison.Ordinal);

        var empty = Path.Combine(dir.Path, "empty.txt");
        File.WriteAllText(empty, "  \n");
        (code, output) = Lineage("gpt", "pretrain", "--text", empty, "--model", Path.Combine(dir.Path, "m"));
        Assert.Equal(2, code);
        Assert.Contains("empty", output, StringComparison.Ordinal);
    }
}
