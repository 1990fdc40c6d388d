using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lineage.Data.Benchmark;
using Lineage.Data.Catalog;
using Lineage.Experiments.Benchmark;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary>
/// <c>lineage bench tasks [--task T] [--repr R] [--json]</c>: the lineage benchmark (issue 31) — every representation
/// through one protocol on the same real tasks and seeded splits, printed as a leaderboard.
/// </summary>
[CliCommand(150)]
internal static class BenchCommand
{
    // NaN (a row with no score) is written as "NaN", which JSON has no number for.
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static Command Create()
    {
        var task = new Option<string[]>("--task") { Description = $"Only these tasks (repeatable): {string.Join(", ", BenchmarkTasks.All)}.", AllowMultipleArgumentsPerToken = true };
        task.AcceptOnlyFromAmong([.. BenchmarkTasks.All]);
        var repr = new Option<string[]>("--repr") { Description = $"Only these rows (repeatable): {string.Join(", ", LineageBenchmark.Representations)}.", AllowMultipleArgumentsPerToken = true };
        repr.AcceptOnlyFromAmong([.. LineageBenchmark.Representations]);
        var json = new Option<bool>("--json") { Description = "Print the rows as one JSON array instead of a table (progress lines then go to stderr)." };
        var scaling = new Option<string>("--probe-scaling") { Description = "How the probe scales centred features: none (the protocol), global (one number for the matrix) or column (a standard scaler); the last two for comparison.", DefaultValueFactory = _ => "none" };
        scaling.AcceptOnlyFromAmong("global", "column", "none");
        var l2 = new Option<double[]>("--probe-l2") { Description = $"The probe's λ: one value is used as it is; several are chosen among on a fifth of the training split (one extra fit each). Default: {string.Join(", ", ProbeOptions.ProtocolGrid)}.", AllowMultipleArgumentsPerToken = true };
        var noPrefix = new Option<bool>("--no-query-prefix") { Description = "Encode retrieval queries without the prefix a pretrained model's card asks for (arctic-embed's), for comparison." };
        var tasks = new Command("tasks", "Score representations on the benchmark's tasks (spam, Brown genres, LibreOffice help retrieval): " +
                                         "frozen features + one logistic-regression probe, or cosine retrieval; quality, size, training seconds, texts/s, peak memory.")
            { task, repr, json, scaling, l2, noPrefix };
        tasks.SetAction((parse, cancellation) => Task.Run(() => CommandGuard.Run(() =>
        {
            var settings = GlobalOptions.Torch(parse);
            bool quiet = parse.GetValue(GlobalOptions.Quiet);
            bool toError = parse.GetValue(json); // with --json, progress goes to stderr so stdout stays one JSON array
            var data = new DataStore(settings.DataRoot);
            var models = Path.Combine(data.Root, "models");
            var onlyTasks = parse.GetValue(task) is { Length: > 0 } t ? t : null;
            var onlyRows = parse.GetValue(repr) is { Length: > 0 } r ? r : null;
            void Log(string line)
            {
                if (quiet) return;
                if (toError) Console.Error.WriteLine(line);
                else AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(line));
            }

            var lambdas = parse.GetValue(l2) is { Length: > 0 } given ? given : [.. ProbeOptions.ProtocolGrid];
            if (lambdas.Any(v => !double.IsFinite(v) || v < 0)) throw new ArgumentException($"--probe-l2 must be finite and ≥ 0, not {string.Join(", ", lambdas)}.");
            var loaded = LineageBenchmark.LoadTasks(data, models, settings.Seed, onlyTasks, Log);
            // Word vectors train on one thread unless --threads says otherwise: Hogwild threads make them differ run to run.
            int threads = settings.Threads == 0 ? 1 : settings.Threads;
            var probe = ProbeOptions.Protocol with
            {
                Scaling = Enum.Parse<ProbeScaling>(parse.GetValue(scaling)!, ignoreCase: true),
                L2 = lambdas[0],
                L2Grid = lambdas.Length > 1 ? lambdas : null,
            };
            var rows = LineageBenchmark.RunAll(loaded, onlyRows, probe, settings.Seed, data, models, threads,
                row => Log($"{row.Task} {row.Representation}: {Quality(row)} in {row.TrainSeconds:0.0} s"), !parse.GetValue(noPrefix), cancellation: cancellation);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows, Json));
                return 0;
            }

            foreach (var group in rows.GroupBy(x => x.Task))
            {
                bool retrieval = group.Any(x => x.Metrics.ContainsKey("mrr"));
                var table = new Table().Title(Markup.Escape(group.Key)).AddColumns("row");
                if (retrieval) table.AddColumns("R@1", "R@10", "MRR");
                else table.AddColumns("accuracy", "macro-F1");
                table.AddColumns("features", "params", "train s", "texts/s", "peak MB");
                foreach (var row in group)
                {
                    var cells = new List<string> { Markup.Escape(row.Representation) };
                    string M(string key) => row.Cell(key, "—");
                    if (retrieval) cells.AddRange([M("recall_at_1"), M("recall_at_10"), M("mrr")]);
                    else cells.AddRange([M("accuracy"), M("macro_f1")]);
                    if (row.Note is { } note && row.Metrics.Count == 0)
                    {
                        cells.AddRange([Markup.Escape(note), "", "", "", ""]);
                    }
                    else
                    {
                        cells.AddRange([row.Features.ToString("N0", CultureInfo.InvariantCulture), row.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                            row.TrainSeconds.ToString("0.0", CultureInfo.InvariantCulture), row.TextsPerSecond.ToString("N0", CultureInfo.InvariantCulture),
                            row.PeakBytes < 0 ? "?" : (row.PeakBytes / 1048576.0).ToString("0", CultureInfo.InvariantCulture)]);
                    }

                    table.AddRow(cells.ToArray());
                }

                AnsiConsole.Write(table);
            }

            return 0;
        }), CancellationToken.None));
        var from = new Argument<string>("FILE") { Description = "JSON lines written by bench/scale/run.sh." };
        var scale = new Command("scale-plot", "Plot how each cost grows with its input (bench/scale/run.sh's measurements): writes <out>/scale/ (PNG plots and scale.md).") { from };
        scale.SetAction(parse => CommandGuard.Run(() =>
        {
            var path = parse.GetValue(from)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
            var folder = Path.Combine(parse.GetValue(GlobalOptions.Out)!, "scale");
            var files = Lineage.Experiments.Report.ScaleReport.Write(Lineage.Experiments.Report.ScaleReport.Read(path), folder);
            Console.WriteLine($"{files.Count} files: {string.Join(", ", files.Select(f => Path.Combine(folder, f)))}");
            return 0;
        }));
        return new Command("bench", "Benchmarks across the lineage: one task, every representation; how the costs grow with the input.") { tasks, scale };
    }

    private static string Quality(BenchRow row) => row.Metrics.Count == 0 ? row.Note ?? "no score"
        : string.Join(", ", row.Metrics.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0.000}")));
}
