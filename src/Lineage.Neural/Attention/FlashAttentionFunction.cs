// FlashAttention as a TorchSharp autograd function: libtorch's autograd calls our forward and, in loss.backward(), our
// backward, so any model can train through the kernel (torch.autograd.Function in PyTorch; SingleTensorFunction in TorchSharp).
// Saved for backward: q, k, v, the output and its log-sum-exp — O(n) numbers; the n × n matrix is recomputed tile by tile.
// Shapes: q (B, H, Tq, D); k, v (B, G, Tk, D); the result (B, H, Tq, D).
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>Differentiable FlashAttention: <see cref="Attend"/> returns the output and records our backward in the graph.</summary>
public sealed class FlashAttentionFunction : autograd.SingleTensorFunction<FlashAttentionFunction>
{
    /// <inheritdoc />
    public override string Name => "FlashAttention";

    /// <summary>Attention of q over k, v through the kernel; gradients flow to q, k and v.</summary>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, an empty sequence, H not divisible by G (see <see cref="FlashAttention.Forward"/>).</exception>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, FlashOptions? options = null) => apply(q, k, v, options ?? FlashOptions.Default);

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(vars);
        var (q, k, v, options) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (FlashOptions)vars[3]);
        var (output, lse) = FlashAttention.Forward(q, k, v, options);
        ctx.save_for_backward([q, k, v, output, lse]);
        ctx.save_data("options", options);
        return output;
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var saved = ctx.get_saved_variables();
        var options = (FlashOptions)ctx.get_data("options");
        var (dq, dk, dv) = FlashAttention.Backward(saved[0], saved[1], saved[2], saved[3], saved[4], grad_output, options);
        return [dq, dk, dv, null!];
    }
}
