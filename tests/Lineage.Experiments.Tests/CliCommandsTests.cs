namespace Lineage.Experiments.Tests;

/// <summary>The top-level commands are found by reflection ([CliCommand]); none went missing when the list in Program.cs went.</summary>
public class CliCommandsTests
{
    /// <summary><c>lineage --help</c>'s commands, in order, when Program.cs still listed them (6 Dec 2026).</summary>
    private static readonly string[] Today =
    [
        "tour", "data", "encode", "word2vec", "glove", "vectors", "rnn", "lstm", "gru", "bytenet", "gpt", "bert", "roberta", "t5",
        "pretrained", "attention", "longctx", "vit", "swin", "clip", "siglip", "vla", "export", "bench",
    ];

    [Fact]
    public void Help_ListsEveryCommand_InTheLineagesOrder()
    {
        var (code, output) = TestPaths.Run("dotnet", Path.Combine(AppContext.BaseDirectory, "lineage.dll"), "--help");
        Assert.Equal(0, code);
        var lines = output.ReplaceLineEndings("\n").Split('\n');
        var names = lines.SkipWhile(l => l.Trim() != "Commands:").Skip(1)
            .Where(l => l.StartsWith("  ", StringComparison.Ordinal) && l.Trim().Length > 0 && !l.StartsWith("   ", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ')[0]).ToArray();
        Assert.Equal(Today, names);
    }
}
