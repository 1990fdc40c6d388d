// What one forward + backward of each contrastive loss costs on its own, as the batch grows: CLIP's InfoNCE normalises
// over the whole N × N similarity matrix (Radford et al. 2021); SigLIP's pairwise sigmoid (Zhai et al. 2023) is a sum
// over blocks of it, each back-propagated and freed before the next (ContrastiveLosses.SigmoidWithGradient), so its
// memory stays at N × chunk. The multimodal.batch-size chapter reports both; the measurement lives beside the losses.
// Shapes: u, v (N, E) unit embeddings of images and captions.
using System.Diagnostics;
using Lineage.Neural.Core;
using static TorchSharp.torch;

namespace Lineage.Neural.Multimodal;

/// <summary>Time and peak memory of one forward + backward of a contrastive loss on fixed embeddings.</summary>
public static class ContrastiveLossCost
{
    /// <summary>CLIP's InfoNCE at scale 10, forward and backward.</summary>
    public static (double Seconds, double Bytes) InfoNce(Tensor u0, Tensor v0) =>
        Measure(u0, v0, (u, v) => ContrastiveLosses.InfoNce(u, v, tensor(10f)).backward());

    /// <summary>SigLIP's sigmoid at scale 10 and bias −10, block by block over <paramref name="chunk"/> captions, each block back-propagated as it goes.</summary>
    public static (double Seconds, double Bytes) Sigmoid(Tensor u0, Tensor v0, int chunk) =>
        Measure(u0, v0, (u, v) => ContrastiveLosses.SigmoidWithGradient(u, v, tensor(10f), tensor(-10f), chunk));

    /// <summary>
    /// The median of three timed passes (after one warm-up, on kept memory: <see cref="PeakMemory.Retained"/>) and the
    /// peak resident memory one more pass adds (<see cref="PeakMemory.Measure"/>). Each pass runs on fresh leaves
    /// detached from <paramref name="u0"/> and <paramref name="v0"/>, in its own dispose scope.
    /// </summary>
    /// <param name="u0">Image embeddings (N, E).</param>
    /// <param name="v0">Caption embeddings (N, E).</param>
    /// <param name="lossAndBackward">Computes the loss of (u, v) and back-propagates it.</param>
    public static (double Seconds, double Bytes) Measure(Tensor u0, Tensor v0, Action<Tensor, Tensor> lossAndBackward)
    {
        ArgumentNullException.ThrowIfNull(u0);
        ArgumentNullException.ThrowIfNull(v0);
        ArgumentNullException.ThrowIfNull(lossAndBackward);
        void Once()
        {
            using var scope = NewDisposeScope();
            var u = u0.detach().requires_grad_(true);
            var v = v0.detach().requires_grad_(true);
            lossAndBackward(u, v);
        }

        var times = new List<double>();
        using (PeakMemory.Retained())                          // timed passes reuse their memory (no page faults)
        {
            Once();
            for (int i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                Once();
                times.Add(clock.Elapsed.TotalSeconds);
            }
        }

        GC.Collect();
        return (times.Order().ElementAt(1), PeakMemory.Measure(Once));
    }
}
