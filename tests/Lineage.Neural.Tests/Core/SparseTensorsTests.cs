using Lineage.Neural.Core;
using Lineage.Text.Encodings;
using TorchSharp;

namespace Lineage.Neural.Tests.Core;

public class SparseTensorsTests
{
    [Fact]
    public void TfidfMatrix_AsSparseTensor_MatchesDense_AndMultiplies()
    {
        var x = new TfidfVectorizer().FitTransform(["the dog bites the man", "the man bites the dog", "", "a cat sat"]);
        using var scope = torch.NewDisposeScope();
        var sparse = SparseTensors.ToSparse(x);
        Assert.True(sparse.is_sparse);
        Assert.Equal(new long[] { x.Rows, x.Columns }, sparse.shape);
        Assert.Equal(x.Nnz, sparse.SparseValues.shape[0]);
        var dense = SparseTensors.ToDense(x);
        Assert.True(sparse.to_dense().allclose(dense));
        var w = torch.randn(x.Columns, 3);
        Assert.True(torch.matmul(sparse, w).allclose(torch.matmul(dense, w), rtol: 1e-5, atol: 1e-6));
        Assert.Equal((float)x[0, x.Columns - 1], dense[0, x.Columns - 1].item<float>());
    }
}
