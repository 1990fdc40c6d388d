using Lineage.Data.Benchmark;

namespace Lineage.Data.Tests.Benchmark;

public sealed class SoftmaxProbeTests
{
    // n rows of `noise` random features plus, when planted, one feature that equals the class index (separable).
    private static (Lineage.Text.Encodings.CsrMatrix<double> X, int[] Y) Data(int n, int classes, int noise, bool planted, int seed)
    {
        var random = new Random(seed);
        int d = noise + (planted ? 1 : 0);
        var values = new double[n * d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = random.Next(classes);
            for (int j = 0; j < noise; j++) values[(i * d) + j] = random.NextDouble();
            if (planted) values[(i * d) + noise] = y[i];
        }

        return (WordVectorMean.Dense(values, n, d), y);
    }

    [Fact]
    public void PlantedSeparableFeature_ScoresHundredPercent()
    {
        // With three classes one feature x = class is separable by a linear softmax (x·w_c + b_c with w = 0, 1, 2 × scale).
        var (x, y) = Data(600, 3, noise: 10, planted: true, seed: 1);
        var (xt, yt) = Data(300, 3, noise: 10, planted: true, seed: 2);
        var probe = SoftmaxProbe.Fit(x, y, 3);
        var s = TaskMetrics.Classification(probe.Predict(xt), yt, 3);
        Assert.Equal(1.0, s.Accuracy);
        Assert.Equal(1.0, s.MacroF1);
    }

    [Fact]
    public void RandomFeatures_ScoreChance()
    {
        // Four balanced classes, features independent of the label: held-out accuracy near 1/4 (binomial sd at n = 2,000 is ~1 %).
        var (x, y) = Data(2000, 4, noise: 20, planted: false, seed: 3);
        var (xt, yt) = Data(2000, 4, noise: 20, planted: false, seed: 4);
        var s = TaskMetrics.Classification(SoftmaxProbe.Fit(x, y, 4).Predict(xt), yt, 4);
        Assert.InRange(s.Accuracy, 0.25 - 0.05, 0.25 + 0.05);
    }

    [Fact]
    public void SparseColumns_StandardisedWithoutDensifying_MatchTheDenseFit()
    {
        // Half the values are zero: stored explicitly (dense rows) or left out (sparse rows), the fit is the same,
        // because the centring is folded into the bias instead of densifying the matrix.
        var random = new Random(5);
        int n = 200, d = 6;
        var values = new double[n * d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = random.Next(2);
            for (int j = 0; j < d; j++)
            {
                double v = random.NextDouble() + (j == 0 ? y[i] * 0.3 : 0);
                values[(i * d) + j] = v < 0.5 ? 0 : v;
            }
        }

        var dense = WordVectorMean.Dense(values, n, d);
        var sparse = Sparse(dense);
        Assert.True(sparse.Nnz < dense.Nnz / 1.5);
        var a = SoftmaxProbe.Fit(dense, y, 2, new ProbeOptions(Steps: 50));
        var b = SoftmaxProbe.Fit(sparse, y, 2, new ProbeOptions(Steps: 50));
        var la = a.Logits(dense);
        var lb = b.Logits(sparse);
        for (int i = 0; i < la.Length; i++) Assert.Equal(la[i], lb[i], 4);
    }

    [Fact]
    public void OneClassOnly_Throws()
    {
        var x = WordVectorMean.Dense([1, 2, 3], 3, 1);
        Assert.Throws<ArgumentException>(() => SoftmaxProbe.Fit(x, [1, 1, 1], 2));
    }

    // Keeps only every other value of each row (so the matrix is really sparse): x with zeros in place of the dropped ones, as CSR.
    private static Lineage.Text.Encodings.CsrMatrix<double> Sparse(Lineage.Text.Encodings.CsrMatrix<double> dense)
    {
        var pointers = new List<int> { 0 };
        var columns = new List<int>();
        var values = new List<double>();
        for (int r = 0; r < dense.Rows; r++)
        {
            var row = dense.Row(r);
            for (int p = 0; p < row.Count; p++)
            {
                if (row.Values[p] == 0) continue;
                columns.Add(row.Indices[p]);
                values.Add(row.Values[p]);
            }

            pointers.Add(columns.Count);
        }

        return new Lineage.Text.Encodings.CsrMatrix<double>(dense.Rows, dense.Columns, [.. pointers], [.. columns], [.. values]);
    }
}
