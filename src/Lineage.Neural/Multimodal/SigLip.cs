// SigLIP (Zhai et al. 2023, "Sigmoid Loss for Language Image Pre-Training", arXiv:2303.15343).
// Lineage: CLIP's softmax normalises every row and column over the whole batch, so the loss needs the full N × N
// similarity matrix and its quality depends on the batch size; SigLIP makes every image-text pair an independent binary
// decision, L = −(1/N) Σ_ij log σ(z_ij (t·u_i·v_j + b)), so the matrix can be processed in chunks and small batches work.
// The model is the same DualEncoder as CLIP with Objective = SigLip: the loss is ContrastiveLosses.Sigmoid, the
// temperature starts at t' = log 10 (t = 10) and the bias at b = −10, as in the paper (§3.3), so that at the start the
// model predicts "no match" for the N² − N negatives and the loss is not dominated by them.
// Deviation: the paper's chunking passes text embeddings between devices; here the chunks are column blocks on one CPU.
namespace Lineage.Neural.Multimodal;

/// <summary>SigLIP's settings from the paper.</summary>
public static class SigLip
{
    /// <summary>Initial log-temperature t' (t = exp t' = 10).</summary>
    public static readonly double InitialLogScale = Math.Log(10);

    /// <summary>Initial bias b.</summary>
    public const double InitialBias = -10;

    /// <summary>A SigLIP dual encoder: <paramref name="config"/> with the sigmoid objective.</summary>
    public static DualEncoder Create(DualEncoderConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new DualEncoder(config with { Objective = ContrastiveObjective.SigLip });
    }
}
