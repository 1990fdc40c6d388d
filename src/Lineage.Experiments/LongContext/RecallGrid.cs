// The recall grid in Zoology's figure-2 layout: one panel per sequence length N, accuracy against model width, a line
// per mixer, with the paper's own points beside ours. It reads what bench/recall/sweep.sh writes (one RecallResult per
// JSON line, from `lineage longctx recall --json`), so a sweep run on any machine can be plotted and tabulated later
// (`lineage longctx recall-grid --from recall.jsonl --out folder`); the tour's long-context.recall chapter uses the same
// plots for its own cells.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lineage.Experiments.Report;
using Lineage.Neural.LongContext;
using Lineage.Text.IO;

namespace Lineage.Experiments.LongContext;

/// <summary>Plots and a table for a grid of recall cells (MQAR by mixer, N and width; selective copying by mixer).</summary>
public static class RecallGrid
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Zoology's figure 2 (vocabulary 8,192, 100k examples × 64 epochs, best of 4 learning rates), read off the
    /// repository's plot (±0.03; ../shared/PAPERS.md): MQAR accuracy by our mixer id, N and width, where the figure has it.
    /// </summary>
    public static IReadOnlyDictionary<(string Mixer, int N, int Width), double> Zoology { get; } = new Dictionary<(string, int, int), double>
    {
        [("full", 64, 64)] = 0.98, [("full", 128, 64)] = 0.98, [("full", 256, 64)] = 0.98,
        [("full", 64, 128)] = 0.98, [("full", 128, 128)] = 0.98, [("full", 256, 128)] = 0.98,
        [("hyena", 64, 64)] = 0.51, [("hyena", 128, 64)] = 0.20, [("hyena", 256, 64)] = 0.06,
        [("hyena", 64, 128)] = 0.74, [("hyena", 128, 128)] = 0.62, [("hyena", 256, 128)] = 0.14,
    };

    /// <summary>The Mamba paper's table 1 (selective copying at length 4,096, 400k steps), by our mixer id.</summary>
    public static IReadOnlyDictionary<string, string> MambaTable1 { get; } = new Dictionary<string, string>
    {
        ["mamba"] = "99.8 %", ["hyena"] = "28.4 % (Hyena layer in a Mamba block), 30.1 % (H3 block)",
    };

    /// <summary>Reads a sweep's JSON lines (blank lines skipped).</summary>
    /// <exception cref="InvalidDataException">A line is not a recall result; the message names the file and line.</exception>
    public static IReadOnlyList<RecallResult> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var cells = new List<RecallResult>();
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            RecallResult? cell;
            try
            {
                cell = JsonSerializer.Deserialize<RecallResult>(line, Json);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{number}: not a recall result ({e.Message.Split('.')[0]})", e);
            }

            if (cell is null || string.IsNullOrEmpty(cell.Task) || string.IsNullOrEmpty(cell.Mixer) || cell.Width <= 0 || cell.Length <= 0 ||
                !double.IsFinite(cell.Accuracy) || cell.Accuracy is < 0 or > 1)
                throw new InvalidDataException($"{path}:{number}: not a recall result (task, mixer, width, length and an accuracy in [0, 1] are needed)");
            cells.Add(cell);
        }

        return cells;
    }

    /// <summary>
    /// Writes one plot per MQAR sequence length into <paramref name="folder"/> (<c>mqar-n{N}.png</c>): accuracy against
    /// width, a line per mixer, and Zoology's points for the mixers it has. Lengths with a single width are skipped.
    /// </summary>
    /// <returns>The file names written, with their N.</returns>
    public static IReadOnlyList<(int N, string File)> Plot(IReadOnlyList<RecallResult> cells, string folder)
    {
        ArgumentNullException.ThrowIfNull(cells);
        Directory.CreateDirectory(folder);
        var written = new List<(int, string)>();
        var mqar = Best(cells.Where(c => c.Task == "mqar"));
        foreach (var byN in mqar.GroupBy(c => c.Length).OrderBy(g => g.Key))
        {
            var widths = byN.Select(c => c.Width).Distinct().Order().ToList();
            if (widths.Count < 2) continue;
            var series = new List<Series>();
            foreach (var byMixer in byN.GroupBy(c => c.Mixer).OrderBy(g => Order(g.Key)))
            {
                var points = byMixer.OrderBy(c => c.Width).ToList();
                series.Add(new Series(byMixer.Key, [.. points.Select(c => (double)c.Width)], [.. points.Select(c => c.Accuracy)]));
            }

            foreach (var mixer in byN.Select(c => c.Mixer).Distinct().OrderBy(Order))
            {
                var paper = widths.Where(w => Zoology.ContainsKey((mixer, byN.Key, w))).ToList();
                if (paper.Count > 0)
                    series.Add(new Series($"{mixer} (Zoology)", [.. paper.Select(w => (double)w)], [.. paper.Select(w => Zoology[(mixer, byN.Key, w)])]));
            }

            string file = $"mqar-n{byN.Key}.png";
            Plots.Lines(Path.Combine(folder, file), $"MQAR, N = {byN.Key} (K = {byN.Key / 16})", "model width", "accuracy", [.. series]);
            written.Add((byN.Key, file));
        }

        return written;
    }

    /// <summary>A Markdown table of every cell (the best learning rate's, <see cref="Best"/>), MQAR by mixer, N and width, then selective copying, the papers' figures beside.</summary>
    public static string Markdown(IReadOnlyList<RecallResult> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var text = new StringBuilder();
        text.AppendLine("| task | mixer | block | N | width | accuracy | chance | best rate (of) | steps × examples | train s | paper |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        var tried = Rates(cells);
        foreach (var c in Best(cells).OrderBy(c => c.Task != "mqar").ThenBy(c => c.Task).ThenBy(c => Order(c.Mixer)).ThenBy(c => c.Length).ThenBy(c => c.Width))
        {
            string paper = c.Task == "mqar"
                ? Zoology.TryGetValue((c.Mixer, c.Length, c.Width), out var z) ? z.ToString("0.00", CultureInfo.InvariantCulture) : "–"
                : c.Task == "selective-copy" ? MambaTable1.GetValueOrDefault(c.Mixer, "–") : "–";
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {c.Task} | {c.Mixer}{(c.Causal ? "" : " (bidirectional)")} | {Block(c)} | {c.Length} | {c.Width} | {c.Accuracy:0.000} | {c.Chance:0.0000} | " +
                $"{(double.IsNaN(c.LearningRate) ? "–" : c.LearningRate.ToString("0.0e0", CultureInfo.InvariantCulture))} ({tried[(c.Task, c.Mixer, c.Length, c.Width)]}) | " +
                $"{c.Steps} × {c.Examples / Math.Max(1, c.Steps)} | {c.TrainSeconds:0} | {paper} |"));
        }

        return text.ToString();
    }

    /// <summary>Writes the plots and <c>recall.md</c> (the table) into <paramref name="folder"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<RecallResult> cells, string folder)
    {
        var files = Plot(cells, folder).Select(p => p.File).ToList();
        AtomicFile.WriteAllText(Path.Combine(folder, "recall.md"), Markdown(cells));
        files.Add("recall.md");
        return files;
    }

    /// <summary>
    /// One cell for each (task, mixer, N, width): the most accurate of its learning rates, as Zoology reports the best
    /// of its sweep; a rerun at the same rate replaces the earlier run.
    /// </summary>
    public static IEnumerable<RecallResult> Best(IEnumerable<RecallResult> cells) =>
        cells.GroupBy(c => (c.Task, c.Mixer, c.Length, c.Width))
             .Select(g => g.GroupBy(c => c.LearningRate).Select(r => r.Last()).MaxBy(c => c.Accuracy)!);

    /// <summary>How many learning rates each (task, mixer, N, width) was run at.</summary>
    private static Dictionary<(string, string, int, int), int> Rates(IEnumerable<RecallResult> cells) =>
        cells.GroupBy(c => (c.Task, c.Mixer, c.Length, c.Width)).ToDictionary(g => g.Key, g => g.Select(c => c.LearningRate).Distinct().Count());

    /// <summary>The block a cell ran in: "conv K" for a short convolution before the mixer, "no MLP", "no positions" ("–" for results written before these were recorded).</summary>
    private static string Block(RecallResult c)
    {
        if (double.IsNaN(c.LearningRate)) return "–";                   // written before the block was recorded
        var parts = new List<string>();
        if (c.ShortConv > 0) parts.Add($"conv {c.ShortConv}");
        if (!c.Mlp) parts.Add("no MLP");
        if (!c.Positions) parts.Add("no positions");
        return parts.Count == 0 ? "MLP, positions" : string.Join(", ", parts);
    }

    /// <summary>The chapter's order of mixers: attention and its variants, then the fixed-state ones.</summary>
    private static int Order(string mixer) => Array.IndexOf(MixerOrder, mixer) is int i && i >= 0 ? i : MixerOrder.Length;

    private static readonly string[] MixerOrder = ["full", "flash", "longformer", "bigbird", "reformer", "linformer", "hyena", "mamba"];
}
