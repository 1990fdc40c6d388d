using System.Diagnostics;
using System.Security.Cryptography;
using Lineage.Data.Catalog;

namespace Lineage.Experiments.Tests;

/// <summary>
/// Issue 29, "a SIGINT at any moment of any training command leaves the previous model loadable with its old numbers":
/// each training command trains a tiny model, its files and eval output are recorded, then a second run over it is
/// interrupted — SIGINT (<c>kill -INT</c>, what Ctrl-C sends) at a moment drawn from a seeded random in its first seconds,
/// or SIGKILL (no chance to clean up) — and the model must be byte for byte what it was and evaluate to the same numbers.
/// The seed is random per run and printed in every failure; LINEAGE_INTERRUPT_SEED=N repeats one.
/// </summary>
public class InterruptionTests
{
    private static readonly int Seed = Environment.GetEnvironmentVariable("LINEAGE_INTERRUPT_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
    private static readonly Random Moments = new(Seed);

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "lineage.dll");

    // Output with its lines joined: Spectre wraps redirected output at 80 columns, between words.
    private static (int ExitCode, string Output) Lineage(params string[] args)
    {
        var (code, output) = TestPaths.Run("dotnet", [Dll, "--threads", "1", .. args]);
        return (code, System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "));
    }

    // A moment in the run's first seconds: from before the runtime is up to well into training.
    private static TimeSpan Moment(double maxSeconds)
    {
        lock (Moments) return TimeSpan.FromSeconds(0.3 + Moments.NextDouble() * (maxSeconds - 0.3));
    }

    /// <summary>Starts the CLI, signals it after <paramref name="after"/> (SIGINT, or SIGKILL), and waits for it to exit.</summary>
    private static (int ExitCode, string Output, string Context) Interrupt(string[] args, TimeSpan after, bool kill)
    {
        // Through `env --default-signal=INT` (GNU coreutils): a test run started in the background by a shell without job
        // control inherits SIGINT ignored, children inherit that too, and an ignored SIGINT never reaches the CLI (every
        // SIGINT case then timed out, 2026-12-07). A user's Ctrl-C reaches a foreground process, whose SIGINT is not ignored.
        var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--default-signal=INT", "dotnet", Dll, "--threads", "1" }.Concat(args)) info.ArgumentList.Add(a);
        info.Environment["COLUMNS"] = "200";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        string context = $"seed {Seed} (LINEAGE_INTERRUPT_SEED), {(kill ? "SIGKILL" : "SIGINT")} after {after.TotalSeconds:0.00} s: lineage {string.Join(' ', args)}";
        if (p.WaitForExit(after)) throw new InvalidOperationException($"{context}: the run ended before the signal (exit {p.ExitCode}): {stdout.Result}{stderr.Result}");
        if (kill)
        {
            p.Kill(entireProcessTree: true);
        }
        else
        {
            using var signal = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            signal.WaitForExit();
        }

        if (!p.WaitForExit(60_000))
        {
            p.Kill(true);
            throw new TimeoutException($"{context}: still running a minute after the signal");
        }

        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result, context);
    }

