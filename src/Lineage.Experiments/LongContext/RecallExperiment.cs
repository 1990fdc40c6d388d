// What each mixer can recall: Zoology's multi-query associative recall and Mamba's selective
// copying, with the chapter's mixers in the same 2-layer model (RecallTraining.cs), against the papers' numbers.
using System.Globalization;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Neural.LongContext;

namespace Lineage.Experiments.LongContext;

/// <summary>How the recall experiment trains (the same for every mixer).</summary>
/// <param name="MqarLengths">MQAR sequence lengths N (K = N/16 pairs, as Zoology's figure 2).</param>
/// <param name="Widths">Model widths C.</param>
/// <param name="MqarMixers">Mixers run on MQAR.</param>
/// <param name="CopyMixers">Mixers run on selective copying.</param>
/// <param name="Vocab">MQAR vocabulary.</param>
/// <param name="MqarSteps">MQAR training steps.</param>
/// <param name="CopyLength">Selective-copying sequence length (16 tokens to copy, vocabulary 16).</param>
/// <param name="CopySteps">Selective-copying training steps.</param>
/// <param name="Batch">Examples per step.</param>
/// <param name="LearningRate">AdamW's peak rate.</param>
/// <param name="EvalExamples">Held-out examples per cell.</param>
public sealed record RecallSettings(int[] MqarLengths, int[] Widths, string[] MqarMixers, string[] CopyMixers, int Vocab, int MqarSteps,
    int CopyLength, int CopySteps, int Batch, double LearningRate, int EvalExamples)
{
    /// <summary>The tour's run.</summary>
    /// <remarks>The cells measured with <c>lineage longctx recall</c> on 2026-12-07 (seed 1, one thread), which the claims are calibrated on:
    /// MQAR N = 64, width 64, vocabulary 512, 600 steps: full 0.228, Hyena 0.007; selective copying N = 64, 400 steps: Mamba 0.069, Hyena 0.116.</remarks>
    public static RecallSettings Default { get; } = new([64], [64], ["full", "hyena"], ["mamba", "hyena"], Vocab: 512, MqarSteps: 600,
        CopyLength: 64, CopySteps: 400, Batch: 32, LearningRate: 3e-3, EvalExamples: 256);

    /// <summary>Smoke test: every code path, a few steps.</summary>
    public static RecallSettings Quick { get; } = new([32], [16], ["full", "hyena"], ["mamba", "hyena"], Vocab: 256, MqarSteps: 4,
        CopyLength: 32, CopySteps: 4, Batch: 4, LearningRate: 3e-3, EvalExamples: 16);
}

/// <summary>MQAR accuracy against sequence length per mixer, and selective copying, in a 2-layer model; Zoology's and Mamba's numbers beside.</summary>
[ThreadCap(1, ThreadCapAttribute.SmallMatrices)]
public sealed class RecallExperiment : IExperiment
{
    /// <summary>Zoology, the MQAR paper.</summary>
    public static readonly Paper Arora2023 = new("Arora et al.", 2023, "Zoology: Measuring and Improving Recall in Efficient Language Models", "https://arxiv.org/abs/2312.04927");

    /// <summary>Zoology's figure 2, read off the repository's plot (±0.03): accuracy at width 64 by N, for the mixers both runs have.</summary>
    private static readonly Dictionary<(string Mixer, int N), string> ZoologyWidth64 = new()
    {
        [("full", 64)] = "≈0.98", [("full", 128)] = "≈0.98", [("full", 256)] = "≈0.98",
        [("hyena", 64)] = "0.51", [("hyena", 128)] = "0.20", [("hyena", 256)] = "0.06",
    };

