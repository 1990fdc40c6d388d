// GloVe: word vectors from global co-occurrence statistics.
// Paper:   Pennington, Socher & Manning 2014, "GloVe: Global Vectors for Word Representation" (EMNLP).
// Lineage: Word2Vec learns from one window at a time; GloVe fits log co-occurrence counts of the whole corpus at once
//          with a weighted least-squares model, J = Σ_ij f(X_ij) (w_i·w̃_j + b_i + b̃_j − log X_ij)²,
//          f(x) = min(1, (x / x_max)^α), so that ratios of co-occurrence probabilities become vector differences.
// Follows: Stanford's glove.c (uniform init in ±0.5/D, AdaGrad with squared-gradient accumulators starting at 1,
//          non-finite updates rejected, output W + W̃).
// Deviations: X is stored once (upper triangle) and each entry trains both directions in turn, instead of storing
//          X_ij and X_ji as separate shuffled records; the shuffle is an in-memory Fisher–Yates per epoch.
// Shapes:  V vocabulary, D dimensions. W and W̃ [V×D], biases b and b̃ [V], AdaGrad accumulators of the same shapes.
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Lineage.Text.Embeddings.Vectors;
using Lineage.Text.Embeddings.Word2Vec;

namespace Lineage.Text.Embeddings.Glove;

/// <summary>A trained GloVe model.</summary>
public sealed class GloveModel
{
    internal GloveModel(GloveOptions options, Vocabulary vocabulary, float[] w, float[] wTilde, float[] b, float[] bTilde)
    {
        Options = options;
        Vocabulary = vocabulary;
        W = w;
        WTilde = wTilde;
        Bias = b;
        BiasTilde = bTilde;
    }

    /// <summary>Options used.</summary>
    public GloveOptions Options { get; }

    /// <summary>Words, most frequent first.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Word vectors W [V×D].</summary>
    public float[] W { get; }

    /// <summary>Context vectors W̃ [V×D].</summary>
    public float[] WTilde { get; }

    /// <summary>Word biases b [V].</summary>
    public float[] Bias { get; }

    /// <summary>Context biases b̃ [V].</summary>
    public float[] BiasTilde { get; }

    /// <summary>Mean weighted cost J / entries after each epoch.</summary>
    public List<double> EpochCosts { get; } = [];

    /// <summary>Non-zero co-occurrence entries (upper triangle).</summary>
    public int Entries { get; internal set; }

    /// <summary>Shards spilled to disk while counting.</summary>
    public int SpilledShards { get; internal set; }

    /// <summary>Seconds spent counting co-occurrences.</summary>
    public double CountSeconds { get; internal set; }

    /// <summary>Seconds spent in the AdaGrad epochs.</summary>
    public double TrainSeconds { get; internal set; }

    /// <summary>W + W̃, the output the GloVe paper recommends (§4.2), as queryable vectors.</summary>
    public WordVectors ToWordVectors()
    {
        var sum = new float[W.Length];
        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] = W[i] + WTilde[i];
        }

        return new WordVectors(Vocabulary.Words, sum, Options.Dimensions, Vocabulary.Counts);
    }
}

/// <summary>Counts co-occurrences and fits GloVe with AdaGrad over Hogwild threads.</summary>
public static unsafe class GloveTrainer
{
    /// <summary>Reads a whitespace-tokenised text file, counts co-occurrences and trains.</summary>
    /// <exception cref="InvalidDataException">Empty corpus, every word under min_count, or corpus smaller than the window.</exception>
    public static GloveModel Train(string corpusPath, GloveOptions options, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var corpus = EmbeddingCorpus.FromFile(corpusPath, new CorpusOptions(options.MinCount, options.MaxVocab, int.MaxValue), cancellation);
        return Train(corpus, options, progress, cancellation);
    }

