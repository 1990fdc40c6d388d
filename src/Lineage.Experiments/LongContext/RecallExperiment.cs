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
/// <param name="ShortConv">Kernel of the causal depthwise convolution before every mixer (Based's BaseConv idea; 0: none).</param>
public sealed record RecallSettings(int[] MqarLengths, int[] Widths, string[] MqarMixers, string[] CopyMixers, int Vocab, int MqarSteps,
    int CopyLength, int CopySteps, int Batch, double LearningRate, int EvalExamples, int ShortConv)
{
    /// <summary>The tour's run.</summary>
    /// <remarks>The cells measured with <c>lineage longctx recall --short-conv 3</c> on 2026-12-07 (seed 1337, the tour's and the CLI's default, one thread, load ≈ 10–12), which
    /// the claims are set from: MQAR N = 64, width 64, vocabulary 512, 600 steps: full 0.980 (39 s), Hyena 0.016 (67 s).</remarks>
    public static RecallSettings Default { get; } = new([64], [64], ["full", "hyena"], [], Vocab: 512, MqarSteps: 600,
        CopyLength: 64, CopySteps: 400, Batch: 32, LearningRate: 3e-3, EvalExamples: 256, ShortConv: 3);

    /// <summary>Smoke test: every code path, a few steps.</summary>
    public static RecallSettings Quick { get; } = new([32], [16], ["full", "hyena"], ["mamba", "hyena"], Vocab: 256, MqarSteps: 4,
        CopyLength: 32, CopySteps: 4, Batch: 4, LearningRate: 3e-3, EvalExamples: 16, ShortConv: 3);
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
        Summary: "The same 2-layer model (a short convolution before each mixer) trained on Zoology's MQAR (keys, values, then queries of the keys) with " +
                 "full attention and Hyena (and, when the settings ask, on the Mamba paper's selective copying); held-out accuracy beside the papers' figures.",
        Paper: Arora2023,
        Budget: TimeSpan.FromSeconds(90),   // measured 2026-12-07: 47 s in a tour at load ≈ 4 (training 18.5 + 27.3 s)
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
                        RecallGrid.Zoology.TryGetValue((mixer, n, width), out var z) ? F(z, "0.00") : "–"]);
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
                r.TrainSeconds.ToString("0.0", CultureInfo.InvariantCulture), RecallGrid.MambaTable1.GetValueOrDefault(mixer, "–")]);
            bar.Report(++done, $"selective copying {mixer}: {F(r.Accuracy)}");
        }

        result.Table($"Held-out accuracy ({s.EvalExamples} examples per cell, scored positions only) after {s.MqarSteps} steps of {s.Batch} fresh examples " +
                     $"(MQAR, vocabulary {s.Vocab}) or {s.CopySteps} (selective copying, vocabulary 16); the papers' figure beside: Zoology figure 2 at width 64 " +
                     "(100k examples × 64 epochs, best of 4 learning rates) and Mamba table 1 (length 4,096, 400k steps)",
            ["mixer", "task", "N", "pairs / tokens", "width", "accuracy", "chance", "train s", "paper"], rows);

        int w = s.Widths.Contains(64) ? 64 : s.Widths[0];
        if (s.Widths.Length > 1)
        {
            foreach (var (n, file) in RecallGrid.Plot([.. mqar.Values], context.OutputDirectory))
                result.Plot(context.RelativeOutput(file), $"MQAR accuracy against width at N = {n} (Zoology figure 2's layout, its points beside).");
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
        // Set from the measured cells (RecallSettings.Default): full 0.980, Hyena 0.016. 0.95 is issue 30's bar (Zoology: ≈ 0.98);
        // 0.45 is Zoology's own gap at N = 64, width 64 (0.98 − 0.51, figure 2).
        result.ClaimAtLeast($"full attention learns MQAR at N = {shortN}, width {w}, K = {shortN / 16} (accuracy; Zoology figure 2: ≈ 0.98; measured 0.980)",
                  full.Accuracy, 0.95)
              .ClaimAtLeast($"full attention recalls far more than Hyena on MQAR at N = {shortN}, width {w} (accuracy difference; Zoology: 0.98 − 0.51; measured 0.980 − 0.016)",
                  full.Accuracy - hyena.Accuracy, 0.45);
        if (copy.TryGetValue("mamba", out var mamba) && copy.TryGetValue("hyena", out var hyenaCopy))
            result.Note($"Selective copying at N = {s.CopyLength} after {s.CopySteps} steps: Mamba {F(mamba.Accuracy)}, Hyena {F(hyenaCopy.Accuracy)} " +
                        $"(chance {F(mamba.Chance)}; Mamba table 1: 99.8 % against 28.4 % after 400k steps at N = 4,096); not a claim at this budget.");
        // Findings, not claims: what the papers report and this budget does not reach (docs/long-context.md, "What each mixer can recall").
        result.Note($"Setting: a causal depthwise convolution of kernel {s.ShortConv} before every mixer (Based's BaseConv idea; Zoology's figure-2 attention " +
                    "has none). It hands each value's position the key before it, so one attention layer can match a query; without it the same model " +
                    "stalls near 1/K (0.23 after 600 steps, 0.26 after 3,000), in C# and in a PyTorch twin alike (bench/recall/twin.py).");
        result.Note("Finding: at N = 128 (K = 8) the same recipe gives full attention 0.218 after 600 steps and 0.9995 after 1,200 (Hyena 0.004 after 600, " +
                    "from a floor of 0.016 at N = 64; Mamba 0.001–0.002 at widths 32–128), and on selective copying Mamba stays at chance after 3,000 steps " +
                    "(0.068, loss ln 14) where full attention reaches 0.444 in 600 (docs/long-context.md); so neither 'fixed-state mixers lose accuracy with N " +
                    "while attention does not' (they have nothing to lose here) nor 'Mamba beats Hyena on selective copying' is claimed at a tour budget.");
        result.Note($"Scale: Zoology trains on 100,000 examples for 64 epochs and takes the best of 4 learning rates; here each cell sees {s.MqarSteps * s.Batch:N0} " +
                    $"fresh examples at one learning rate ({s.LearningRate.ToString("0.###", CultureInfo.InvariantCulture)}, AdamW, 10 % warm-up, cosine), on one CPU thread. " +
                    "The model is the chapter's block (pre-norm mixer and MLP, sinusoidal positions) for every mixer; Zoology's attention runs have no MLP and learned positions.");
        result.Note("The full grid (N ∈ {64, 128, 256} × width ∈ {32, 64, 128} × every mixer, and selective copying) is bench/recall/sweep.sh; its numbers are in docs/long-context.md.");
        return result;
    }

    private static RecallTrainingOptions Options(RecallSettings s, string mixer, int width, int steps, int seed) =>
        new(mixer, width, steps, s.LearningRate, s.Batch, Layers: 2, Heads: 1, EvalExamples: s.EvalExamples, Seed: seed, ShortConv: s.ShortConv);

    private static string F(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);
}
