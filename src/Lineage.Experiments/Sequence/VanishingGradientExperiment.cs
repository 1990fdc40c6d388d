// Bengio, Simard & Frasconi 1994: in an RNN, ∂loss/∂h_t is a product of one Jacobian per step, so it shrinks
// (or explodes) exponentially with the distance to the loss. This experiment measures that product.
using System.Globalization;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Neural.Sequence;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Experiments.Sequence;

/// <summary>‖∂loss/∂h_t‖ against the distance from the loss, for RNN, LSTM and GRU at initialisation and after training.</summary>
[ThreadCap(1, ThreadCapAttribute.SmallRecurrentSteps)]
[SharesMachine(SharesMachineAttribute.LearnsOnly)]
public sealed class VanishingGradientExperiment : IExperiment
{
    /// <summary>After training, the gated cells' gradient at the far end keeps at least this fraction of its size at the loss.</summary>
    public const double GatedFloor = 1e-3;

    /// <summary>The Elman RNN's gradient at the far end falls below this fraction.</summary>
    public const double RnnCeiling = 1e-4;

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "sequence.vanishing",
        Family: Family.Sequence,
        Title: "The gradient vanishes with distance in an RNN, not through gates",
        Summary: "Norm of ∂loss/∂h_t against the distance from the loss, on adding-problem sequences, for the Elman RNN, LSTM and GRU " +
                 "at initialisation and after training (the models of sequence.adding).",
        Paper: Papers.Bengio1994,
        Budget: TimeSpan.FromMinutes(1),      // ≈ 3 s when sequence.adding ran first; 40–48 s when it trains the T = 100 models itself
        QuickBudget: TimeSpan.FromMinutes(0.1));   // ≈ 3 s measured

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var result = context.Result();
        int length = AddingRuns.ClaimLength(context.Quick);
        var series = new List<Series>();
        var rows = new List<IReadOnlyList<string>>();
        var farRatio = new Dictionary<(CellKind, bool), double>();
        var origins = new List<ModelOrigin>();
        foreach (var cell in Enum.GetValues<CellKind>())
        {
            var run = AddingRuns.Settings(cell, length, context.Quick, context.Seed);
            using var fresh = AddingRuns.Fresh(run);
            var (trained, _, origin) = AddingRuns.Trained(context, run);
            origins.Add(origin);
            using (trained)
            {
                foreach (var (model, after) in new[] { (fresh, false), (trained, true) })
                {
                    var norms = model.GradientNorms(length, context.Seed);              // index = distance from the loss
                    double ratio = norms[^1] / norms[0];
                    farRatio[(cell, after)] = ratio;
                    string when = after ? "trained" : "init";
                    series.Add(new Series($"{cell.ToString().ToUpperInvariant()} ({when})",
                        Enumerable.Range(0, norms.Length).Select(d => (double)d).ToList(),
                        norms.Select(n => Math.Log10(Math.Max(n, 1e-30))).ToList()));
                    result.Metric($"far_ratio_{cell.ToString().ToLowerInvariant()}_{when}", ratio);
                    rows.Add([cell.ToString().ToUpperInvariant(), when,
                              norms[0].ToString("0.00e+0", CultureInfo.InvariantCulture),
                              norms[norms.Length / 2].ToString("0.00e+0", CultureInfo.InvariantCulture),
                              norms[^1].ToString("0.00e+0", CultureInfo.InvariantCulture),
                              ratio.ToString("0.0e+0", CultureInfo.InvariantCulture)]);
                }
            }
        }
        result.Model = origins.All(o => o == ModelOrigin.Reused) ? ModelOrigin.Reused : ModelOrigin.Trained;
        Plots.Lines(context.OutputFile("gradient-vs-distance.png"), $"‖∂loss/∂h_t‖ on the adding problem, T = {length}",
            "distance from the loss (steps)", "log10 ‖∂loss/∂h_t‖", series.ToArray());
        result.Plot(context.RelativeOutput("gradient-vs-distance.png"),
            "Gradient norm reaching h_t, against its distance from the loss at the last step (mean over 64 sequences, log scale)");
        result.Table($"‖∂loss/∂h_t‖ at distance 0, {length / 2} and {length - 1} from the loss",
            ["cell", "weights", "distance 0", $"distance {length / 2}", $"distance {length - 1}", "far / near"], rows);

        int far = length - 1;
        result.ClaimAtMost($"at initialisation, the Elman RNN's gradient {far} steps back is under {RnnCeiling:0e0} of its size at the loss",
                  farRatio[(CellKind.Rnn, false)], RnnCeiling)
              .ClaimAtLeast($"trained LSTM: the gradient {far} steps back keeps over {GatedFloor:0e0} of its size", farRatio[(CellKind.Lstm, true)], GatedFloor)
              .ClaimAtLeast($"trained GRU: the gradient {far} steps back keeps over {GatedFloor:0e0} of its size", farRatio[(CellKind.Gru, true)], GatedFloor);
        if (!context.Quick)   // at the quick length (20) a trained RNN can still carry a gradient 19 steps; at 100 it cannot
            result.ClaimAtMost($"after training, the Elman RNN's gradient {far} steps back is still under {RnnCeiling:0e0} of its size",
                farRatio[(CellKind.Rnn, true)], RnnCeiling);
        result.Note("∂loss/∂h_t is the total derivative through the recurrence, read from h_t.grad after backward (the equations path " +
                    "with retain_grad on every h_t). At initialisation the LSTM's forget gate sits near σ(0) = 0.5, so its gradient " +
                    "vanishes too; training opens the gates (f → 1, z → 1) where memory is needed. The RNN has no such path: every step " +
                    "multiplies by W_hhᵀ·diag(tanh′).");
        return result;
    }
}