    /// <summary>Counts co-occurrences in a tokenised corpus and trains.</summary>
    public static GloveModel Train(EmbeddingCorpus corpus, GloveOptions options, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (corpus.Tokens.Length <= options.Window)
        {
            throw new InvalidDataException(
                $"The corpus has {corpus.Tokens.Length} words after min_count = {options.MinCount}, not more than the window ({options.Window}): nothing to learn from.");
        }

        var clock = Stopwatch.StartNew();
        var x = CooccurrenceMatrix.Build(corpus, options.Window, options.MemoryMb, options.TempDirectory, cancellation);
        if (x.Count == 0)
        {
            throw new InvalidDataException("No two words co-occur within the window: every line has a single word.");
        }

        double countSeconds = clock.Elapsed.TotalSeconds;
        var model = Fit(x, corpus.Vocabulary, options, progress, cancellation);
        model.CountSeconds = countSeconds;
        model.SpilledShards = x.SpilledShards;
        return model;
    }

    /// <summary>Fits W, W̃, b, b̃ to a co-occurrence matrix.</summary>
    public static GloveModel Fit(CooccurrenceMatrix x, Vocabulary vocabulary, GloveOptions options, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(options);
        int v = vocabulary.Count, dim = options.Dimensions;
        var rng = new Random(options.Seed);
        float[] Init(int n)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++)
            {
                a[i] = (float)((rng.NextDouble() - 0.5) / dim);
            }

