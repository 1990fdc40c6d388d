// What each mixer can recall: Zoology's multi-query associative recall and Mamba's selective
// copying, with the chapter's mixers in the same 2-layer model (RecallTraining.cs), against the papers' numbers.
using System.Globalization;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Neural.LongContext;

namespace Lineage.Experiments.LongContext;

/// <summary>How the recall experiment trains: each mixer in Zoology's block for it (<see cref="RecallBlock.Zoology"/>), at its own learning rate.</summary>
/// <param name="MqarCells">The MQAR cells: a mixer at a sequence length N (K = N/16 pairs, as Zoology's figure 2).</param>
/// <param name="Width">Model width C.</param>
/// <param name="CopyMixers">Mixers run on selective copying.</param>
/// <param name="Vocab">MQAR vocabulary.</param>
/// <param name="MqarSteps">MQAR training steps.</param>
/// <param name="CopyLength">Selective-copying sequence length N.</param>
/// <param name="CopyTokens">Selective-copying data tokens M (vocabulary 16).</param>
/// <param name="CopySteps">Selective-copying training steps.</param>
/// <param name="Batch">Examples per step.</param>
/// <param name="MqarRates">AdamW's peak rate per mixer on MQAR: the best of Zoology's four in the sweep (bench/recall/sweep.sh), as Zoology reports the best of its.</param>
/// <param name="CopyRates">The same for selective copying.</param>
/// <param name="EvalExamples">Held-out examples per cell.</param>
public sealed record RecallSettings((string Mixer, int N)[] MqarCells, int Width, string[] CopyMixers, int Vocab, int MqarSteps,
    int CopyLength, int CopyTokens, int CopySteps, int Batch, IReadOnlyDictionary<string, double> MqarRates, IReadOnlyDictionary<string, double> CopyRates,
    int EvalExamples)
{
    /// <summary>
    /// The tour's run: MQAR at N = 32 and 64 for attention and Mamba, at 64 for Hyena. Selective copying is in the sweep and
    /// the docs, not the tour: no claim about it held across seeds (4 tokens in 64, 1,200 steps: Mamba 0.999 and Hyena 0.893
    /// at seed 1337, 0.656 and 0.940 at seed 7), and Mamba's cell alone takes 3–4 minutes.
    /// </summary>
    /// <remarks>Each rate is the mixer's best of Zoology's four (1e-3, 3.2e-3, 1e-2, 3.2e-2) in the sweep of 2026-12-07 at these
    /// settings (docs/long-context.md, "Each mixer in Zoology's block"). MQAR, width 64, 600 steps, accuracy at the four rates:
    /// Mamba N = 32 0.439 / 0.510 / 0.912 / 0.941, N = 64 0.048 / 0.188 / 0.050 / 0.194; Hyena N = 64 0.019 / 0.035 / 0.001 / 0.001;
    /// full attention at 3.2e-3: 0.992 (N = 32), 0.999 (N = 64).</remarks>
    public static RecallSettings Default { get; } = new([("full", 32), ("full", 64), ("mamba", 32), ("mamba", 64), ("hyena", 64)], Width: 64,
        CopyMixers: [], Vocab: 512, MqarSteps: 600, CopyLength: 64, CopyTokens: 4, CopySteps: 1200, Batch: 32,
        MqarRates: new Dictionary<string, double> { ["full"] = 3.2e-3, ["hyena"] = 3.2e-3, ["mamba"] = 3.2e-2 },
        CopyRates: new Dictionary<string, double> { ["hyena"] = 3.2e-3, ["mamba"] = 1e-3 }, EvalExamples: 256);

    /// <summary>Smoke test: every code path, a few steps.</summary>
    public static RecallSettings Quick { get; } = Default with
    {
        MqarCells = [("full", 16), ("full", 32), ("mamba", 16), ("mamba", 32), ("hyena", 32)], Width = 16, Vocab = 256, MqarSteps = 4, CopyMixers = ["mamba", "hyena"],
        CopyLength = 16, CopySteps = 4, Batch = 4, EvalExamples = 16,
    };

    /// <summary>The rate for <paramref name="mixer"/> on <paramref name="task"/> ("mqar" or "selective-copy"; 3e-3 where none is set).</summary>
    public double LearningRate(string task, string mixer) => (task == "mqar" ? MqarRates : CopyRates).GetValueOrDefault(mixer, 3e-3);
}

