// The lineage benchmark's one probe: multinomial logistic regression on frozen features.
// Paper:   Alain & Bengio 2016, "Understanding intermediate layers using linear classifier probes", arXiv:1610.01644.
// Lineage: every representation of the benchmark, sparse counts and dense vectors alike, is scored by this same linear
//          classifier, so a difference in score is the representation's, not the classifier's.
// Shapes:  N texts, D features (CSR, dense rows stored with every column), C classes; W (D, C), b (C).
// How:     standardise each feature with the training mean μ and deviation σ, z = (x − μ)/σ, then fit softmax(zW + b)
//          by full-batch Adam on the mean cross-entropy + λ‖W‖² for a fixed number of steps (FrozenProbe's recipe,
//          generalised to C classes). Standardising is done without densifying: zW = x(W/σ) − μ(W/σ), so a step costs
//          O(nnz·C + D·C). A column constant over the training set (σ = 0) is given no weight.
// Deviations: Adam for a fixed number of steps instead of a solver run to convergence (L-BFGS as scikit-learn's
//             LogisticRegression); the anchor row (scikit-learn itself) shows how much that costs.
using Lineage.Text.Encodings;

namespace Lineage.Data.Benchmark;

/// <summary>Settings of <see cref="SoftmaxProbe"/>.</summary>
/// <param name="L2">λ of the penalty λ‖W‖² on standardised features.</param>
/// <param name="Steps">Full-batch Adam steps.</param>
/// <param name="LearningRate">Adam's step size.</param>
public sealed record ProbeOptions(double L2 = 1e-3, int Steps = 300, double LearningRate = 0.05);

/// <summary>A fitted multinomial logistic-regression probe on standardised frozen features (pure .NET).</summary>
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
        for (int j = 0; j < d; j++)
        {
            double m = sum[j] / n;
            double variance = Math.Max(0, (sumSq[j] / n) - (m * m)) * n / Math.Max(1, n - 1);
            double sd = Math.Sqrt(variance);
            mean[j] = (float)m;
            scale[j] = sd > 1e-12 ? (float)(1 / Math.Max(sd, 1e-6)) : 0f;
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
