// The lineage benchmark's one probe: multinomial logistic regression on frozen features.
// Paper:   Alain & Bengio 2016, "Understanding intermediate layers using linear classifier probes", arXiv:1610.01644.
// Lineage: every representation of the benchmark, sparse counts and dense vectors alike, is scored by this same linear
//          classifier, so a difference in score is the representation's, not the classifier's.
// Shapes:  N texts, D features (CSR, dense rows stored with every column), C classes; W (D, C), b (C).
// How:     centre each feature with the training mean μ (scaling it is an option, off in the benchmark), then fit
//          softmax(zW + b) by full-batch Adam on the mean cross-entropy + λ‖W‖² for a fixed number of steps (FrozenProbe's
//          recipe, generalised to C classes). λ is chosen per row from a fixed grid by a held-out fifth of the TRAINING
//          rows (FitValidated; the test rows are never seen), then the probe is refitted on every training row. Centring is
//          done without densifying: zW = x(W/σ) − μ(W/σ), so a step costs O(nnz·C + D·C). A column constant over the
//          training set is given no weight. Why no standard scaler: a column seen in one of N texts has deviation ≈ 1/√N,
//          so standardising makes it a feature of magnitude ≈ √N and the probe memorises rare words (TF-IDF fell to 90 %
//          on spam that way, against 97 % for scikit-learn's unscaled logistic regression).
// Deviations: Adam for a fixed number of steps instead of a solver run to convergence (L-BFGS as scikit-learn's
//             LogisticRegression); the anchor row (scikit-learn itself) shows how much that costs.
using Lineage.Text.Encodings;

namespace Lineage.Data.Benchmark;

/// <summary>How <see cref="SoftmaxProbe"/> scales the centred features before fitting.</summary>
public enum ProbeScaling
{
    /// <summary>
    /// One number for the whole matrix: the centred training rows are divided by their root-mean-square length, so every
    /// representation enters the probe at unit average row length and keeps its own relative column scales.
    /// </summary>
    Global,

    /// <summary>
    /// Each column divided by its training deviation (a standard scaler). On sparse columns this gives a word seen in one
    /// of N training texts a magnitude of about √N, which lets the probe memorise rare words; kept for comparison.
    /// </summary>
    Column,

    /// <summary>No scaling: the centred features as the representation gives them, as scikit-learn's LogisticRegression takes them (the benchmark's protocol).</summary>
    None,
}

/// <summary>Settings of <see cref="SoftmaxProbe"/>.</summary>
/// <param name="L2">λ of the penalty λ‖W‖² on the scaled features.</param>
/// <param name="Steps">Full-batch Adam steps.</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="Scaling">How the centred features are scaled (the benchmark's protocol: <see cref="ProbeScaling.None"/>).</param>
/// <param name="L2Grid">When set, λ is chosen from these by a held-out fold of the training rows (<see cref="SoftmaxProbe.FitValidated"/>) and <paramref name="L2"/> is ignored.</param>
public sealed record ProbeOptions(double L2 = 1e-3, int Steps = 300, double LearningRate = 0.05, ProbeScaling Scaling = ProbeScaling.None, IReadOnlyList<double>? L2Grid = null)
{
    /// <summary>The λ grid of the benchmark's protocol: one value per decade, 1e-5 … 1e-1.</summary>
    public static IReadOnlyList<double> ProtocolGrid { get; } = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>The benchmark's protocol: centred, unscaled features; λ chosen from <see cref="ProtocolGrid"/> on a fold of the training split; 300 Adam steps of 0.05.</summary>
    public static ProbeOptions Protocol { get; } = new(Scaling: ProbeScaling.None, L2Grid: ProtocolGrid);

    /// <summary>Fits a probe with these settings: <see cref="SoftmaxProbe.FitValidated"/> when <see cref="L2Grid"/> is set, else <see cref="SoftmaxProbe.Fit"/>; returns the λ used.</summary>
    public (SoftmaxProbe Probe, double L2) FitProbe(CsrMatrix<double> x, IReadOnlyList<int> y, int classes, int seed, CancellationToken cancellation = default) =>
        L2Grid is { Count: > 0 } grid ? SoftmaxProbe.FitValidated(x, y, classes, grid, seed, this, cancellation) : (SoftmaxProbe.Fit(x, y, classes, this, cancellation), L2);
}

