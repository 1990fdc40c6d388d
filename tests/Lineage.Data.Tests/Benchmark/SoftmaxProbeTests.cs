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

    [Theory]
    [InlineData(ProbeScaling.Column)]
    [InlineData(ProbeScaling.Global)]
    [InlineData(ProbeScaling.None)]
    public void PlantedSeparableFeature_ScoresHundredPercent_UnderEveryScaling(ProbeScaling scaling)
    {
        var (x, y) = Data(600, 3, noise: 10, planted: true, seed: 1);
        var (xt, yt) = Data(300, 3, noise: 10, planted: true, seed: 2);
        var probe = SoftmaxProbe.Fit(x, y, 3, new ProbeOptions(Scaling: scaling));
        Assert.Equal(1.0, TaskMetrics.Classification(probe.Predict(xt), yt, 3).Accuracy);
    }

    [Fact]
    public void GlobalScaling_IsInvariantToMultiplyingTheMatrix()
    {
        // One number scales every column, so x and 10x give the same fitted map (the logits of x and of 10x agree).
        var (x, y) = Data(200, 2, noise: 5, planted: true, seed: 6);
        var big = Times(x, 10);
        var o = new ProbeOptions(Steps: 60, Scaling: ProbeScaling.Global);
        var a = SoftmaxProbe.Fit(x, y, 2, o).Logits(x);
        var b = SoftmaxProbe.Fit(big, y, 2, o).Logits(big);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 3);
    }

    [Fact]
    public void NoScaling_IsNotInvariantToMultiplyingTheMatrix()
    {
        // Without scaling the penalty and Adam's step act on the raw values: 10x fits another map than x.
        var (x, y) = Data(200, 2, noise: 5, planted: true, seed: 6);
        var big = Times(x, 10);
        var o = new ProbeOptions(Steps: 60, Scaling: ProbeScaling.None);
        var a = SoftmaxProbe.Fit(x, y, 2, o).Logits(x);
        var b = SoftmaxProbe.Fit(big, y, 2, o).Logits(big);
        Assert.Contains(Enumerable.Range(0, a.Length), i => Math.Abs(a[i] - b[i]) > 1e-2);
    }

    [Fact]
    public void ColumnScaling_GivesARareSparseColumnTheMagnitudeRootN()
    {
        // The reason the protocol does not standardise: a column that is 1 in one of N rows has deviation ≈ 1/√N, so the
        // standardised value of that one row is ≈ √N. Shown through the fit: one step of Adam moves each weight by about
        // the step size, so the rare column's logit moves ≈ √N times as far as under no scaling.
        int n = 400;
        var pointers = new int[n + 1];
        var columns = new List<int>();
        var values = new List<double>();
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 2;
            columns.Add(0);
            values.Add(y[i]);              // a common, informative column
            if (i == 0)
            {
                columns.Add(1);
                values.Add(1.0);           // a column seen in one row only
            }

            pointers[i + 1] = columns.Count;
        }

        var x = new Lineage.Text.Encodings.CsrMatrix<double>(n, 2, pointers, [.. columns], [.. values]);
        double Moved(ProbeScaling s)
        {
            var probe = SoftmaxProbe.Fit(x, y, 2, new ProbeOptions(Steps: 1, L2: 0, Scaling: s));
            // Row 0 against an identical row without the rare column: the rare column's contribution to the logit gap.
            var with = probe.Logits(x);
            var without = probe.Logits(new Lineage.Text.Encodings.CsrMatrix<double>(1, 2, [0, 1], [0], [0.0]));
            return Math.Abs((with[0] - with[1]) - (without[0] - without[1]));
        }

        double ratio = Moved(ProbeScaling.Column) / Moved(ProbeScaling.None);
        Assert.InRange(ratio, 0.8 * Math.Sqrt(n), 1.2 * Math.Sqrt(n));
    }

    [Fact]
    public void ValidationFold_HoldsAFifthOfEachClass_Disjoint_Deterministic()
    {
        var y = Enumerable.Range(0, 103).Select(i => i < 80 ? 0 : i < 100 ? 1 : 2).ToArray();
        var (fit, held) = SoftmaxProbe.ValidationFold(y, seed: 4);
        Assert.Empty(fit.Intersect(held));
        Assert.Equal(Enumerable.Range(0, 103), fit.Concat(held).Order());
        Assert.Equal(16, held.Count(i => y[i] == 0));
        Assert.Equal(4, held.Count(i => y[i] == 1));
        Assert.Equal(1, held.Count(i => y[i] == 2));
        Assert.Equal(held, SoftmaxProbe.ValidationFold(y, seed: 4).Held);
        Assert.NotEqual(held, SoftmaxProbe.ValidationFold(y, seed: 5).Held);
        Assert.Throws<ArgumentException>(() => SoftmaxProbe.ValidationFold([0, 0, 1], seed: 1));
    }

    [Fact]
    public void CrossEntropy_IsTheMeanNegativeLogProbabilityOfTheLabel()
    {
        var (x, y) = Data(50, 3, noise: 4, planted: false, seed: 10);
        var probe = SoftmaxProbe.Fit(x, y, 3, new ProbeOptions(Steps: 20));
        var logits = probe.Logits(x);
        double expected = 0;
        for (int i = 0; i < 50; i++)
        {
            double z = Enumerable.Range(0, 3).Sum(k => Math.Exp(logits[(i * 3) + k]));
            expected -= Math.Log(Math.Exp(logits[(i * 3) + y[i]]) / z);
        }

        Assert.Equal(expected / 50, probe.CrossEntropy(x, y), 9);
        Assert.Throws<ArgumentException>(() => probe.CrossEntropy(x, [.. y.Select(_ => 3)]));
    }

    [Fact]
    public void FitValidated_OneValueGrid_IsTheFitWithThatValue()
    {
        var (x, y) = Data(300, 3, noise: 6, planted: true, seed: 8);
        var o = new ProbeOptions(Steps: 40, Scaling: ProbeScaling.None);
        var (probe, l2) = SoftmaxProbe.FitValidated(x, y, 3, [0.02], seed: 1, o);
        Assert.Equal(0.02, l2);
        Assert.Equal(SoftmaxProbe.Fit(x, y, 3, o with { L2 = 0.02 }).Logits(x), probe.Logits(x));
    }

    [Fact]
    public void FitValidated_RejectsAHugePenalty_ThatCannotFitTheHeldOutFold()
    {
        // λ = 10 shrinks every weight to ~0 (all rows one class, macro-F1 ≈ 1/3 on three classes); the fold must pick the small λ.
        var (x, y) = Data(400, 3, noise: 6, planted: true, seed: 9);
        var (_, l2) = SoftmaxProbe.FitValidated(x, y, 3, [10, 1e-4], seed: 1, new ProbeOptions(Steps: 100));
        Assert.Equal(1e-4, l2);
        Assert.Equal(l2, new ProbeOptions(Steps: 100, L2Grid: [10, 1e-4]).FitProbe(x, y, 3, seed: 1).L2);
    }

    private static Lineage.Text.Encodings.CsrMatrix<double> Times(Lineage.Text.Encodings.CsrMatrix<double> x, double k) =>
        new(x.Rows, x.Columns, x.RowPointers.ToArray(), x.ColumnIndices.ToArray(), [.. x.Values.ToArray().Select(v => v * k)]);

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
