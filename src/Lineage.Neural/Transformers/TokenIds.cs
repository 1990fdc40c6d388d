// The guard at every token-id entry point: int64 (B, T), T ≥ 1, ids inside the vocabulary, as a .NET error.
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers;

/// <summary>Checks token-id input at the models' entry points, so that a mistake is a .NET error naming it, not a native abort.</summary>
internal static class TokenIds
{
    /// <summary>Throws unless <paramref name="ids"/> is int64 (B, T) with T ≥ 1 and every id in 0..<paramref name="vocabSize"/>−1.</summary>
    public static void Check(Tensor ids, int vocabSize, string name)
    {
        ArgumentNullException.ThrowIfNull(ids, name);
        if (ids.dim() != 2 || ids.shape[1] == 0 || ids.dtype != ScalarType.Int64)
        {
            throw new ArgumentException($"Token ids must be int64 (B, T) with T ≥ 1; got {ids.dtype} ({string.Join(", ", ids.shape)}).", name);
        }

        long min = ids.min().item<long>(), max = ids.max().item<long>();
        if (min < 0 || max >= vocabSize) throw new ArgumentException($"Token id {(min < 0 ? min : max)} is outside the vocabulary 0..{vocabSize - 1}.", name);
    }
}
