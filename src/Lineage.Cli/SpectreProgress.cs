using Lineage.Experiments;
using Spectre.Console;

namespace Lineage.Cli;

/// <summary>Draws the tour's progress bars and messages with Spectre.Console.</summary>
internal sealed class SpectreProgress(ProgressContext context) : ITourProgress
{
    public IProgressTask Start(string description, double total) => new Bar(context.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1)), description);

    public void Log(string message) => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(message));

    private sealed class Bar(ProgressTask task, string description) : IProgressTask
    {
        public void Report(double value, string? status = null)
        {
            task.Value = Math.Min(value, task.MaxValue);
            if (status is not null) task.Description = Markup.Escape($"{description}: {status}");
        }

        public void Dispose() => task.StopTask();
    }
}

/// <summary>Messages only, for --quiet and for output that is not a terminal.</summary>
internal sealed class LogOnlyProgress(bool quiet) : ITourProgress
{
    public IProgressTask Start(string description, double total) => SilentProgress.Instance.Start(description, total);

    public void Log(string message)
    {
        if (!quiet) Console.Error.WriteLine(message);
    }
}
