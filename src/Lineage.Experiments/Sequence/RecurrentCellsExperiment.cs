// Our cells, written from the equations, against libtorch's fused kernels on the same weights: the same numbers,
// the parameter counts the equations predict, and what the fused kernel buys in speed.
using System.Diagnostics;
using System.Globalization;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Neural.Sequence;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Experiments.Sequence;

/// <summary>Equations vs fused kernels: agreement, parameter counts, speed.</summary>
[ThreadCap(1, ThreadCapAttribute.SmallRecurrentSteps)]
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
            double diff = Disagreement(model, batch, steps, input, context.Seed);
            worst = Math.Max(worst, diff);
            var (equations, fused) = StepsPerSecond(model, batch, steps, input, timedSteps);
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

    /// <summary>Largest |Δ| between the equations and the fused kernel: outputs, final states, input and parameter gradients.</summary>
    private static double Disagreement(Recurrent model, int batch, int steps, int input, int seed)
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator((ulong)seed);
        var x = torch.randn([batch, steps, input], generator: g);
        var weights = torch.randn([batch, steps, model.Config.Directions * model.Config.HiddenSize], generator: g) / (batch * steps);
        (Tensor Y, Tensor H, Tensor Grads) Pass(bool fused)
        {
            model.Fused = fused;
            model.zero_grad();
            var xi = x.clone().requires_grad_();
            var (y, state) = model.Run(xi);
            ((y * weights).sum() + state.H.mean()).backward();                 // a mean-sized loss: gradients O(1/B)
            var grads = torch.cat(model.parameters().Select(p => p.grad!.flatten()).Append(xi.grad!.flatten()).ToArray());
            return (y.detach(), state.H.detach(), grads.clone());
        }
        var a = Pass(false);
        var b = Pass(true);
        model.Fused = false;
        model.zero_grad();
        // relative to the largest magnitude of each compared tensor, so the bar does not depend on the loss's scale
        static double Relative(Tensor x, Tensor y) => (x - y).abs().max().item<float>() / Math.Max(1e-12, y.abs().max().item<float>());
        return Math.Max(Relative(a.Y, b.Y), Math.Max(Relative(a.H, b.H), Relative(a.Grads, b.Grads)));
    }

    /// <summary>Training passes per second with the equations and with the fused kernel, alternating (medians), so that
    /// load from other processes hits both alike.</summary>
    private static (double Equations, double Fused) StepsPerSecond(Recurrent model, int batch, int steps, int input, int rounds)
    {
        var times = new[] { new List<double>(), new List<double>() };
        for (int r = 0; r <= rounds; r++)
        {
            for (int k = 0; k < 2; k++)
            {
                model.Fused = k == 1;
                using var scope = torch.NewDisposeScope();
                var x = torch.randn(batch, steps, input);
                var clock = Stopwatch.StartNew();
                model.forward(x).pow(2).mean().backward();
                if (r > 0) times[k].Add(clock.Elapsed.TotalSeconds);                // round 0 warms up
                model.zero_grad();
            }
        }
        model.Fused = false;
        double Median(List<double> t) => 1 / t.Order().ElementAt(t.Count / 2);
        return (Median(times[0]), Median(times[1]));
    }
}