/// <summary>MQAR accuracy against sequence length per mixer, and selective copying, in a 2-layer model; Zoology's and Mamba's numbers beside.</summary>
[ThreadCap(1, ThreadCapAttribute.SmallMatrices)]
[SharesMachine(SharesMachineAttribute.LearnsOnly)]
public sealed class RecallExperiment : IExperiment
{
    /// <summary>Zoology, the MQAR paper.</summary>
    public static readonly Paper Arora2023 = new("Arora et al.", 2023, "Zoology: Measuring and Improving Recall in Efficient Language Models", "https://arxiv.org/abs/2312.04927");

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "long-context.recall",
        Family: Family.LongContext,
        Title: "What each mixer can recall: multi-query associative recall",
        Summary: "2-layer models trained on Zoology's MQAR (keys, values, then queries of the keys) at two lengths and on the Mamba paper's selective " +
                 "copying, with full attention, Hyena and Mamba, each in the block Zoology trains it in; held-out accuracy beside the papers' figures.",
        Paper: Arora2023,
        Budget: TimeSpan.FromMinutes(5),    // the cells' training, measured alone (2026-12-07): full 16 + 17 s, Mamba 42 + 97–130 s, Hyena 25–43 s
        QuickBudget: TimeSpan.FromSeconds(5));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var s = context.Quick ? RecallSettings.Quick : RecallSettings.Default;
        var result = context.Result();
        result.Model = ModelOrigin.Trained;
        var mqar = new Dictionary<(string Mixer, int N), RecallResult>();
        var rows = new List<IReadOnlyList<string>>();
        int cells = s.MqarCells.Length + s.CopyMixers.Length, w = s.Width;
        using var bar = context.Progress.Start("recall: MQAR and selective copying", cells);
        int done = 0;
        foreach (var (mixer, n) in s.MqarCells)
        {
            var task = new Mqar(new MqarConfig(n, Math.Max(1, n / 16), s.Vocab));
            var r = RecallTraining.Train(task, Options(s, "mqar", mixer, s.MqarSteps, context.Seed), null, context.Cancellation);
            mqar[(mixer, n)] = r;
            result.Metric($"mqar_accuracy_{mixer}_n{n}_c{w}", r.Accuracy).Metric($"mqar_train_seconds_{mixer}_n{n}_c{w}", r.TrainSeconds);
            rows.Add(Row(r, "MQAR", task.Config.KvPairs, RecallGrid.Zoology.TryGetValue((mixer, n, w), out var z) ? F(z, "0.00") : "–"));
            bar.Report(++done, $"MQAR {mixer} N={n} C={w}: {F(r.Accuracy)}");
        }

        var copy = new Dictionary<string, RecallResult>();
        var copyTask = new SelectiveCopy(new SelectiveCopyConfig(s.CopyLength, s.CopyTokens, 16));
        foreach (var mixer in s.CopyMixers)
        {
            var r = RecallTraining.Train(copyTask, Options(s, "selective-copy", mixer, s.CopySteps, context.Seed), null, context.Cancellation);
            copy[mixer] = r;
            result.Metric($"copy_accuracy_{mixer}", r.Accuracy).Metric($"copy_train_seconds_{mixer}", r.TrainSeconds);
            rows.Add(Row(r, "selective copy", s.CopyTokens, RecallGrid.MambaTable1.GetValueOrDefault(mixer, "–")));
            bar.Report(++done, $"selective copying {mixer}: {F(r.Accuracy)}");
        }

        result.Table($"Held-out accuracy ({s.EvalExamples} examples per cell, scored positions only) after {s.MqarSteps} steps of {s.Batch} fresh examples " +
                     $"(MQAR, vocabulary {s.Vocab}) or {s.CopySteps} (selective copying, vocabulary 16), each mixer in Zoology's block for it at the best of " +
                     "Zoology's four learning rates in the sweep; the papers' figures beside: Zoology figure 2 at width 64 (100k examples × 64 epochs, best of 4 rates) " +
                     "and Mamba table 1 (N = 4,096, 16 tokens, 400k steps)",
            ["mixer", "block", "task", "N", "pairs / tokens", "width", "rate", "accuracy", "chance", "train s", "paper"], rows);

        var lengths = s.MqarCells.Select(c => c.N).Distinct().Order().ToArray();
        var swept = s.MqarCells.GroupBy(c => c.Mixer).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        Plots.Lines(context.OutputFile("mqar.png"), $"MQAR at width {w} after {s.MqarSteps} steps", "sequence length N (K = N/16 pairs)", "accuracy",
            [.. swept.Select(m => new Series(m, [.. lengths.Where(n => mqar.ContainsKey((m, n))).Select(n => (double)n)],
                                                [.. lengths.Where(n => mqar.ContainsKey((m, n))).Select(n => mqar[(m, n)].Accuracy)]))]);
        result.Plot(context.RelativeOutput("mqar.png"), $"MQAR accuracy against sequence length at width {w}, the same budget at every length.");
        var labels = mqar.Select(kv => $"MQAR {kv.Key.Mixer} N={kv.Key.N}").Concat(copy.Keys.Select(m => $"copy {m}")).ToList();
        Plots.Bars(context.OutputFile("recall.png"), "Held-out accuracy on the recall tasks", "accuracy", labels, [.. mqar.Values.Select(r => r.Accuracy), .. copy.Values.Select(r => r.Accuracy)]);
        result.Plot(context.RelativeOutput("recall.png"), $"Held-out accuracy of each cell (scored positions only); chance is 1/{s.Vocab / 2} for MQAR, 1/14 for selective copying.");

        if (context.Quick)
        {
            result.ClaimAtLeast("every cell ran and was scored (quick mode: cells)", mqar.Count + copy.Count, cells);
            return result;
        }

        int shortN = lengths[0], longN = lengths[^1];
        var full = mqar[("full", longN)];
        var hyena = mqar[("hyena", longN)];
        double fullDrop = mqar[("full", shortN)].Accuracy - full.Accuracy;
        double mambaDrop = mqar[("mamba", shortN)].Accuracy - mqar[("mamba", longN)].Accuracy;
        // Thresholds: 0.95 is issue 30's bar (Zoology: ≈ 0.98); 0.45 is Zoology's own gap at N = 64, width 64 (0.98 − 0.51,
        // figure 2); the drops: attention within 0.05 (4σ of a cell's accuracy over its 1,024 scored positions is 0.03 at
        // 0.9), Mamba at least 0.3. Measured with these settings in the sweep (2026-12-07): see RecallSettings.Default.
        result.ClaimAtLeast($"full attention learns MQAR at N = {longN}, width {w}, K = {longN / 16} (accuracy; Zoology figure 2: ≈ 0.98)", full.Accuracy, 0.95)
              .ClaimAtLeast($"full attention recalls far more than Hyena on MQAR at N = {longN}, width {w} (accuracy difference; Zoology: 0.98 − 0.51)",
                  full.Accuracy - hyena.Accuracy, 0.45)
              .ClaimAtMost($"at a fixed budget ({s.MqarSteps} steps) attention keeps its MQAR accuracy from N = {shortN} to {longN} (accuracy lost)", fullDrop, 0.05)
              .ClaimAtLeast($"at the same budget Mamba, a fixed-size state, loses accuracy from N = {shortN} to {longN} (accuracy lost)", mambaDrop, 0.3);
        if (copy.TryGetValue("mamba", out var mamba) && copy.TryGetValue("hyena", out var hyenaCopy))
            result.Note($"Selective copying of {s.CopyTokens} tokens in {s.CopyLength} after {s.CopySteps} steps: Mamba {F(mamba.Accuracy)}, Hyena {F(hyenaCopy.Accuracy)} (not a claim).");
        result.Note("Selective copying is measured in the sweep, not claimed: with 4 tokens in 64 and 1,200 steps Mamba copied 0.999 and Hyena 0.893 at seed 1337, " +
                    "but 0.656 and 0.940 at seed 7; Mamba's loss stays at ln 14 until a sudden drop whose step varies with the seed. At the paper's 16 tokens (in 64) " +
                    "neither left chance in 400 steps at any of Zoology's four rates (Mamba table 1: 99.8 % against 28.4 % at N = 4,096 after 400k steps).");
        result.Note("Blocks (Zoology's, RecallBlock.Zoology): no positional encoding for any mixer; attention after a causal convolution of 3 (Based's BaseConv) with an MLP; " +
                    "Hyena with an MLP and its own short filter; Mamba alone, as its paper's blocks. In the chapter's former block (a convolution, an MLP and sinusoidal " +
                    "positions for every mixer) Mamba learned nothing: 0.001–0.002 on MQAR at N = 64 and chance on selective copying.");
        result.Note($"Scale: Zoology trains on 100,000 examples for 64 epochs and takes the best of 4 learning rates; here each cell sees {s.MqarSteps * s.Batch:N0} " +
                    "fresh examples (AdamW, 10 % warm-up, cosine) on one CPU thread. With 4× the steps Mamba recalls at N = 64 too (0.967 after 2,400 steps): the drop " +
                    "above is a budget's, not yet the state-size limit Zoology measures at larger N and K.");
        result.Note("The full grid (N ∈ {64, 128, 256} × width ∈ {32, 64, 128} × every mixer × 4 learning rates, and selective copying) is bench/recall/sweep.sh; its numbers are in docs/long-context.md.");
        return result;
    }

    private static RecallTrainingOptions Options(RecallSettings s, string task, string mixer, int steps, int seed) =>
        new RecallTrainingOptions(mixer, s.Width, steps, s.LearningRate(task, mixer), s.Batch, Layers: 2, Heads: 1, EvalExamples: s.EvalExamples, Seed: seed)
            .With(RecallBlock.Zoology(mixer));

    private static IReadOnlyList<string> Row(RecallResult r, string task, int items, string paper) =>
        [r.Mixer, Block(r), task, r.Length.ToString(CultureInfo.InvariantCulture), items.ToString(CultureInfo.InvariantCulture), r.Width.ToString(CultureInfo.InvariantCulture),
         r.LearningRate.ToString("0.0e0", CultureInfo.InvariantCulture), F(r.Accuracy), F(r.Chance, "0.0000"), r.TrainSeconds.ToString("0.0", CultureInfo.InvariantCulture), paper];

    private static string Block(RecallResult r) =>
        string.Join(", ", new[] { r.ShortConv > 0 ? $"conv {r.ShortConv}" : null, r.Mlp ? "MLP" : "no MLP", r.Positions ? "positions" : null }.Where(x => x is not null));

    private static string F(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);
}