    /// <summary>The Mamba paper's table 1 (length 4,096), by our mixer id.</summary>
    private static readonly Dictionary<string, string> MambaTable1 = new() { ["mamba"] = "99.8 %", ["hyena"] = "28.4 % (Hyena layer in a Mamba block), 30.1 % (H3 block)" };

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "long-context.recall",
        Family: Family.LongContext,
        Title: "What each mixer can recall: multi-query associative recall and selective copying",
        Summary: "The same 2-layer model trained on Zoology's MQAR (keys, values, then queries of the keys) with full attention and Hyena, and on the " +
                 "Mamba paper's selective copying with Mamba and Hyena; held-out accuracy beside the papers' figures.",
        Paper: Arora2023,
        Budget: TimeSpan.FromSeconds(300),        // not yet timed in a tour; the cells' CPU time on 2026-12-07 (under load 15–30): full ≈ 26 s, Mamba copying ≈ 250 s, Hyena ≈ 1–2 min each
        QuickBudget: TimeSpan.FromSeconds(5));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var s = context.Quick ? RecallSettings.Quick : RecallSettings.Default;
        var result = context.Result();
        result.Model = ModelOrigin.Trained;
        var mqar = new Dictionary<(string Mixer, int N, int Width), RecallResult>();
        var rows = new List<IReadOnlyList<string>>();
        int cells = s.MqarMixers.Length * s.MqarLengths.Length * s.Widths.Length + s.CopyMixers.Length;
        using var bar = context.Progress.Start("recall: MQAR and selective copying", cells);
        int done = 0;
        foreach (var mixer in s.MqarMixers)
            foreach (int n in s.MqarLengths)
                foreach (int width in s.Widths)
                {
                    var task = new Mqar(new MqarConfig(n, n / 16 > 0 ? n / 16 : 1, s.Vocab));
                    var r = RecallTraining.Train(task, Options(s, mixer, width, s.MqarSteps, context.Seed), null, context.Cancellation);
                    mqar[(mixer, n, width)] = r;
                    result.Metric($"mqar_accuracy_{mixer}_n{n}_c{width}", r.Accuracy).Metric($"mqar_train_seconds_{mixer}_n{n}_c{width}", r.TrainSeconds);
                    rows.Add([mixer, "MQAR", n.ToString(CultureInfo.InvariantCulture), task.Config.KvPairs.ToString(CultureInfo.InvariantCulture),
                        width.ToString(CultureInfo.InvariantCulture), F(r.Accuracy), F(r.Chance, "0.0000"), r.TrainSeconds.ToString("0.0", CultureInfo.InvariantCulture),
                        width == 64 ? ZoologyWidth64.GetValueOrDefault((mixer, n), "–") : "–"]);
                    bar.Report(++done, $"MQAR {mixer} N={n} C={width}: {F(r.Accuracy)}");
                }

        var copy = new Dictionary<string, RecallResult>();
        var copyTask = new SelectiveCopy(new SelectiveCopyConfig(s.CopyLength, 16, 16));
        foreach (var mixer in s.CopyMixers)
        {
            var r = RecallTraining.Train(copyTask, Options(s, mixer, 64, s.CopySteps, context.Seed), null, context.Cancellation);
            copy[mixer] = r;
            result.Metric($"copy_accuracy_{mixer}", r.Accuracy).Metric($"copy_train_seconds_{mixer}", r.TrainSeconds);
            rows.Add([mixer, "selective copy", s.CopyLength.ToString(CultureInfo.InvariantCulture), "16", "64", F(r.Accuracy), F(r.Chance, "0.0000"),
                r.TrainSeconds.ToString("0.0", CultureInfo.InvariantCulture), MambaTable1.GetValueOrDefault(mixer, "–")]);
            bar.Report(++done, $"selective copying {mixer}: {F(r.Accuracy)}");
        }

        result.Table($"Held-out accuracy ({s.EvalExamples} examples per cell, scored positions only) after {s.MqarSteps} steps of {s.Batch} fresh examples " +
                     $"(MQAR, vocabulary {s.Vocab}) or {s.CopySteps} (selective copying, vocabulary 16); the papers' figure beside: Zoology figure 2 at width 64 " +
                     "(100k examples × 64 epochs, best of 4 learning rates) and Mamba table 1 (length 4,096, 400k steps)",
            ["mixer", "task", "N", "pairs / tokens", "width", "accuracy", "chance", "train s", "paper"], rows);

        int w = s.Widths.Contains(64) ? 64 : s.Widths[0];
        if (s.Widths.Length > 1)
        {
            foreach (int n in s.MqarLengths)
            {
                string file = $"mqar-n{n}.png";
                Plots.Lines(context.OutputFile(file), $"MQAR, N = {n}", "model width", "accuracy",
                    [.. s.MqarMixers.Select(m => new Series(m, [.. s.Widths.Select(x => (double)x)], [.. s.Widths.Select(x => mqar[(m, n, x)].Accuracy)]))]);
                result.Plot(context.RelativeOutput(file), $"MQAR accuracy against width at N = {n} (Zoology figure 2's layout).");
            }
        }
        else if (s.MqarLengths.Length > 1)
        {
            Plots.Lines(context.OutputFile("mqar.png"), $"MQAR at width {w}", "sequence length N (K = N/16 pairs)", "accuracy",
                [.. s.MqarMixers.Select(m => new Series(m, [.. s.MqarLengths.Select(n => (double)n)], [.. s.MqarLengths.Select(n => mqar[(m, n, w)].Accuracy)]))]);
            result.Plot(context.RelativeOutput("mqar.png"), $"MQAR accuracy against sequence length at width {w}.");
        }

        var labels = mqar.Select(kv => $"MQAR {kv.Key.Mixer} N={kv.Key.N}").Concat(copy.Keys.Select(m => $"copy {m}")).ToList();
        Plots.Bars(context.OutputFile("recall.png"), "Held-out accuracy on the recall tasks", "accuracy", labels, [.. mqar.Values.Select(r => r.Accuracy), .. copy.Values.Select(r => r.Accuracy)]);
        result.Plot(context.RelativeOutput("recall.png"), "Held-out accuracy of each cell (scored positions only); chance is 1/256 for MQAR, 1/14 for selective copying.");

        int shortN = s.MqarLengths.Min();
        if (context.Quick)
        {
            result.ClaimAtLeast("every cell ran and was scored (quick mode: cells)", mqar.Count + copy.Count, cells);
            return result;
        }

        var full = mqar[("full", shortN, w)];
        var hyena = mqar[("hyena", shortN, w)];
        int pairs = shortN / 16;
        // Calibrated on the measured cells (see RecallSettings.Default): 0.228 against 0.007.
        result.ClaimAtLeast($"full attention recalls far more than Hyena on MQAR at N = {shortN}, width {w} (accuracy difference; measured 0.228 − 0.007)",
                  full.Accuracy - hyena.Accuracy, 0.10);
        // Findings, not claims: what the papers report and this budget does not reach (docs/long-context.md, "What each mixer can recall").
        result.Note($"Finding: full attention reaches {F(full.Accuracy)} on MQAR at N = {shortN}, width {w}, not Zoology's ≈ 0.98: about 1/K = {F(1.0 / pairs)}, " +
                    "the accuracy of answering with one of the example's own values without matching its key. The second step of the circuit (a previous-token " +
                    "head feeding a key-matching head) had not formed within 600, 1,200 or 3,000 steps (0.23, 0.21, 0.26) at learning rates 3e-3 and 1e-2 with 1 or 4 heads; " +
                    "Zoology trains on 6.4 M examples (100k × 64 epochs), 330 times these 19,200.");
        // Measured 2026-12-07: Mamba 0.069 (its loss ln 14: nothing learned yet), Hyena 0.116, chance 0.071; so neither "Mamba beats Hyena" nor "Mamba ≥ 90 %" is claimed.
        result.Note($"Finding: on selective copying at N = {s.CopyLength} after {s.CopySteps} steps Mamba scores {F(copy["mamba"].Accuracy)} and Hyena {F(copy["hyena"].Accuracy)} " +
                    $"(chance {F(copy["mamba"].Chance)}); the paper's 99.8 % against 28.4 % comes after 400k steps at N = 4,096, 1,000 times these steps.");
        result.Note($"Scale: Zoology trains on 100,000 examples for 64 epochs and takes the best of 4 learning rates; here each cell sees {s.MqarSteps * s.Batch:N0} " +
                    $"fresh examples at one learning rate ({s.LearningRate.ToString("0.###", CultureInfo.InvariantCulture)}, AdamW, 10 % warm-up, cosine), on one CPU thread. " +
                    $"Selective copying uses N = {s.CopyLength} instead of the paper's 4,096 (16 tokens among {s.CopyLength - 32} noise positions, then 16 markers). " +
                    "The model is the chapter's block (pre-norm mixer and MLP, sinusoidal positions) for every mixer; Zoology's attention runs have no MLP and learned positions.");
        result.Note("The full grid (N ∈ {64, 128, 256} × width ∈ {32, 64, 128} × every mixer, and selective copying) is bench/recall/sweep.sh; the cells measured so far are in docs/long-context.md.");
        return result;
    }

    private static RecallTrainingOptions Options(RecallSettings s, string mixer, int width, int steps, int seed) =>
        new(mixer, width, steps, s.LearningRate, s.Batch, Layers: 2, Heads: 1, EvalExamples: s.EvalExamples, Seed: seed);

    private static string F(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);
}