    /// <summary>SHA-256 of every file of a model (a folder, recursively, or one file), by relative path.</summary>
    private static SortedDictionary<string, string> Snapshot(string path)
    {
        var files = File.Exists(path) ? [path] : Directory.GetFiles(path, "*", SearchOption.AllDirectories);
        var root = File.Exists(path) ? Path.GetDirectoryName(path)! : path;
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in files) result[Path.GetRelativePath(root, f)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)));
        return result;
    }

    /// <summary>
    /// The whole check: <paramref name="train"/> makes the model at <paramref name="model"/>, <paramref name="evaluate"/>
    /// gives its numbers, <paramref name="again"/> (a long run over it) is interrupted, and the model must be unchanged.
    /// Returns the interrupted run's context for follow-up checks.
    /// </summary>
    private static string Check(string[] train, string model, Func<string> evaluate, string[] again, bool kill, double within = 4)
    {
        var (code, output) = Lineage(train);
        Assert.True(code == 0, output);
        var files = Snapshot(model);
        var numbers = evaluate();

        var (exit, text, context) = Interrupt(again, Moment(within), kill);
        Assert.True(exit == (kill ? 137 : 130), $"{context}: exit {exit}\n{text}");
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);              // no stack trace
        Assert.DoesNotContain("Unhandled exception", text, StringComparison.Ordinal);
        Assert.True(Snapshot(model).SequenceEqual(files), $"{context}: the model's files changed\n{text}");
        Assert.True(evaluate() == numbers, $"{context}: the model no longer evaluates to its old numbers\n{text}");
        return context;
    }

    private static string Evaluated(params string[] args)
    {
        var (code, output) = Lineage(args);
        Assert.True(code == 0, output);
        return output;
    }

    private static readonly string[] GptSize = ["--vocab", "300", "--layers", "1", "--heads", "2", "--dim", "16", "--context", "16", "--batch", "4", "-q"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GptPretrain_OverATrainedModel_Interrupted_LeavesItsPerplexity_AndResumeFinishes(bool kill)
    {
        using var dir = new TempFolder();
        var text = Path.Combine(dir.Path, "text.txt");
        File.WriteAllText(text, TestCorpora.Sentences());
        var model = Path.Combine(dir.Path, "gpt");
        string context = Check(["gpt", "pretrain", "--text", text, "--model", model, "--steps", "5", .. GptSize], model,
            () => Evaluated("gpt", "eval", "--model", model, "--text", text),
            ["gpt", "pretrain", "--text", text, "--model", model, "--steps", "1000000", "--overwrite", "--vocab", "280", .. GptSize[2..]], kill);

        // The next run: --resume continues the interrupted run's checkpoint when it left one (its new vocabulary), else the
        // model's own; either way the folder ends as one complete model and the staging folder is gone.
        bool interrupted = File.Exists(Path.Combine(dir.Path, ".gpt.training", "checkpoint.bin"));
        var (code, output) = Lineage(["gpt", "pretrain", "--text", text, "--model", model, "--steps", "3", "--resume", "--overwrite", "--vocab", "280", .. GptSize[2..]]);
        Assert.True(code == 0, $"{context}\n{output}");
        if (interrupted) Assert.Contains("\"vocab_size\": 280", File.ReadAllText(Path.Combine(model, "config.json")), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".gpt.training")), context);
        Evaluated("gpt", "eval", "--model", model, "--text", text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GptFinetune_Interrupted_LeavesThePretrainedModel_AndResumeContinues(bool kill)
    {
        using var dir = new TempFolder();
        var text = Path.Combine(dir.Path, "text.txt");
        File.WriteAllText(text, TestCorpora.Sentences());
        var other = Path.Combine(dir.Path, "other.txt");
        File.WriteAllText(other, string.Join('\n', TestCorpora.Sentences().Split('\n').Reverse()));
        var model = Path.Combine(dir.Path, "gpt");
        string context = Check(["gpt", "pretrain", "--text", text, "--model", model, "--steps", "5", .. GptSize], model,
            () => Evaluated("gpt", "eval", "--model", model, "--text", text),
            ["gpt", "finetune", "--text", other, "--model", model, "--steps", "1000000", "--batch", "4", "-q"], kill);

        var staged = Path.Combine(dir.Path, ".gpt.finetune", "checkpoint.bin");
        bool checkpointed = File.Exists(staged);
        var (code, output) = Lineage("gpt", "finetune", "--text", other, "--model", model, "--steps", "2", "--batch", "4", "--resume", "-q");
        Assert.True(code == 0, $"{context}\n{output}");
        if (!checkpointed) Assert.Contains("2 steps", output, StringComparison.Ordinal);    // nothing to resume: a fresh finetune
        Assert.False(Directory.Exists(Path.GetDirectoryName(staged)), context);
        Evaluated("gpt", "eval", "--model", model, "--text", text);
    }

    [Theory]
    [InlineData("bert", false)]
    [InlineData("roberta", false)]
    [InlineData("bert", true)]
    public void EncoderPretrainAndFinetune_Interrupted_LeaveTheModelAndTheClassifier(string name, bool kill)
    {
        using var dir = new TempFolder();
        var text = Path.Combine(dir.Path, "text.txt");
        File.WriteAllText(text, TestCorpora.Paragraphs(120));
        var lines = Path.Combine(dir.Path, "lines.txt");
        File.WriteAllText(lines, TestCorpora.Sentences(60));
        var labelled = Path.Combine(dir.Path, "labelled.tsv");
        File.WriteAllText(labelled, TestCorpora.Labelled(200));
        var model = Path.Combine(dir.Path, name);
        string[] size = ["--vocab", "300", "--layers", "1", "--heads", "2", "--dim", "16", "--length", "24", "--batch", "4", "-q"];
        Check([name, "pretrain", "--text", text, "--model", model, "--steps", "3", .. size], model,
            () => Evaluated(name, "eval", "--model", model, "--file", lines),
            [name, "pretrain", "--text", text, "--model", model, "--steps", "1000000", "--overwrite", .. size], kill);

        var classifier = Path.Combine(dir.Path, "classifier");
        string context = Check([name, "finetune", "--model", model, "--out-model", classifier, "--labelled", labelled, "--steps", "3", "--batch", "8", "-q"], classifier,
            () =>
            {
                var (encoder, head, labels, _) = global::Lineage.Neural.Transformers.Bert.LoadClassifier(classifier);
                encoder.Dispose();
                head.Dispose();
                return string.Join(',', labels);
            },
            [name, "finetune", "--model", model, "--out-model", classifier, "--labelled", labelled, "--steps", "1000000", "--batch", "8", "--overwrite", "-q"], kill);
        var (code, output) = Lineage(name, "finetune", "--model", model, "--out-model", classifier, "--labelled", labelled, "--steps", "3", "--batch", "8", "-q");
        Assert.Equal(2, code);                                                       // over a trained classifier: refused, one line
        Assert.Contains("holds a trained model; give --resume", output, StringComparison.Ordinal);
        (code, output) = Lineage(name, "finetune", "--model", model, "--out-model", classifier, "--labelled", labelled, "--steps", "1", "--batch", "8", "--resume", "--overwrite", "-q");
        Assert.True(code == 0, $"{context}\n{output}");
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".classifier.training")), context);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void T5PretrainAndFinetune_Interrupted_LeaveTheModel(bool kill)
    {
        if (global::Lineage.Text.Tokenization.SentencePiece.FindTrainer() is null) return;   // run-tests' bootstrap installs spm_train
        using var dir = new TempFolder();
        var text = Path.Combine(dir.Path, "text.txt");
        File.WriteAllText(text, TestCorpora.Sentences());
        var model = Path.Combine(dir.Path, "t5");
        string[] size = ["--vocab", "120", "--layers", "1", "--heads", "2", "--dim", "16", "--hidden", "32", "--length", "24", "--batch", "4", "-q"];
        Func<string> generate = () => Evaluated("t5", "generate", "--model", model, "--input", "the cat sat on", "--max-tokens", "8");
        Check(["t5", "pretrain", "--text", text, "--model", model, "--steps", "3", .. size], model, generate,
            ["t5", "pretrain", "--text", text, "--model", model, "--steps", "1000000", "--overwrite", .. size], kill);

        if (!new[] { DataCatalog.CmuDict, DataCatalog.Brown, DataCatalog.SpamAssassin, DataCatalog.LibreOfficeHelpEnglish, DataCatalog.LibreOfficeHelpGerman }.All(TestPaths.Has))
            return;
        var multitask = Path.Combine(dir.Path, "multitask");
        Check(["t5", "finetune", "--model", model, "--out-model", multitask, "--steps", "2", "--batch", "4", "--count", "2", "-q"], multitask,
            () => Evaluated("t5", "generate", "--model", multitask, "--input", "pronounce: c a t", "--max-tokens", "8"),
            ["t5", "finetune", "--model", model, "--out-model", multitask, "--steps", "1000000", "--batch", "4", "--count", "2", "--overwrite", "-q"], kill, within: 8);
    }

    [Theory]
    [InlineData("rnn", false)]
    [InlineData("lstm", false)]
    [InlineData("gru", false)]
    [InlineData("bytenet", false)]
    [InlineData("gru", true)]
    public void SequenceTrain_OverATrainedModel_Interrupted_LeavesItsSamples_AndResumeWorks(string name, bool kill)
    {
        using var dir = new TempFolder();
        var text = Path.Combine(dir.Path, "text.txt");
        File.WriteAllText(text, TestCorpora.Sentences());
        string[] tiny = ["--hidden", "16", "--embedding", "8", "--seq-len", "32", "--batch", "2", "--text", text, "--out", dir.Path, "-q"];
        var model = Path.Combine(dir.Path, name, "checkpoint.bin");
        string context = Check([name, "train", "--steps", "3", .. tiny], model,
            () => Evaluated(name, "sample", "--out", dir.Path, "-n", "30", "-t", "0", "--prompt", "the cat"),
            [name, "train", "--steps", "1000000", "--overwrite", .. tiny], kill);

        var (code, output) = Lineage([name, "train", "--steps", "3", .. tiny]);
        Assert.Equal(2, code);
        Assert.Contains("holds a trained model; give --resume", output, StringComparison.Ordinal);
        (code, output) = Lineage([name, "train", "--steps", "4", "--resume", .. tiny]);      // the interrupted run's checkpoint, or the model's
        Assert.True(code == 0, $"{context}\n{output}");
        Assert.False(Directory.Exists(Path.Combine(dir.Path, name, ".checkpoint.bin.training")), context);
        Evaluated(name, "sample", "--out", dir.Path, "-n", "5", "-t", "0");
    }

    [Theory]
    [InlineData("vit", false)]
    [InlineData("swin", false)]
    [InlineData("vit", true)]
    public void ImageClassifierTrain_Interrupted_LeavesItsTestAccuracy(string name, bool kill)
    {
        if (!TestPaths.Has(DataCatalog.FashionMnist)) return;
        using var dir = new TempFolder();
        string[] tiny = ["--train-examples", "256", "--test-examples", "200", "--out", dir.Path, "--data", TestPaths.DataRoot, "-q"];
        var model = Path.Combine(dir.Path, name, "model");
        Check([name, "train", "--epochs", "1", .. tiny], model,
            () => Evaluated(name, "eval", "--test-examples", "200", "--out", dir.Path, "--data", TestPaths.DataRoot),
            [name, "train", "--epochs", "100000", "--overwrite", .. tiny], kill, within: 6);
        var (code, output) = Lineage([name, "train", "--epochs", "1", .. tiny]);
        Assert.Equal(2, code);
        Assert.Contains("holds a trained model; give --resume", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("clip", false)]
    [InlineData("siglip", false)]
    [InlineData("clip", true)]
    public void DualEncoderTrain_Interrupted_LeavesItsRetrievalScores(string name, bool kill)
    {
        if (!TestPaths.Has(DataCatalog.Twemoji) || !TestPaths.Has(DataCatalog.GoogleEmoji)) return;
        using var dir = new TempFolder();
        string[] tiny = ["--batch", "16", "--out", dir.Path, "--data", TestPaths.DataRoot, "-q"];
        var model = Path.Combine(dir.Path, name, "model");
        Check([name, "train", "--steps", "2", .. tiny], model,
            () => Evaluated(name, "eval", "--out", dir.Path, "--data", TestPaths.DataRoot),
            [name, "train", "--steps", "1000000", "--overwrite", .. tiny], kill, within: 8);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void VlaTrain_Interrupted_LeavesThePolicy(bool kill)
    {
        if (!TestPaths.Has(DataCatalog.Twemoji)) return;
        using var dir = new TempFolder();
        Assert.True(Lineage("vla", "collect", "--episodes", "1", "-o", dir.Path, "-q").ExitCode == 0);
        var model = Path.Combine(dir.Path, "vla", "model");
        Check(["vla", "train", "--steps", "2", "--clip-steps", "2", "-o", dir.Path, "-q"], model,
            () => Evaluated("vla", "eval", "--episodes", "1", "-o", dir.Path, "-q"),
            ["vla", "train", "--steps", "1000000", "--overwrite", "-o", dir.Path, "-q"], kill, within: 6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void VlaCollect_OverCollectedDemonstrations_Interrupted_LeavesThem(bool kill)
    {
        if (!TestPaths.Has(DataCatalog.Twemoji)) return;
        using var dir = new TempFolder();
        var demos = Path.Combine(dir.Path, "vla", "demos.bin");
        Check(["vla", "collect", "--episodes", "1", "-o", dir.Path, "-q"], demos,
            () =>
            {
                var d = global::Lineage.Robotics.Sim.Demonstrations.Load(demos);
                return $"{d.Episodes} episodes, {d.Steps.Count} steps, {d.OutlierShare():R} outliers";
            },
            ["vla", "collect", "--episodes", "100000", "-o", dir.Path, "-q"], kill, within: 6);
    }

    [Theory]
    [InlineData("word2vec")]
    [InlineData("glove")]
    public void VectorTraining_Interrupted_LeavesTheVectorFile(string name)
    {
        using var dir = new TempFolder();
        var corpus = Path.Combine(dir.Path, "corpus.txt");
        File.WriteAllText(corpus, TestCorpora.Sentences(3000));
        var vectors = Path.Combine(dir.Path, "vectors.txt");
        Check([name, "train", corpus, "-o", vectors, "--dim", "8", "--epochs", "1", "--min-count", "1", "-q"], vectors,
            () => Evaluated("vectors", "similar", vectors, "cat", "--top", "3"),
            [name, "train", corpus, "-o", vectors, "--dim", "8", "--epochs", "100000", "--min-count", "1", "-q"], kill: false);
    }

    [Fact]
    public void LongContextTrain_Interrupted_LeavesTheModel()
    {
        using var dir = new TempFolder();
        var text = Path.Combine(dir.Path, "text.txt");
        File.WriteAllText(text, TestCorpora.Sentences());
        string[] tiny = ["--mixer", "mamba", "--dim", "16", "--layers", "1", "--seq-len", "64", "--batch", "2", "--text", text, "--out", dir.Path, "-q"];
        Check(["longctx", "train", "--steps", "2", .. tiny], Path.Combine(dir.Path, "longctx", "mamba", "checkpoint.bin"), () => "",
            ["longctx", "train", "--steps", "1000000", "--overwrite", .. tiny], kill: false);
    }

    [Fact]
    public void LongctxRecall_Interrupted_SaysStopped_WithoutAStackTrace()
    {
        // recall runs on the process's first thread (its main malloc arena) and handles SIGINT itself.
        var (exit, text, context) = Interrupt(["longctx", "recall", "--mixer", "full", "--seq-len", "64", "--steps", "100000", "--vocab", "512", "--short-conv", "3"],
            TimeSpan.FromSeconds(3) + Moment(2), kill: false);
        Assert.True(exit == 130, $"{context}: exit {exit}\n{text}");
        Assert.Contains("stopped.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("--resume", text, StringComparison.Ordinal);   // recall keeps nothing to resume from
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }
}
