using Spectre.Console;

namespace Lineage.Cli;

/// <summary>
/// Runs a command's work and says what to do after Ctrl-C (130); every other error goes to the CLI's one boundary,
/// <see cref="CliErrors"/> (2: what the user can fix, 1: anything else).
/// </summary>
internal static class CommandGuard
{
    /// <summary>Runs <paramref name="action"/>; <paramref name="stopped"/> is what to say after Ctrl-C.</summary>
    public static int Run(Func<int> action, string stopped = "") => Run(action, () => stopped);

    /// <summary>Runs a training <paramref name="action"/>; after Ctrl-C it says whether <paramref name="checkpoint"/> was written, so --resume can continue.</summary>
    public static int WithCheckpoint(Func<int> action, string checkpoint) =>
        Run(action, () => File.Exists(checkpoint) ? $"The last checkpoint is {checkpoint}; continue with --resume." : "No checkpoint was written yet.");

    /// <summary>Runs <paramref name="action"/>; <paramref name="stopped"/> says, when Ctrl-C came, what to do next.</summary>
    public static int Run(Func<int> action, Func<string> stopped)
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
        catch (Exception e) when (CliErrors.IsUserError(e))
        {
            AnsiConsole.MarkupLine("[red]error:[/] {0}", Markup.Escape(CliErrors.Escape(CliErrors.Innermost(e).Message)));
            return CliErrors.UserError;
        }
    }
}
