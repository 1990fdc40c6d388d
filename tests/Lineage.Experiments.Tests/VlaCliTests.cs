using Lineage.Robotics.Sim;

namespace Lineage.Experiments.Tests;

/// <summary><c>lineage vla collect|train|eval|play</c> end to end at tiny step counts, and their errors.</summary>
public class VlaCliTests
{
    private static (int ExitCode, string Output) Lineage(params string[] args) =>
        TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), .. args]);

    [Fact]
    public void CollectTrainEvalPlay_WriteTheirFiles_AndResume()
    {
        if (!TestPaths.Has(global::Lineage.Data.Catalog.DataCatalog.Twemoji)) return;
        using var dir = new TempFolder();
        var (code, output) = Lineage("vla", "collect", "--episodes", "2", "-o", dir.Path, "-q");
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(dir.Path, "vla", "demos.bin")));
        Assert.Contains("8 episodes", output, StringComparison.Ordinal);

        (code, output) = Lineage("vla", "train", "--steps", "3", "--clip-steps", "2", "-o", dir.Path, "-q");
        Assert.True(code == 0, output);
        Assert.Contains("CLIP grounding", output, StringComparison.Ordinal);          // tables of several objects: grounded by default
        foreach (var f in new[] { "config.json", "model.safetensors", "vocab.json", "answers.json", "objects.json" })
            Assert.True(File.Exists(Path.Combine(dir.Path, "vla", "model", f)), f);
        Assert.True(File.Exists(Path.Combine(dir.Path, "vla", "clip", "model.safetensors")));

        (code, output) = Lineage("vla", "train", "--steps", "5", "--resume", "-o", dir.Path, "-q");      // continues from step 3
        Assert.True(code == 0, output);
        Assert.Contains("5 steps", output, StringComparison.Ordinal);

        (code, output) = Lineage("vla", "eval", "--episodes", "1", "-o", dir.Path, "-q");
        Assert.True(code == 0, output);
        Assert.Contains("PickUp", output, StringComparison.Ordinal);
        Assert.Contains("unseen object", output, StringComparison.Ordinal);

        (code, output) = Lineage("vla", "play", "pick up the banana", "-o", dir.Path, "-q");
        Assert.True(code is 0 or 3, output);                                   // 3: the episode ended unfinished
        Assert.Contains("banana", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir.Path, "vla", "play", "strip.png")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "vla", "play", "frame-000.png")));

        (code, output) = Lineage("vla", "play", "pick up the unicorn", "-o", dir.Path, "-q");
        Assert.Equal(3, code);
        Assert.Contains("names no object on the table", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_OnSigLip_OrWithoutGrounding()
    {
        if (!TestPaths.Has(global::Lineage.Data.Catalog.DataCatalog.Twemoji)) return;
        using var dir = new TempFolder();
        Assert.True(Lineage("vla", "collect", "--episodes", "1", "-o", dir.Path, "-q").ExitCode == 0);
        var (code, output) = Lineage("vla", "train", "--encoder", "siglip", "--steps", "2", "--clip-steps", "2", "-o", dir.Path, "-q");
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(dir.Path, "vla", "siglip", "model.safetensors")));
        var policy = global::Lineage.Neural.Action.VlaFolder.Load(Path.Combine(dir.Path, "vla", "model"));
        Assert.Equal(global::Lineage.Neural.Multimodal.ContrastiveObjective.SigLip, policy.Model.Config.Encoders.Objective);
        Assert.True(policy.Model.Config.Grounding);
        policy.Model.Dispose();
        (code, output) = Lineage("vla", "eval", "--episodes", "1", "-o", dir.Path, "-q");
        Assert.True(code == 0, output);

        (code, output) = Lineage("vla", "train", "--overwrite", "--no-grounding", "--steps", "2", "--clip-steps", "2", "-o", dir.Path, "-q");
        Assert.True(code == 0, output);
        Assert.DoesNotContain("CLIP grounding", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "vla", "model", "objects.json")));         // the grounded model's list is gone

        (code, output) = Lineage("vla", "train", "--overwrite", "--train-vision", "--steps", "1", "-o", dir.Path, "-q");       // fine-tunes the image tower
        Assert.True(code == 0, output);
        Assert.DoesNotContain("grounding", output, StringComparison.Ordinal);
        Assert.False(global::Lineage.Neural.Action.VlaFolder.Load(Path.Combine(dir.Path, "vla", "model")).Model.Config.FreezeVision);

        // A siglip folder that holds a CLIP is refused by name.
        Directory.Delete(Path.Combine(dir.Path, "vla", "siglip"), recursive: true);
        Directory.Move(Path.Combine(dir.Path, "vla", "clip"), Path.Combine(dir.Path, "vla", "siglip"));
        (code, output) = Lineage("vla", "train", "--overwrite", "--encoder", "siglip", "--steps", "1", "-o", dir.Path, "-q");
        Assert.Equal(2, code);
        Assert.Contains("siglip", output, StringComparison.Ordinal);
    }

    [Fact]
    public void OneObject_CollectsPickUpsOnSingleObjectTables_AndEvalsPickUpsOnly()
    {
        if (!TestPaths.Has(global::Lineage.Data.Catalog.DataCatalog.Twemoji)) return;
        using var dir = new TempFolder();
        var (code, output) = Lineage("vla", "collect", "--one-object", "--episodes", "3", "-o", dir.Path, "-q");
        Assert.True(code == 0, output);
        Assert.Contains("3 episodes", output, StringComparison.Ordinal);

        (code, output) = Lineage("vla", "train", "--one-object", "--steps", "2", "--clip-steps", "2", "-o", dir.Path, "-q");
        Assert.True(code == 0, output);
        (code, output) = Lineage("vla", "eval", "--episodes", "2", "-o", dir.Path, "-q");
        Assert.True(code == 0, output);
        Assert.Contains("PickUp", output, StringComparison.Ordinal);
        Assert.DoesNotContain("PushRight", output, StringComparison.Ordinal);

        // Four-task demonstrations are not single-object ones.
        Assert.True(Lineage("vla", "collect", "--episodes", "1", "-o", dir.Path, "-q").ExitCode == 0);
        (code, output) = Lineage("vla", "train", "--overwrite", "--one-object", "--steps", "2", "-o", dir.Path, "-q");
        Assert.Equal(2, code);                                                   // a usage error
        Assert.Contains("--one-object", output, StringComparison.Ordinal);
    }

    [Fact]
    public void BadInput_ExitsWithAMessage()
    {
        using var dir = new TempFolder();
        var (code, output) = Lineage("vla", "eval", "--model", Path.Combine(dir.Path, "nope"));
        Assert.Equal(2, code);
        Assert.Contains("config.json", output, StringComparison.Ordinal);
        var demos = Path.Combine(dir.Path, "demos.bin");
        File.WriteAllText(demos, "not demonstrations");
        (code, output) = Lineage("vla", "train", "--demos", demos, "-o", dir.Path, "--clip-steps", "1");
        Assert.Equal(2, code);
        Assert.Contains("not a demonstrations file", output, StringComparison.Ordinal);
        (code, output) = Lineage("vla", "train", "--head", "cubic");
        Assert.NotEqual(0, code);
        Assert.Contains("cubic", output, StringComparison.Ordinal);
    }
}
