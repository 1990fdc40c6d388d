using System.Text;
using Lineage.Neural.Core.Training;
using Spectre.Console;

namespace Lineage.Cli;

/// <summary>Turns the errors a user can cause into a message and an exit code (2: bad arguments, 1: bad files or training, 130: Ctrl-C).</summary>
internal static class CommandGuard
{
    /// <summary>Runs <paramref name="action"/>; <paramref name="stopped"/> is what to say after Ctrl-C.</summary>
    public static int Run(Func<int> action, string stopped = "") => Run(action, () => stopped);

    /// <summary>Runs a training <paramref name="action"/>; after Ctrl-C it says whether <paramref name="checkpoint"/> was written, so --resume can continue.</summary>
    public static int WithCheckpoint(Func<int> action, string checkpoint) =>
        Run(action, () => File.Exists(checkpoint) ? $"The last checkpoint is {checkpoint}; continue with --resume." : "No checkpoint was written yet.");

    private static int Run(Func<int> action, Func<string> stopped)
    {
        try
        {
            return action();
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]stopped.[/] {0}", Markup.Escape(stopped()));
            return 130;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or TrainingDivergedException or DecoderFallbackException)
        {
            AnsiConsole.MarkupLine("[red]error:[/] {0}", Markup.Escape(e.Message));
            return e is ArgumentException ? 2 : 1;
        }
    }
}
