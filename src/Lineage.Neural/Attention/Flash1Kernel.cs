// The FlashAttention kernel with FA1's forward pass (Dao et al. 2022: the outer loop over key blocks); the backward is FA2's.
namespace Lineage.Neural.Attention;

/// <summary>The FlashAttention kernel with FA1's forward (the backward is the same): the side-by-side benchmark's <c>flash1</c>.</summary>
[Kernel("flash1", Order = 3, Note = "FA1 forward")]
public sealed class Flash1Kernel : FlashKernel
{
    /// <inheritdoc />
    protected override FlashAlgorithm Algorithm => FlashAlgorithm.Fa1;
}