            return a;
        }

        var model = new GloveModel(options, vocabulary, Init(v * dim), Init(v * dim), Init(v), Init(v)) { Entries = x.Count };
        var gradW = Ones(v * dim);
        var gradWt = Ones(v * dim);
        var gradB = Ones(v);
        var gradBt = Ones(v);
        var order = new int[x.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var clock = Stopwatch.StartNew();
        long total = (long)options.Epochs * x.Count;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            rng.Shuffle(order);
            int threads = Math.Max(1, Math.Min(options.Threads, order.Length / 1000 + 1));
            var costs = new double[threads];
            long done = (long)epoch * x.Count;
            var tasks = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
            {
                int from = (int)((long)order.Length * t / threads), to = (int)((long)order.Length * (t + 1) / threads);
                costs[t] = Epoch(x, order, from, to, model, gradW, gradWt, gradB, gradBt, options, t == 0 ? (n => Report(n)) : null, cancellation);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
            try
            {
                Task.WaitAll(tasks, CancellationToken.None);
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                throw e.InnerExceptions[0];
            }

            cancellation.ThrowIfCancellationRequested();
            double cost = costs.Sum() / x.Count;
            if (!double.IsFinite(cost))
            {
                throw new InvalidOperationException($"GloVe diverged in epoch {epoch + 1}: the cost is {cost} (learning rate {options.LearningRate} too large?).");
            }

            model.EpochCosts.Add(cost);
            Report(x.Count / threads, force: true);

            void Report(long inThread0, bool force = false)
            {
                long processed = done + inThread0 * threads;
                progress?.Report(new EmbeddingProgress(epoch + 1, options.Epochs, Math.Min(processed, total), total,
                    processed / Math.Max(1e-9, clock.Elapsed.TotalSeconds), options.LearningRate));
            }
        }

        model.TrainSeconds = clock.Elapsed.TotalSeconds;
        return model;
    }

    private static float[] Ones(int n)
    {
        var a = new float[n];
        Array.Fill(a, 1f);
        return a;
    }

    /// <summary>One worker's share of an epoch; returns its part of the cost Σ ½ f(X)(w·w̃ + b + b̃ − log X)².</summary>
    private static double Epoch(CooccurrenceMatrix x, int[] order, int from, int to, GloveModel m, float[] gradW, float[] gradWt,
        float[] gradB, float[] gradBt, GloveOptions options, Action<long>? report, CancellationToken cancellation)
    {
        int dim = options.Dimensions;
        float eta = (float)options.LearningRate, xMax = (float)options.XMax, alpha = (float)options.Alpha;
        double cost = 0;
        fixed (float* w = m.W, wt = m.WTilde, b = m.Bias, bt = m.BiasTilde, gw = gradW, gwt = gradWt, gb = gradB, gbt = gradBt)
        {
            for (int k = from; k < to; k++)
            {
                if (((k - from) & 0xFFFF) == 0)
                {
                    if (cancellation.IsCancellationRequested)
                    {
                        return cost;
                    }

                    report?.Invoke(k - from);
                }

                int e = order[k];
                int i = x.Rows[e], j = x.Cols[e];
                float value = x.Values[e];
                float logX = MathF.Log(value);
                float weight = value > xMax ? 1f : MathF.Pow(value / xMax, alpha);
                cost += Step(w, wt, b, bt, gw, gwt, gb, gbt, i, j, logX, weight, eta, dim);
                if (i != j)
                {
                    cost += Step(w, wt, b, bt, gw, gwt, gb, gbt, j, i, logX, weight, eta, dim);
                }
            }
        }

        return cost;
    }

    /// <summary>1/√x: the hardware estimate (12 bits, plenty for an AdaGrad step size) where AVX has one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> InverseSqrt(Vector<float> x) =>
        Vector<float>.Count == 8 && System.Runtime.Intrinsics.X86.Avx.IsSupported
            ? System.Runtime.Intrinsics.X86.Avx.ReciprocalSqrt(x.AsVector256()).AsVector()
            : Vector<float>.One / Vector.SquareRoot(x);

    /// <summary>
    /// One AdaGrad step on the term for (word i, context j): diff = w_i·w̃_j + b_i + b̃_j − log X_ij; with g = f(X)·diff,
    /// ∂/∂w_i = g·w̃_j and ∂/∂w̃_j = g·w_i; each parameter moves by −η·grad/√(Σ grad²) (glove.c's update).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Step(float* w, float* wt, float* b, float* bt, float* gw, float* gwt, float* gb, float* gbt,
        int i, int j, float logX, float weight, float eta, int dim)
    {
        float* wi = w + (long)i * dim, wj = wt + (long)j * dim, gi = gw + (long)i * dim, gj = gwt + (long)j * dim;
        float diff = Simd.Dot(wi, wj, dim) + b[i] + bt[j] - logX;
        float fdiff = weight * diff;
        if (!float.IsFinite(fdiff))
        {
            return double.NaN;
        }

        double cost = 0.5 * fdiff * diff;
        fdiff *= eta;
        int vw = Vector<float>.Count, d = 0;
        var vf = new Vector<float>(fdiff);
        for (; d <= dim - vw; d += vw)
        {
            var a = Unsafe.ReadUnaligned<Vector<float>>(wi + d);
            var c = Unsafe.ReadUnaligned<Vector<float>>(wj + d);
            var t1 = vf * c; // gradient for w_i (times η)
            var t2 = vf * a; // gradient for w̃_j
            var g1 = Unsafe.ReadUnaligned<Vector<float>>(gi + d);
            var g2 = Unsafe.ReadUnaligned<Vector<float>>(gj + d);
            Unsafe.WriteUnaligned(wi + d, a - t1 * InverseSqrt(g1));
            Unsafe.WriteUnaligned(wj + d, c - t2 * InverseSqrt(g2));
            Unsafe.WriteUnaligned(gi + d, g1 + t1 * t1);
            Unsafe.WriteUnaligned(gj + d, g2 + t2 * t2);
        }

        for (; d < dim; d++)
        {
            float t1 = fdiff * wj[d], t2 = fdiff * wi[d];
            wi[d] -= t1 / MathF.Sqrt(gi[d]);
            wj[d] -= t2 / MathF.Sqrt(gj[d]);
            gi[d] += t1 * t1;
            gj[d] += t2 * t2;
        }

        b[i] -= fdiff / MathF.Sqrt(gb[i]);
        bt[j] -= fdiff / MathF.Sqrt(gbt[j]);
        gb[i] += fdiff * fdiff;
        gbt[j] += fdiff * fdiff;
        return cost;
    }
}
