using Lineage.Data.Catalog;
using Lineage.Neural.Transformers;

namespace Lineage.Experiments.Tests;

/// <summary><c>lineage bert|roberta|t5 pretrain|finetune</c> on small texts with tiny models, as a user runs them.</summary>
public class TransformerCliTests
{
    // Output with its lines joined: Spectre wraps redirected output at 80 columns, between words.
    private static (int ExitCode, string Output) Lineage(params string[] args)
    {
        var (code, output) = TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), "--threads", "1", .. args]);
        return (code, System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "));
    }

    [Theory]
    [InlineData("bert", "vocab.txt")]
    [InlineData("roberta", "merges.txt")]
    public void EncoderPretrain_WritesALoadableFolder_Resumes_ThenFinetuneReportsAccuracy(string name, string tokenizerFile)
    {
        using var dir = new TempFolder();
        var text = Path.Combine(dir.Path, "text.txt");
        File.WriteAllText(text, TestCorpora.Paragraphs(200));
        var labelled = Path.Combine(dir.Path, "labelled.tsv");
        File.WriteAllText(labelled, TestCorpora.Labelled(300));
        var model = Path.Combine(dir.Path, name);
        string[] size = ["--vocab", "300", "--layers", "1", "--heads", "2", "--dim", "16", "--length", "24", "--batch", "4"];

        var (code, output) = Lineage([name, "pretrain", "--text", text, "--model", model, "--steps", "6", "-q", .. size]);
        Assert.True(code == 0, output);
        foreach (var file in new[] { "config.json", "model.safetensors", tokenizerFile, "checkpoint.bin" })
            Assert.True(File.Exists(Path.Combine(model, file)), file);
        Assert.Contains("held-out masked-LM loss", output, StringComparison.Ordinal);
        var (bert, roberta) = Bert.Load(model);
        bert.Dispose();
        Assert.Equal(name == "roberta", roberta);

        // Without --model, generate finds the folder pretrain wrote under --out (<out>/bert or <out>/roberta).
        (code, output) = Lineage(name, "generate", "-o", dir.Path, "--text", name == "bert" ? "the [MASK] said" : "the <mask> said", "--top", "2");
        Assert.True(code == 0, output);

        (code, output) = Lineage([name, "pretrain", "--text", text, "--model", model, "--steps", "10", "--resume", "-q", .. size]);
        Assert.True(code == 0, output);
        Assert.Contains("10 steps", output, StringComparison.Ordinal);

        // Issue 29: a new run over a trained model is refused, and the model is left as it was.
        var weights = File.ReadAllBytes(Path.Combine(model, "model.safetensors"));
        (code, output) = Lineage([name, "pretrain", "--text", text, "--model", model, "--steps", "3", "-q", .. size]);
        Assert.Equal(2, code);
        Assert.Contains("holds a trained model", output, StringComparison.Ordinal);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(model, "model.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, $".{name}.training")));

        (code, output) = Lineage(name, "finetune", "--model", model, "--labelled", labelled, "--steps", "5", "--batch", "8", "-q");
        Assert.True(code == 0, output);
        Assert.Contains("held-out accuracy", output, StringComparison.Ordinal);
        var classifier = Path.Combine(model, "classifier");
        foreach (var file in new[] { "config.json", "model.safetensors", tokenizerFile, "checkpoint.bin" })
            Assert.True(File.Exists(Path.Combine(classifier, file)), file);
        var (encoder, head, labels, _) = Bert.LoadClassifier(classifier);
        encoder.Dispose();
        head.Dispose();
        Assert.Equal(["neg", "pos"], labels);

        (code, output) = Lineage(name, "finetune", "--model", model, "--labelled", labelled, "--steps", "8", "--batch", "8", "--resume", "-q");
        Assert.True(code == 0, output);
        Assert.Contains("8 steps", output, StringComparison.Ordinal);
    }

    [Fact]
    public void T5Pretrain_SpanCorruption_Resumes_ThenFinetuneOnTheFourTasks_OrFromScratchWithSpanCorruption()
    {
        if (global::Lineage.Text.Tokenization.SentencePiece.FindTrainer() is null) return;   // run-tests' bootstrap installs spm_train
        using var dir = new TempFolder();
        var text = Path.Combine(dir.Path, "text.txt");
        File.WriteAllText(text, TestCorpora.Paragraphs(200));
        var model = Path.Combine(dir.Path, "t5");
        string[] size = ["--vocab", "120", "--layers", "1", "--heads", "2", "--dim", "16", "--hidden", "32", "--length", "24", "--batch", "4"];

        var (code, output) = Lineage(["t5", "pretrain", "--text", text, "--model", model, "--steps", "6", "-q", .. size]);
        Assert.True(code == 0, output);
        foreach (var file in new[] { "config.json", "model.safetensors", "spiece.model", "checkpoint.bin" })
            Assert.True(File.Exists(Path.Combine(model, file)), file);
        Assert.Contains("held-out span-corruption loss", output, StringComparison.Ordinal);
        T5.Load(model).Dispose();

        (code, output) = Lineage(["t5", "pretrain", "--text", text, "--model", model, "--steps", "10", "--resume", "-q", .. size]);
        Assert.True(code == 0, output);
        Assert.Contains("10 steps", output, StringComparison.Ordinal);

        if (!new[] { DataCatalog.CmuDict, DataCatalog.Brown, DataCatalog.SpamAssassin, DataCatalog.LibreOfficeHelpEnglish, DataCatalog.LibreOfficeHelpGerman }.All(TestPaths.Has))
            return;   // run-tests fetches them first
        (code, output) = Lineage("t5", "finetune", "--model", model, "--steps", "4", "--batch", "4", "--count", "4", "-q");
        Assert.True(code == 0, output);
        Assert.Contains("classify:", output, StringComparison.Ordinal);
        Assert.Contains("translate English to", output, StringComparison.Ordinal);   // the table wraps at 80 columns
        Assert.Contains("chrF", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(model, "multitask", "spiece.model")));
        T5.Load(Path.Combine(model, "multitask")).Dispose();

        // From scratch, as the tour does: a vocabulary with sentinels, span corruption on the tasks' text, then the tasks.
        var scratch = Path.Combine(dir.Path, "scratch");
        (code, output) = Lineage(["t5", "finetune", "--scratch", "--out-model", scratch, "--pretrain-steps", "3", "--steps", "4", "--batch", "4", "--count", "4", "-q",
            "--vocab", "600", "--layers", "1", "--heads", "2", "--dim", "16", "--hidden", "32"]);
        Assert.True(code == 0, output);
        Assert.Contains("7 steps", output, StringComparison.Ordinal);
        using var t5 = T5.Load(scratch);
        Assert.Equal(600, t5.Config.VocabSize);

        // A vocabulary too small for the tasks' characters (German and e-mail text) is a clear error, not spm_train's crash.
        (code, output) = Lineage(["t5", "finetune", "--scratch", "--out-model", Path.Combine(dir.Path, "small"), "--steps", "2", "--vocab", "300", "-q"]);
        Assert.Equal(2, code);
        Assert.Contains("too small for this text", output, StringComparison.Ordinal);
    }

    [Fact]
    public void BadInput_MissingFolder_EmptyText_BadLabels_AreNamed()
    {
        using var dir = new TempFolder();
        var none = Path.Combine(dir.Path, "none");
        foreach (var name in new[] { "bert", "roberta" })
        {
            var (code, output) = Lineage(name, "finetune", "--model", none);
            Assert.Equal(2, code);
            Assert.Contains("no config.json", output, StringComparison.Ordinal);
            Assert.Contains($"lineage {name} pretrain", output, StringComparison.Ordinal);
        }

        var (c, o) = Lineage("t5", "finetune", "--model", none);
        Assert.Equal(2, c);
        Assert.Contains("no config.json", o, StringComparison.Ordinal);

        var empty = Path.Combine(dir.Path, "empty.txt");
        File.WriteAllText(empty, "  \n");
        foreach (var name in new[] { "bert", "roberta", "t5" })
        {
            var (code, output) = Lineage(name, "pretrain", "--text", empty, "--model", Path.Combine(dir.Path, name));
            Assert.Equal(2, code);
            Assert.Contains("empty", output, StringComparison.Ordinal);
        }

        var missing = Path.Combine(dir.Path, "missing.txt");
        (c, o) = Lineage("bert", "pretrain", "--text", missing, "--model", Path.Combine(dir.Path, "b"));
        Assert.Equal(2, c);
        Assert.Contains("missing.txt: file not found", o, StringComparison.Ordinal);
    }
}
