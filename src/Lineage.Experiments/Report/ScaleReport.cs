using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Lineage.Text.IO;

namespace Lineage.Experiments.Report;

/// <summary>
/// The plots and tables of bench/scale/run.sh (issue 32, item 6): how TF-IDF's and Word2Vec's time and memory grow with
/// the corpus, the attention kernel's with the sequence length, and the GPT step's throughput with batch and context.
/// </summary>
public static class ScaleReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The measurements of a JSON-lines file, in order; a line that is not a JSON object is refused by number.</summary>
    /// <exception cref="InvalidDataException">A line is not a JSON object with a "what".</exception>
    public static IReadOnlyList<JsonObject> Read(string path)
    {
        var rows = new List<JsonObject>();
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Trim().Length == 0) continue;
            JsonObject? row;
            try
            {
                row = JsonNode.Parse(line) as JsonObject;
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new InvalidDataException($"{path}:{number}: not JSON ({e.Message})", e);
            }

            if (row?["what"] is null) throw new InvalidDataException($"{path}:{number}: not a measurement (a JSON object with \"what\").");
            rows.Add(row);
        }

        return rows;
    }

    private static double D(JsonObject row, string key) => row[key] is { } v ? v.GetValue<double>() : double.NaN;

    private static string S(JsonObject row, string key) => row[key]?.GetValue<string>() ?? "";

    // The last measurement of each key wins (a rerun replaces the earlier line).
    private static List<JsonObject> Latest(IEnumerable<JsonObject> rows, Func<JsonObject, string> key) =>
        [.. rows.GroupBy(key).Select(g => g.Last())];

    /// <summary>The slope of log y against log x (least squares): the exponent of a power law.</summary>
    public static double Exponent(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count || x.Count < 2) return double.NaN;
        var lx = x.Select(v => Math.Log(v)).ToArray();
        var ly = y.Select(v => Math.Log(v)).ToArray();
        double mx = lx.Average(), my = ly.Average();
        double num = 0, den = 0;
        for (int i = 0; i < lx.Length; i++)
        {
            num += (lx[i] - mx) * (ly[i] - my);
            den += (lx[i] - mx) * (lx[i] - mx);
        }

        return den == 0 ? double.NaN : num / den;
    }

    /// <summary>Writes the plots (PNG) and scale.md into <paramref name="folder"/>; returns the file names written.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<JsonObject> rows, string folder)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        var md = new StringBuilder("# How the costs grow\n\n");
        if (rows.Count > 0 && rows[0]["machine"] is { } machine) md.Append(Inv, $"Measured on {machine}.\n\n");

        var tfidf = Latest(rows.Where(r => S(r, "what") == "tfidf"), r => $"{S(r, "tool")}/{S(r, "mode")}/{D(r, "scale")}");
        if (tfidf.Count > 0)
        {
            var groups = tfidf.GroupBy(r => $"{S(r, "tool")} {S(r, "mode")}").ToList();
            // scikit-learn's in-process fit_transform seconds are the comparison the issue makes; its process time is plotted too.
            var time = groups.Select(g => new Series(g.Key, [.. g.Select(r => D(r, "input_mb"))], [.. g.Select(r => D(r, "wall_s"))])).ToList();
            if (tfidf.Any(r => r["fit_transform_s"] is not null))
            {
                var fits = tfidf.Where(r => r["fit_transform_s"] is not null).ToList();
                time.Add(new Series("sklearn fit_transform only", [.. fits.Select(r => D(r, "input_mb"))], [.. fits.Select(r => D(r, "fit_transform_s"))]));
            }

            Plot(files, folder, "tfidf-time.png", "TF-IDF: wall seconds of one cold process", "corpus MB", "seconds", [.. time]);
            Plot(files, folder, "tfidf-memory.png", "TF-IDF: peak memory of the process", "corpus MB", "peak MiB",
                [.. groups.Select(g => new Series(g.Key, [.. g.Select(r => D(r, "input_mb"))], [.. g.Select(r => D(r, "peak_mib"))]))]);
            md.Append("## TF-IDF (`lineage encode tfidf DIR --threads 1`, cold process)\n\n| tool | mode | scale | corpus MB | wall s | fit_transform s | peak MiB |\n|---|---|---:|---:|---:|---:|---:|\n");
            foreach (var r in tfidf)
            {
                md.Append(Inv, $"| {S(r, "tool")} | {S(r, "mode")} | {D(r, "scale")}× | {D(r, "input_mb"):0.0} | {D(r, "wall_s"):0.00} | {(r["fit_transform_s"] is null ? "" : D(r, "fit_transform_s").ToString("0.00", Inv))} | {D(r, "peak_mib"):0} |\n");
            }

            md.Append("\n| tool | mode | marginal MB/s (smallest → largest) | time × | peak × |\n|---|---|---:|---:|---:|\n");
            foreach (var g in groups)
            {
                var (first, last) = (g.MinBy(r => D(r, "scale"))!, g.MaxBy(r => D(r, "scale"))!);
                string seconds = S(first, "tool") == "sklearn" && first["fit_transform_s"] is not null ? "fit_transform_s" : "wall_s";
                md.Append(Inv, $"| {S(first, "tool")} | {S(first, "mode")}{(seconds == "fit_transform_s" ? " (fit_transform)" : "")} | {(D(last, "input_mb") - D(first, "input_mb")) / (D(last, seconds) - D(first, seconds)):0.0} | {D(last, "wall_s") / D(first, "wall_s"):0.0} | {D(last, "peak_mib") / D(first, "peak_mib"):0.00} |\n");
            }

            md.Append('\n');
        }

        var w2v = Latest(rows.Where(r => S(r, "what") == "word2vec"), r => $"{S(r, "tool")}/{D(r, "scale")}");
        if (w2v.Count > 0)
        {
            var groups = w2v.GroupBy(r => S(r, "tool")).ToList();
            Plot(files, folder, "word2vec-time.png", "Word2Vec skip-gram, one epoch: wall seconds", "million words", "seconds",
                [.. groups.Select(g => new Series(g.Key, [.. g.Select(r => D(r, "words") / 1e6)], [.. g.Select(r => D(r, "wall_s"))]))]);
            Plot(files, folder, "word2vec-memory.png", "Word2Vec skip-gram: peak memory of the process", "million words", "peak MiB",
                [.. groups.Select(g => new Series(g.Key, [.. g.Select(r => D(r, "words") / 1e6)], [.. g.Select(r => D(r, "peak_mib"))]))]);
            md.Append("## Word2Vec skip-gram (one epoch, two threads, cold process)\n\n| tool | scale | words | wall s | words/s | peak MiB |\n|---|---:|---:|---:|---:|---:|\n");
            foreach (var r in w2v)
            {
                md.Append(Inv, $"| {S(r, "tool")} | {D(r, "scale")}× | {D(r, "words"):N0} | {D(r, "wall_s"):0.0} | {D(r, "words") * D(r, "epochs") / D(r, "wall_s"):N0} | {D(r, "peak_mib"):0} |\n");
            }

            md.Append("\n| tool | marginal words/s | time × | peak × | peak bytes per added word |\n|---|---:|---:|---:|---:|\n");
            foreach (var g in groups)
            {
                var (first, last) = (g.MinBy(r => D(r, "scale"))!, g.MaxBy(r => D(r, "scale"))!);
                double added = D(last, "words") - D(first, "words");
                md.Append(Inv, $"| {g.Key} | {added / (D(last, "wall_s") - D(first, "wall_s")):N0} | {D(last, "wall_s") / D(first, "wall_s"):0.0} | {D(last, "peak_mib") / D(first, "peak_mib"):0.00} | {(D(last, "peak_mib") - D(first, "peak_mib")) * 1048576 / added:0.0} |\n");
            }

            md.Append('\n');
        }

        var attention = Latest(rows.Where(r => S(r, "what") == "attention"), r => $"{S(r, "tool")}/{S(r, "pass")}/{D(r, "n")}");
        if (attention.Count > 0)
        {
            var groups = attention.GroupBy(r => $"{S(r, "tool")} {S(r, "pass")}").ToList();
            Plot(files, folder, "attention-time.png", "Attention: milliseconds against n (B1 H2 D64, log-log)", "n", "ms",
                [.. groups.Select(g => new Series(g.Key, [.. g.Select(r => D(r, "n"))], [.. g.Select(r => D(r, "ms"))]))], log: true);
            Plot(files, folder, "attention-memory.png", "Attention: peak memory above the inputs (log-log)", "n", "peak MiB",
                [.. groups.Select(g => new Series(g.Key, [.. g.Select(r => D(r, "n"))], [.. g.Select(r => Math.Max(D(r, "peak_mib"), 1e-3))]))], log: true);
            md.Append("## Attention (`lineage attention bench`, B1 H2 D64, full mask)\n\n| kernel | pass | n | ms | GFLOP/s | peak MiB |\n|---|---|---:|---:|---:|---:|\n");
            foreach (var r in attention) md.Append(Inv, $"| {S(r, "tool")} | {S(r, "pass")} | {D(r, "n"):N0} | {D(r, "ms"):0.0} | {D(r, "gflops"):0.0} | {D(r, "peak_mib"):0.00} |\n");
            md.Append("\n| kernel | pass | time exponent (n ≥ 4,096) | memory exponent (n ≥ 4,096) |\n|---|---|---:|---:|\n");
            foreach (var g in groups)
            {
                var big = g.Where(r => D(r, "n") >= 4096).ToList();
                md.Append(Inv, $"| {g.Key.Replace(" ", " | ", StringComparison.Ordinal)} | {Exponent([.. big.Select(r => D(r, "n"))], [.. big.Select(r => D(r, "ms"))]):0.00} | {Exponent([.. big.Select(r => D(r, "n"))], [.. big.Select(r => Math.Max(D(r, "peak_mib"), 1e-3))]):0.00} |\n");
            }

            md.Append('\n');
        }

        var gpt = Latest(rows.Where(r => S(r, "what") == "gpt"), r => $"{D(r, "batch")}/{D(r, "context")}");
        if (gpt.Count > 0)
        {
            var byBatch = gpt.Where(r => D(r, "context") == 192).OrderBy(r => D(r, "batch")).ToList();
            var byContext = gpt.Where(r => D(r, "batch") == 16).OrderBy(r => D(r, "context")).ToList();
            if (byBatch.Count > 0)
            {
                Plot(files, folder, "gpt-batch.png", "GPT training step: tokens/s against batch (context 192, one thread)", "batch", "tokens/s",
                    [new Series("lineage", [.. byBatch.Select(r => D(r, "batch"))], [.. byBatch.Select(r => D(r, "tokens_per_s"))])]);
            }

            if (byContext.Count > 0)
            {
                Plot(files, folder, "gpt-context.png", "GPT training step: tokens/s against context (batch 16, one thread)", "context", "tokens/s",
                    [new Series("lineage", [.. byContext.Select(r => D(r, "context"))], [.. byContext.Select(r => D(r, "tokens_per_s"))])]);
            }

            md.Append("## GPT training step (the tour's config, one libtorch thread)\n\n| batch | context | tokens/s | ms/step | peak MiB |\n|---:|---:|---:|---:|---:|\n");
            foreach (var r in gpt.OrderBy(r => D(r, "context")).ThenBy(r => D(r, "batch")))
            {
                md.Append(Inv, $"| {D(r, "batch")} | {D(r, "context")} | {D(r, "tokens_per_s"):N0} | {D(r, "batch") * D(r, "context") * 1000 / D(r, "tokens_per_s"):0.0} | {D(r, "peak_mib"):0} |\n");
            }

            md.Append('\n');
        }

        AtomicFile.WriteAllText(Path.Combine(folder, "scale.md"), md.ToString());
        files.Add("scale.md");
        return files;
    }

    private static void Plot(List<string> files, string folder, string name, string title, string x, string y, Series[] series, bool log = false)
    {
        var drawable = series.Where(s => s.X.Count > 0 && s.Y.All(double.IsFinite)).ToArray();
        if (drawable.Length == 0) return;
        Plots.Lines(Path.Combine(folder, name), title, x, y, logX: log, logY: log, drawable);
        files.Add(name);
    }
}
