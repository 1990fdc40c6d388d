using Lineage.Text.Encodings;
using TorchSharp;

namespace Lineage.Neural.Core;

/// <summary>Sparse encodings (<see cref="CsrMatrix{T}"/>) as TorchSharp tensors, for neural models that read bag-of-words or TF-IDF features.</summary>
public static class SparseTensors
{
    /// <summary>
    /// A sparse COO tensor of shape (rows, columns) holding the matrix's values as float32; memory stays
    /// proportional to the number of stored values. <c>torch.sparse.mm</c> / <c>matmul</c> multiply it with a dense weight.
    /// </summary>
    public static torch.Tensor ToSparse(CsrMatrix<double> matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var indices = new long[2 * matrix.Nnz];
        var values = new float[matrix.Nnz];
        int k = 0;
        for (int r = 0; r < matrix.Rows; r++)
        {
            var row = matrix.Row(r);
            for (int i = 0; i < row.Count; i++, k++)
            {
                indices[k] = r;
                indices[matrix.Nnz + k] = row.Indices[i];
                values[k] = (float)row.Values[i];
            }
        }

        using var index = torch.tensor(indices, [2, matrix.Nnz]);
        using var value = torch.tensor(values);
        // The entries come row by row with ascending columns and no duplicates: already in coalesced order.
        return torch.sparse_coo_tensor(index, value, [matrix.Rows, matrix.Columns]);
    }

    /// <summary>A dense float32 tensor (rows, columns); refused when larger than <paramref name="maxElements"/>.</summary>
    public static torch.Tensor ToDense(CsrMatrix<double> matrix, long maxElements = 50_000_000)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var dense = matrix.Cast<float>().ToDense(maxElements);
        return torch.tensor(dense);
    }
}
