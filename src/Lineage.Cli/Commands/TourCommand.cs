using System.CommandLine;
using System.Globalization;
using Lineage.Experiments;
using Lineage.Experiments.Results;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary><c>lineage tour</c>: the main job.</summary>
[CliCommand(10)]
internal static class TourCommand
{
    public static Command Create()
    {
        var only = new Option<string?>("--only") { Description = "Run one experiment by id, or every experiment under a prefix (see --list)." };
        var quick = new Option<bool>("--quick") { Description = "Tiny sizes for a smoke test (minutes); results are marked quick." };
        var retrain = new Option<bool>("--retrain") { Description = "Train even when the model cache has a model for the same data, settings and code." };
        var list = new Option<bool>("--list") { Description = "List the experiments and their time budgets, and run nothing." };
        var command = new Command("tour", "Run every experiment of the lineage on real data and write out/tour/index.html and results.json.")
        {
            only, quick, retrain, list,
        };
        command.SetAction((parse, cancellation) =>
        {
            if (parse.GetValue(list)) return Task.FromResult(List());
            // The tour runs on one worker thread (dispose scopes are per thread), so that the Ctrl-C handler finds a
            // running task to wait for: the experiment stops between steps and the results so far are written.
            return Task.Run(() => Run(parse, quick, only, retrain, cancellation), CancellationToken.None);
        });
        return command;
    }

    private static int Run(ParseResult parse, Option<bool> quick, Option<string?> only, Option<bool> retrain, CancellationToken cancellation)
    {
        TourResults results;
        TourOptions options;
        try
        {
            // A chapter's process: the tour's request (settings included) came as JSON; its progress goes back as protocol lines.
            if (ChapterProcess.Request() is { } request) return ChapterProcess.RunChild(request, Console.Out, cancellation);

            var settings = GlobalOptions.Settings(parse);   // applied by the tour (TourRunner), and handed to each chapter's process
            options = new TourOptions(Path.Combine(settings.Output, "tour"), settings, parse.GetValue(quick), parse.GetValue(only), parse.GetValue(retrain));
            if (settings.Quiet || !AnsiConsole.Profile.Capabilities.Interactive)
            {
                results = TourRunner.Run(options, new LogOnlyProgress(settings.Quiet), cancellation);
            }
            else
            {
                results = AnsiConsole.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(ctx => TourRunner.Run(options, new SpectreProgress(ctx), cancellation));
            }
        }
        catch (ArgumentException e)
        {
            AnsiConsole.MarkupLine("[red]error:[/] {0}", Markup.Escape(e.Message));
            return 2;
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException)
        {
            AnsiConsole.MarkupLine("[red]error:[/] {0}", Markup.Escape(e.Message));
            return 1;
        }

        // The per-chapter time table: each chapter's wall seconds beside its budget, then the tour's own wall time (less
        // than the chapters' sum where chapters shared the machine, TourPlan).
        var table = new Table().AddColumns("experiment", "status", "claims", "seconds", "budget (s)", "model");
        foreach (var r in results.Experiments)
        {
            var colour = r.Status switch { ExperimentStatus.Passed => "green", ExperimentStatus.Failed => "red", _ => "yellow" };
            table.AddRow(Markup.Escape(r.Id), $"[{colour}]{r.Status.ToString().ToLowerInvariant()}[/]",
                $"{r.Claims.Count(c => c.Passed)}/{r.Claims.Count}", r.WallSeconds.ToString("0.0", CultureInfo.InvariantCulture),
                r.OverBudget ? string.Create(CultureInfo.InvariantCulture, $"[yellow]{r.BudgetSeconds:0}[/]") : r.BudgetSeconds.ToString("0", CultureInfo.InvariantCulture), r.Model);
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"Chapters: {results.Experiments.Sum(r => r.WallSeconds) / 60:0.0} min in all; this tour: {(results.FinishedUtc - results.StartedUtc).TotalMinutes:0.0} min of wall time."));
        var s = results.Summary;
        AnsiConsole.MarkupLine("{0} of {1} claims passed{2}. Report: [link]{3}[/]", s.ClaimsPassed, s.Claims,
            results.Quick ? " (quick mode: smoke test only)" : "", Markup.Escape(Path.GetFullPath(Path.Combine(options.OutputDirectory, "index.html"))));
        if (cancellation.IsCancellationRequested) return 130;
        return s.Failed + s.Errors == 0 ? 0 : 1;
    }

    private static int List()
    {
        var table = new Table().AddColumns("id", "family", "title", "budget (min)", "quick (min)");
        table.Columns[0].NoWrap = true;   // ids are typed back into --only: never broken across lines, the title wraps instead
        foreach (var e in ExperimentRegistry.All)
        {
            var i = e.Info;
            table.AddRow(Markup.Escape(i.Id), Families.Of(i.Family).Slug, Markup.Escape(i.Title),
                i.Budget.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture), i.QuickBudget.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("Total budget: {0:0.#} min (quick: {1:0.#} min).",
            ExperimentRegistry.All.Sum(e => e.Info.Budget.TotalMinutes), ExperimentRegistry.All.Sum(e => e.Info.QuickBudget.TotalMinutes));
        var plan = TourPlan.Of(ExperimentRegistry.All, TourPlan.MaxLanes, quick: false);
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"Planned on {TourPlan.MaxLanes} cores: {plan.Planned(quick: false).TotalMinutes:0.#} min ({plan.Lanes.Sum(l => l.Count)} chapters share the machine, two at a time; the rest run alone)."));
        return 0;
    }
}