/// <summary>A fitted multinomial logistic-regression probe on centred (optionally scaled) frozen features (pure .NET).</summary>
public sealed class SoftmaxProbe
{
    private readonly float[] _v;       // W/σ, (D, C) row-major
    private readonly float[] _bias;    // b − μ(W/σ), (C)

    private SoftmaxProbe(int features, int classes, float[] v, float[] bias, double finalLoss)
    {
        Features = features;
        Classes = classes;
        _v = v;
        _bias = bias;
        FinalLoss = finalLoss;
    }

    /// <summary>Feature count D.</summary>
    public int Features { get; }

    /// <summary>Class count C.</summary>
    public int Classes { get; }

    /// <summary>The weights and biases it learned: D × C + C.</summary>
    public long Parameters => ((long)Features * Classes) + Classes;

    /// <summary>The training loss (mean cross-entropy + penalty) at the last step.</summary>
    public double FinalLoss { get; }

    /// <summary>Fits the probe on <paramref name="x"/> (N, D) and class indices <paramref name="y"/> in [0, <paramref name="classes"/>).</summary>
    /// <exception cref="ArgumentException">Rows and labels differ in number, a label is out of range, or fewer than two classes occur.</exception>
    public static SoftmaxProbe Fit(CsrMatrix<double> x, IReadOnlyList<int> y, int classes, ProbeOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var o = options ?? new ProbeOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(o.Steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if (!double.IsFinite(o.L2) || o.L2 < 0) throw new ArgumentOutOfRangeException(nameof(options), $"λ must be finite and ≥ 0, not {o.L2}.");
        if (x.Rows != y.Count) throw new ArgumentException($"{x.Rows} feature rows for {y.Count} labels.", nameof(y));
        if (y.Any(c => c < 0 || c >= classes)) throw new ArgumentException($"A label is outside 0..{classes - 1}.", nameof(y));
        if (y.Distinct().Count() < 2) throw new ArgumentException("The training labels hold one class only.", nameof(y));
        int n = x.Rows, d = x.Columns, c = classes;

        // μ and σ of each column over all N rows (zeros included), as a dense standardiser would compute them.
        var sum = new double[d];
        var sumSq = new double[d];
        var rowPointers = x.RowPointers;
        var columns = x.ColumnIndices;
        var values = x.Values;
        for (int k = 0; k < values.Length; k++)
        {
            sum[columns[k]] += values[k];
            sumSq[columns[k]] += values[k] * values[k];
        }

        var mean = new float[d];
        var scale = new float[d];
        double totalVariance = 0;
        for (int j = 0; j < d; j++)
        {
            double m = sum[j] / n;
            double variance = Math.Max(0, (sumSq[j] / n) - (m * m)) * n / Math.Max(1, n - 1);
            double sd = Math.Sqrt(variance);
            mean[j] = (float)m;
            scale[j] = sd > 1e-12 ? (float)(1 / Math.Max(sd, 1e-6)) : 0f;
            if (sd > 1e-12) totalVariance += variance;
        }

        if (o.Scaling == ProbeScaling.Global)
        {
            // The mean squared length of a centred row is the sum of the column variances: one scale for every column.
            float global = totalVariance > 1e-24 ? (float)(1 / Math.Sqrt(totalVariance)) : 0f;
            for (int j = 0; j < d; j++) scale[j] = scale[j] == 0 ? 0f : global;
        }
        else if (o.Scaling == ProbeScaling.None)
        {
            for (int j = 0; j < d; j++) scale[j] = scale[j] == 0 ? 0f : 1f;
        }

        var w = new float[d * c];
        var b = new float[c];
        var v = new float[d * c];
        var mw = new float[d * c];
        var vw = new float[d * c];
        var mb = new double[c];
        var vb = new double[c];
        var a = new float[d * c];           // Σ_i x_ij G_ic
        var g = new double[n * c];          // (p − y)/N
        var logits = new double[c];
        const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
        double loss = 0;
        for (int step = 1; step <= o.Steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            // V = W/σ and the offset μV of every class.
            var offset = new double[c];
            for (int j = 0; j < d; j++)
            {
                float s = scale[j];
                int row = j * c;
                for (int k = 0; k < c; k++)
                {
                    float vj = w[row + k] * s;
                    v[row + k] = vj;
                    offset[k] += mean[j] * vj;
                }
            }

            // Forward: logits, softmax, loss and G.
            double ce = 0;
            var gradB = new double[c];
            for (int i = 0; i < n; i++)
            {
                for (int k = 0; k < c; k++) logits[k] = b[k] - offset[k];
                for (int p = rowPointers[i]; p < rowPointers[i + 1]; p++)
                {
                    double xv = values[p];
                    int row = columns[p] * c;
                    for (int k = 0; k < c; k++) logits[k] += xv * v[row + k];
                }

                double max = logits.Max(), z = 0;
                for (int k = 0; k < c; k++) z += Math.Exp(logits[k] - max);
                double logZ = max + Math.Log(z);
                ce += logZ - logits[y[i]];
                for (int k = 0; k < c; k++)
                {
                    double gk = (Math.Exp(logits[k] - logZ) - (k == y[i] ? 1 : 0)) / n;
                    g[(i * c) + k] = gk;
                    gradB[k] += gk;
                }
            }

            // Backward: A = XᵀG, then ∂/∂W_jc = σ_j⁻¹ (A_jc − μ_j Σ_i G_ic) + 2λ W_jc.
            Array.Clear(a);
            for (int i = 0; i < n; i++)
            {
                for (int p = rowPointers[i]; p < rowPointers[i + 1]; p++)
                {
                    double xv = values[p];
                    int row = columns[p] * c;
                    for (int k = 0; k < c; k++) a[row + k] += (float)(xv * g[(i * c) + k]);
                }
            }

            double penalty = 0;
            double correction1 = 1 - Math.Pow(Beta1, step), correction2 = 1 - Math.Pow(Beta2, step);
            float lr = (float)(o.LearningRate * Math.Sqrt(correction2) / correction1);
            for (int j = 0; j < d; j++)
            {
                float s = scale[j];
                if (s == 0) continue;
                int row = j * c;
                for (int k = 0; k < c; k++)
                {
                    int at = row + k;
                    float wk = w[at];
                    penalty += (double)wk * wk;
                    float grad = (float)((s * (a[at] - (mean[j] * gradB[k]))) + (2 * o.L2 * wk));
                    mw[at] = (float)((Beta1 * mw[at]) + ((1 - Beta1) * grad));
                    vw[at] = (float)((Beta2 * vw[at]) + ((1 - Beta2) * grad * grad));
                    w[at] = wk - (lr * mw[at] / (MathF.Sqrt(vw[at]) + (float)(Epsilon * Math.Sqrt(correction2))));
                }
            }

            for (int k = 0; k < c; k++)
            {
                mb[k] = (Beta1 * mb[k]) + ((1 - Beta1) * gradB[k]);
                vb[k] = (Beta2 * vb[k]) + ((1 - Beta2) * gradB[k] * gradB[k]);
                b[k] -= (float)(o.LearningRate * (mb[k] / correction1) / (Math.Sqrt(vb[k] / correction2) + Epsilon));
            }

            loss = (ce / n) + (o.L2 * penalty);
        }

        // The fitted map folded into V and a bias, so prediction reads x alone.
        var bias = new float[c];
        var folded = new double[c];
        for (int j = 0; j < d; j++)
        {
            int row = j * c;
            for (int k = 0; k < c; k++)
            {
                v[row + k] = w[row + k] * scale[j];
                folded[k] += mean[j] * v[row + k];
            }
        }

        for (int k = 0; k < c; k++) bias[k] = (float)(b[k] - folded[k]);
        return new SoftmaxProbe(d, c, v, bias, loss);
    }

    /// <summary>
    /// Chooses λ from <paramref name="grid"/> by a held-out fold of the <em>training</em> rows — a fifth of each class,
    /// picked by a seeded shuffle — scored by the held-out mean cross-entropy (a continuous score: on a small fold many λ
    /// tie on accuracy or macro-F1), then refits on every training row with it.
    /// The test rows are never seen. Returns the probe and the chosen λ.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Fit"/>; or an empty grid, or a class with fewer than two rows.</exception>
    public static (SoftmaxProbe Probe, double L2) FitValidated(CsrMatrix<double> x, IReadOnlyList<int> y, int classes, IReadOnlyList<double> grid, int seed,
        ProbeOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(grid);
        if (grid.Count == 0) throw new ArgumentException("The λ grid is empty.", nameof(grid));
        if (x.Rows != y.Count) throw new ArgumentException($"{x.Rows} feature rows for {y.Count} labels.", nameof(y));
        var o = options ?? new ProbeOptions();
        var (fit, held) = ValidationFold(y, seed);
        var xFit = x.SelectRows(fit);
        var xHeld = x.SelectRows(held);
        int[] yFit = [.. fit.Select(i => y[i])], yHeld = [.. held.Select(i => y[i])];
        double best = double.PositiveInfinity, chosen = grid[0];
        foreach (var l2 in grid.OrderBy(v => v))
        {
            var probe = Fit(xFit, yFit, classes, o with { L2 = l2 }, cancellation);
            double loss = probe.CrossEntropy(xHeld, yHeld);
            if (loss < best)
            {
                best = loss;
                chosen = l2;
            }
        }

        return (Fit(x, y, classes, o with { L2 = chosen }, cancellation), chosen);
    }

    /// <summary>The validation fold of <see cref="FitValidated"/>: (fit rows, held-out rows), a fifth of each class held out (at least one).</summary>
    /// <exception cref="ArgumentException">A class present has fewer than two rows.</exception>
    public static (int[] Fit, int[] Held) ValidationFold(IReadOnlyList<int> y, int seed)
    {
        ArgumentNullException.ThrowIfNull(y);
        var random = new Random(seed);
        var fit = new List<int>();
        var held = new List<int>();
        foreach (var group in Enumerable.Range(0, y.Count).GroupBy(i => y[i]).OrderBy(g => g.Key))
        {
            var ids = group.ToArray();
            if (ids.Length < 2) throw new ArgumentException($"Class {group.Key} has {ids.Length} training row; a validation fold needs two.", nameof(y));
            random.Shuffle(ids);
            int take = Math.Clamp((int)Math.Round(0.2 * ids.Length), 1, ids.Length - 1);
            held.AddRange(ids[..take]);
            fit.AddRange(ids[take..]);
        }

        fit.Sort();
        held.Sort();
        return ([.. fit], [.. held]);
    }

    /// <summary>The mean cross-entropy −log p(y | x) of <paramref name="x"/>'s rows against labels <paramref name="y"/>.</summary>
    /// <exception cref="ArgumentException">Rows and labels differ in number, or a label is out of range.</exception>
    public double CrossEntropy(CsrMatrix<double> x, IReadOnlyList<int> y)
    {
        ArgumentNullException.ThrowIfNull(y);
        var logits = Logits(x);
        if (y.Count != x.Rows) throw new ArgumentException($"{x.Rows} feature rows for {y.Count} labels.", nameof(y));
        if (y.Any(k => k < 0 || k >= Classes)) throw new ArgumentException($"A label is outside 0..{Classes - 1}.", nameof(y));
        double sum = 0;
        for (int i = 0; i < x.Rows; i++)
        {
            var row = logits.AsSpan(i * Classes, Classes);
            double max = double.NegativeInfinity;
            foreach (var v in row) max = Math.Max(max, v);
            double z = 0;
            foreach (var v in row) z += Math.Exp(v - max);
            sum += max + Math.Log(z) - row[y[i]];
        }

        return x.Rows == 0 ? 0 : sum / x.Rows;
    }

    /// <summary>The class scores (N, C) of <paramref name="x"/>, row-major.</summary>
    public double[] Logits(CsrMatrix<double> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Columns != Features) throw new ArgumentException($"The probe has {Features} features; the matrix {x.Columns}.", nameof(x));
        int c = Classes;
        var result = new double[x.Rows * c];
        for (int i = 0; i < x.Rows; i++)
        {
            for (int k = 0; k < c; k++) result[(i * c) + k] = _bias[k];
            var row = x.Row(i);
            for (int p = 0; p < row.Count; p++)
            {
                int at = row.Indices[p] * c;
                for (int k = 0; k < c; k++) result[(i * c) + k] += row.Values[p] * _v[at + k];
            }
        }

        return result;
    }

    /// <summary>The most likely class of each row of <paramref name="x"/> (ties: the lower index).</summary>
    public int[] Predict(CsrMatrix<double> x)
    {
        var logits = Logits(x);
        int c = Classes;
        var result = new int[x.Rows];
        for (int i = 0; i < x.Rows; i++)
        {
            int best = 0;
            for (int k = 1; k < c; k++)
            {
                if (logits[(i * c) + k] > logits[(i * c) + best]) best = k;
            }

            result[i] = best;
        }

        return result;
    }
}
