// Our recurrent equations (Recurrent.cs, Fused = false) against libtorch's fused kernel on the very same weights
// (Fused = true): how far their outputs, final states and gradients differ, and how fast a training pass runs on each.
// The sequence.cells chapter reports both; the checks live here, beside the network they compare.
// Lineage: Elman RNN (1990) → LSTM (Hochreiter & Schmidhuber 1997) → GRU (Cho et al. 2014); see Cells.cs.
// Shapes:  B batch, T time steps, I input size, D·H output width.
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Sequence;

/// <summary>Equations vs fused kernel of one <see cref="Recurrent"/>: agreement and training-pass speed.</summary>
public static class RecurrentKernels
{
    /// <summary>Largest |Δ| between the equations and the fused kernel: outputs, final states, input and parameter gradients,
    /// each relative to the largest magnitude of the compared tensor. Leaves the model on the equations path with zero gradients.</summary>
    /// <param name="model">The network (batch-first).</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="input">I.</param>
    /// <param name="seed">Seeds the inputs and the loss's weights.</param>
    public static double Disagreement(Recurrent model, int batch, int steps, int input, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
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

    /// <summary>Training passes (forward and backward) per second with the equations and with the fused kernel, alternating
    /// (medians of <paramref name="rounds"/> rounds after one warm-up round), so that load from other processes hits both alike.
    /// Inputs come from torch's global generator. Leaves the model on the equations path.</summary>
    /// <param name="model">The network (batch-first).</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="input">I.</param>
    /// <param name="rounds">Timed rounds.</param>
    public static (double Equations, double Fused) StepsPerSecond(Recurrent model, int batch, int steps, int input, int rounds)
    {
        ArgumentNullException.ThrowIfNull(model);
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
