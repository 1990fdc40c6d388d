using System.CommandLine;
using System.Globalization;
using Lineage.Text.Embeddings.Vectors;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary>What the embedding commands share: the output file, the progress display and error rendering.</summary>
internal static class EmbeddingCommandHelpers
{
    /// <summary>
    /// The output file from the global <c>--out</c>, which these commands require explicitly, checked before any work:
    /// its folder exists, it is not a folder, and it is none of <paramref name="inputs"/> (which it would overwrite).
    /// </summary>
    public static string? OutFile(ParseResult parse, params string?[] inputs)
    {
        var result = parse.GetResult(GlobalOptions.Out);
        if (result is null || result.Implicit)
        {
            AnsiConsole.MarkupLine("[red]error:[/] give the output file with --out FILE.");
            return null;
        }

        var path = parse.GetValue(GlobalOptions.Out)!;
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder))
        {
            // Checked before training, so that minutes of work are not lost at the end.
            AnsiConsole.MarkupLine("[red]error:[/] the output folder {0} does not exist.", Markup.Escape(folder));
            return null;
        }

        if (Directory.Exists(path))
        {
            AnsiConsole.MarkupLine("[red]error:[/] --out {0} is a folder; give the vector file to write, e.g. {1}.", Markup.Escape(path), Markup.Escape(Path.Combine(path, "vectors.txt")));
            return null;
        }

        var full = Path.GetFullPath(path);
        foreach (var input in inputs)
        {
            if (input is not null && string.Equals(Path.GetFullPath(input), full, StringComparison.Ordinal))
            {
                AnsiConsole.MarkupLine("[red]error:[/] --out {0} is also an input of this command; writing it would destroy it. Choose another file.", Markup.Escape(path));
                return null;
            }
        }

        return path;
    }

    public static int Threads(ParseResult parse) => GlobalOptions.Settings(parse).Threads;

    public static VectorFormat Format(string name) => name switch
    {
        "text" => VectorFormat.Word2VecText,
        "binary" => VectorFormat.Word2VecBinary,
        "glove" => VectorFormat.GloveText,
        _ => throw new ArgumentException($"Unknown format '{name}': use text, binary or glove."),
    };

    public static Option<string> FormatOption(string defaultValue) => new("--format")
    {
        Description = "Output format: text (word2vec text, as fastText .vec), binary (word2vec binary) or glove (no header).",
        DefaultValueFactory = _ => defaultValue,
    };

    /// <summary>Runs training with a progress bar (or quietly), turning expected failures into messages and exit codes.</summary>
    public static int RunTraining(ParseResult parse, string title, Func<IProgress<Text.Embeddings.Word2Vec.EmbeddingProgress>, int> train)
    {
        try
        {
            if (parse.GetValue(GlobalOptions.Quiet) || Console.IsErrorRedirected)
            {
                return train(new Progress<Text.Embeddings.Word2Vec.EmbeddingProgress>(_ => { }));
            }

            return AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(title), maxValue: 1);
                    return train(new SyncProgressReporter(p =>
                    {
                        task.MaxValue = Math.Max(1, p.WordsTotal);
                        task.Value = Math.Min(p.WordsProcessed, task.MaxValue);
                        task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                            $"{title}: epoch {p.Epoch}/{p.Epochs}, {p.WordsPerSecond / 1000:0}k words/s, lr {p.Alpha:0.00000}"));
                    }));
                });
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]cancelled[/]: nothing written; the last epoch checkpoint (if any) is intact.");
            return 130;
        }

    }

    private sealed class SyncProgressReporter(Action<Text.Embeddings.Word2Vec.EmbeddingProgress> report) : IProgress<Text.Embeddings.Word2Vec.EmbeddingProgress>
    {
        public void Report(Text.Embeddings.Word2Vec.EmbeddingProgress value) => report(value);
    }
}
