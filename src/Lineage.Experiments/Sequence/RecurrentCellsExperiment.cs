// Our cells, written from the equations, against libtorch's fused kernels on the same weights: the same numbers,
// the parameter counts the equations predict, and what the fused kernel buys in speed.
using System.Globalization;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Neural.Sequence;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Experiments.Sequence;

/// <summary>Equations vs fused kernels: agreement, parameter counts, speed.</summary>
[ThreadCap(1, ThreadCapAttribute.SmallRecurrentSteps)]
[SharesMachine(SharesMachineAttribute.LearnsOnly)]
public sealed class RecurrentCellsExperiment : IExperiment
{
    /// <summary>Largest allowed difference of outputs and gradients, relative to their largest magnitude (float32 rounds at 6e-8).</summary>
    public const double Tolerance = 1e-5;

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "sequence.cells",
        Family: Family.Sequence,
        Title: "RNN, LSTM and GRU from their equations equal libtorch's fused kernels",
        Summary: "Two-layer bidirectional RNN, LSTM and GRU written step by step from the papers' equations, run on the same weights " +
                 "as libtorch's nn.RNN / nn.LSTM / nn.GRU: outputs and gradients agree, parameter counts are in the ratio 1 : 4 : 3, " +
                 "and the fused kernels' speed-up is measured.",
        Paper: Papers.Hochreiter1997,
        Budget: TimeSpan.FromSeconds(5),
        QuickBudget: TimeSpan.FromMinutes(0.05));  // < 1 s measured

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var result = context.Result();
        int input = 16, hidden = context.Quick ? 16 : 48, steps = context.Quick ? 10 : 40, batch = 32, timedSteps = context.Quick ? 2 : 5;
        var rows = new List<IReadOnlyList<string>>();
        var counts = new Dictionary<CellKind, long>();
        double worst = 0;
        foreach (var cell in Enum.GetValues<CellKind>())
        {
            context.Cancellation.ThrowIfCancellationRequested();
            torch.manual_seed(context.Seed);
            using var model = new Recurrent(new RecurrentConfig(cell, input, hidden, Layers: 2, Bidirectional: true));
            counts[cell] = model.parameters().Sum(p => p.numel());
            double diff = RecurrentKernels.Disagreement(model, batch, steps, input, context.Seed);
            worst = Math.Max(worst, diff);
            var (equations, fused) = RecurrentKernels.StepsPerSecond(model, batch, steps, input, timedSteps);
            string key = cell.ToString().ToLowerInvariant();
            result.Metric($"{key}_parameters", counts[cell])
                  .Metric($"{key}_max_difference", diff)
                  .Metric($"{key}_fused_speedup", fused / equations);
            rows.Add([cell.ToString().ToUpperInvariant(), counts[cell].ToString("N0", CultureInfo.InvariantCulture),
                      model.Config.ParameterCount.ToString("N0", CultureInfo.InvariantCulture), diff.ToString("0.0e+0", CultureInfo.InvariantCulture),
                      equations.ToString("0.0", CultureInfo.InvariantCulture), fused.ToString("0.0", CultureInfo.InvariantCulture),
                      (fused / equations).ToString("0.00", CultureInfo.InvariantCulture)]);
        }
        result.Table($"Two layers, bidirectional, I = {input}, H = {hidden}; training passes/s on batches of {batch} × {steps} steps, one thread",
            ["cell", "parameters", "G·H·(I_l + H + 2) summed", "max relative |Δ|, outputs & gradients", "equations steps/s", "fused steps/s", "fused speed-up"], rows);
        double gru = (double)counts[CellKind.Gru] / counts[CellKind.Lstm], rnn = (double)counts[CellKind.Rnn] / counts[CellKind.Lstm];
        result.ClaimAtMost("our equations and libtorch's fused kernels agree on outputs and all gradients (max |Δ| / max |value|, all cells)", worst, Tolerance)
              .Claim("a GRU has 3/4 of an LSTM's parameters", gru, "= 0.75", Math.Abs(gru - 0.75) < 1e-12)
              .Claim("an Elman RNN has 1/4 of an LSTM's parameters", rnn, "= 0.25", Math.Abs(rnn - 0.25) < 1e-12);
        result.Note("Both paths share one set of parameters (PyTorch's names and layout: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, " +
                    "…_reverse), so `Fused = true` changes only the kernel. The equations path computes W_ih·x for all steps in one matmul and " +
                    "loops over time for W_hh·h; the fused kernel does the same loop in C++ without per-step autograd nodes.");
        return result;
    }
}
