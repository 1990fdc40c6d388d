using Lineage.Text.Embeddings;
using Lineage.Text.Embeddings.Word2Vec;

namespace Lineage.Text.Tests.Embeddings;

public class Word2VecTests
{
    private static Word2VecOptions Small(Word2VecArchitecture arch = Word2VecArchitecture.SkipGram, bool hs = false) => new()
    {
        Architecture = arch,
        HierarchicalSoftmax = hs,
        Negative = hs ? 0 : 5,
        Dimensions = 24,
        Window = 3,
        MinCount = 1,
        Sample = 0,
        Epochs = 5,
        Threads = 1,
        Seed = 3,
    };

    [Fact]
    public unsafe void NegativeSamplingStep_MatchesScalarGradientOfTheLoss()
    {
        // One update of the SIMD kernel against a straightforward double-precision implementation of
        // SGD on L = −log σ(u₀·v) − Σₖ log σ(−uₖ·v), whose gradient is itself checked by finite differences.
        const int dim = 37; // not a multiple of the SIMD width: exercises the scalar tail
        const int words = 6;
        var rng = new Random(11);
        var input = Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var output = Enumerable.Range(0, words * dim).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        int[] targets = [2, 0, 5, 3]; // true word 2, noise 0, 5, 3
        const float alpha = 0.1f;

        double Loss(double[] v, double[] u)
        {
            double loss = 0;
            for (int d = 0; d < targets.Length; d++)
            {
                double f = 0;
                for (int i = 0; i < dim; i++)
                {
                    f += v[i] * u[targets[d] * dim + i];
                }

                loss -= Math.Log(1 / (1 + Math.Exp(d == 0 ? -f : f)));
            }

            return loss;
        }

        var v0 = input.Select(x => (double)x).ToArray();
        var u0 = output.Select(x => (double)x).ToArray();

        // Analytic gradient (the scalar reference).
        var gradV = new double[dim];
        var gradU = new double[words * dim];
        for (int d = 0; d < targets.Length; d++)
        {
            int t = targets[d];
            double f = 0;
            for (int i = 0; i < dim; i++)
            {
                f += v0[i] * u0[t * dim + i];
            }

            double coef = 1 / (1 + Math.Exp(-f)) - (d == 0 ? 1 : 0); // σ(f) − label
            for (int i = 0; i < dim; i++)
            {
                gradV[i] += coef * u0[t * dim + i];
                gradU[t * dim + i] += coef * v0[i];
            }
        }

        // Finite differences confirm the analytic gradient.
        for (int i = 0; i < dim; i += 5)
        {
            var plus = (double[])v0.Clone();
            var minus = (double[])v0.Clone();
            plus[i] += 1e-6;
            minus[i] -= 1e-6;
            double numeric = (Loss(plus, u0) - Loss(minus, u0)) / 2e-6;
            Assert.Equal(gradV[i], numeric, 5);
        }

        // The kernel: neu1e accumulates −α·∂L/∂v, the output rows are stepped by −α·∂L/∂u.
        var neu1e = new float[dim];
        fixed (float* pIn = input, pOut = output, pE = neu1e)
        {
            Word2VecTrainer.NegativeSamplingStep(pIn, pOut, dim, targets, alpha, pE);
        }

        for (int i = 0; i < dim; i++)
        {
            Assert.Equal(-alpha * gradV[i], neu1e[i], 5);
        }

        for (int k = 0; k < words * dim; k++)
        {
            Assert.Equal(u0[k] - alpha * gradU[k], output[k], 5);
        }
    }

    [Fact]
    public void HuffmanTree_CodesArePrefixFreeAndFrequentWordsShorter()
    {
        long[] counts = [100, 50, 40, 10, 5, 5, 2, 1];
        var tree = HuffmanTree.Build(counts);
        var codes = Enumerable.Range(0, counts.Length)
            .Select(w => string.Concat(tree.Codes[tree.Offsets[w]..tree.Offsets[w + 1]].Select(c => (char)('0' + c)))).ToList();
        for (int a = 0; a < codes.Count; a++)
        {
            for (int b = 0; b < codes.Count; b++)
            {
                Assert.True(a == b || !codes[b].StartsWith(codes[a], StringComparison.Ordinal), $"{codes[a]} is a prefix of {codes[b]}");
            }
        }

        Assert.True(codes[0].Length < codes[^1].Length);
        Assert.All(tree.Points, p => Assert.InRange(p, 0, counts.Length - 2));
        Assert.All(Enumerable.Range(0, counts.Length), w => Assert.Equal(counts.Length - 2, tree.Points[tree.Offsets[w]])); // root first
    }

    [Theory]
    [InlineData(Word2VecArchitecture.SkipGram, false)]
    [InlineData(Word2VecArchitecture.SkipGram, true)]
    [InlineData(Word2VecArchitecture.Cbow, false)]
    [InlineData(Word2VecArchitecture.Cbow, true)]
    public void Train_ClassCorpus_NeighboursShareTheClass(Word2VecArchitecture arch, bool hs)
    {
        var corpus = EmbeddingCorpus.FromText(EmbeddingTestData.ClassCorpus(3000), new CorpusOptions(MinCount: 1));
        var vectors = Word2VecTrainer.Train(corpus, Small(arch, hs) with { Threads = 2 }).ToWordVectors();
        foreach (var group in new[] { EmbeddingTestData.Animals, EmbeddingTestData.Foods, EmbeddingTestData.Tools, EmbeddingTestData.People })
        {
            var top = vectors.MostSimilar(group[0], topN: 3).Select(s => s.Word).ToList();
            Assert.True(top.Count(group.Contains) >= 2, $"{arch} hs={hs}: neighbours of {group[0]}: {string.Join(", ", top)}");
        }
    }

    [Fact]
    public void Train_SingleThreadSameSeed_IsBitIdentical_OtherSeedDiffers()
    {
        var corpus = EmbeddingCorpus.FromText(EmbeddingTestData.ClassCorpus(500), new CorpusOptions(MinCount: 1));
        var options = Small() with { Sample = 1e-2, Epochs = 2 };
        var a = Word2VecTrainer.Train(corpus, options);
        var b = Word2VecTrainer.Train(corpus, options);
        var c = Word2VecTrainer.Train(corpus, options with { Seed = 4 });
        Assert.Equal(a.Syn0, b.Syn0);
        Assert.Equal(a.Syn1Neg, b.Syn1Neg);
        Assert.NotEqual(a.Syn0, c.Syn0);
    }

    [Fact]
    public void Train_CancelledThenResumed_EqualsUninterruptedRun()
    {
        using var dir = new TempFolder();
        var corpus = EmbeddingCorpus.FromText(EmbeddingTestData.ClassCorpus(500), new CorpusOptions(MinCount: 1));
        var options = Small() with { Epochs = 3, HierarchicalSoftmax = true, Sample = 1e-2 };
        var full = Word2VecTrainer.Train(corpus, options);

        // Cancel at the end of epoch 2: the run stops before saving it, so the checkpoint holds epoch 1.
        var checkpoint = dir["w2v.ckpt"];
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Epoch == 2 && p.WordsProcessed == 2L * corpus.Tokens.Length)
            {
                cts.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Word2VecTrainer.Train(corpus, options with { CheckpointPath = checkpoint }, progress, cts.Token));
        Assert.True(File.Exists(checkpoint));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));

        var resumed = Word2VecTrainer.Train(corpus, options with { CheckpointPath = checkpoint, Resume = true });
        Assert.Equal(full.Syn0, resumed.Syn0);
        Assert.Equal(full.Syn1Neg, resumed.Syn1Neg);
        Assert.Equal(full.Syn1, resumed.Syn1);
    }

    [Fact]
    public void Resume_WithOtherOptions_IsRefused()
    {
        using var dir = new TempFolder();
        var corpus = EmbeddingCorpus.FromText(EmbeddingTestData.ClassCorpus(200), new CorpusOptions(MinCount: 1));
        var checkpoint = dir["w2v.ckpt"];
        Word2VecTrainer.Train(corpus, Small() with { Epochs = 1, CheckpointPath = checkpoint });
        var e = Assert.Throws<InvalidDataException>(() =>
            Word2VecTrainer.Train(corpus, Small() with { Epochs = 2, Dimensions = 8, CheckpointPath = checkpoint, Resume = true }));
        Assert.Contains("other options", e.Message);
    }

    [Fact]
    public void Resume_FromADamagedCheckpoint_IsRefusedByItsChecksum()
    {
        // Issue 29: a flipped byte in a checkpoint used to resume silently.
        using var dir = new TempFolder();
        var corpus = EmbeddingCorpus.FromText(EmbeddingTestData.ClassCorpus(200), new CorpusOptions(MinCount: 1));
        var checkpoint = dir["w2v.ckpt"];
        Word2VecTrainer.Train(corpus, Small() with { Epochs = 1, CheckpointPath = checkpoint });
        var bytes = File.ReadAllBytes(checkpoint);
        bytes[bytes.Length - 100] ^= 0x01;
        File.WriteAllBytes(checkpoint, bytes);
        var e = Assert.Throws<InvalidDataException>(() =>
            Word2VecTrainer.Train(corpus, Small() with { Epochs = 2, CheckpointPath = checkpoint, Resume = true }));
        Assert.Contains("checksum", e.Message);
        Assert.Contains(checkpoint, e.Message);
    }

    [Fact]
    public void Train_BadInput_ClearErrors()
    {
        using var dir = new TempFolder();
        var empty = dir.Write("empty.txt", "  \n\n ");
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => Word2VecTrainer.Train(empty, Small())).Message);
        var rare = dir.Write("rare.txt", "a b c d e f g\n");
        Assert.Contains("min_count", Assert.Throws<InvalidDataException>(() => Word2VecTrainer.Train(rare, Small() with { MinCount = 2 })).Message);
        var tiny = dir.Write("tiny.txt", "a b c\n");
        Assert.Contains("window", Assert.Throws<InvalidDataException>(() => Word2VecTrainer.Train(tiny, Small() with { Window = 5 })).Message);
        Assert.Throws<FileNotFoundException>(() => Word2VecTrainer.Train(dir["missing.txt"], Small()));
        var fine = dir.Write("fine.txt", EmbeddingTestData.ClassCorpus(50));
        Assert.Throws<DirectoryNotFoundException>(() => Word2VecTrainer.Train(fine, Small() with { CheckpointPath = Path.Combine(dir.Path, "no", "c.ckpt") }));
        Assert.Throws<ArgumentException>(() => (Small() with { Negative = 0, HierarchicalSoftmax = false }).Validate());
        Assert.Throws<ArgumentException>(() => (Small() with { Dimensions = 0 }).Validate());
    }

    [Fact]
    public void Train_Diverging_ReportsNaN()
    {
        var corpus = EmbeddingCorpus.FromText(EmbeddingTestData.ClassCorpus(300), new CorpusOptions(MinCount: 1));
        var e = Assert.Throws<InvalidOperationException>(() => Word2VecTrainer.Train(corpus, Small() with { Alpha = 1e30, Epochs = 1 }));
        Assert.Contains("diverged", e.Message);
    }

    [Fact]
    public void NoiseSampler_FollowsUnigramToThreeQuarters()
    {
        // The alias table's implied distribution is count^0.75 / Σ count^0.75 to within its 32-bit thresholds, for a
        // Zipf-like vocabulary (shares from 0.2 down to 10⁻⁶) and for a uniform one (every slot keeps its own word).
        var zipf = Enumerable.Range(1, 5000).Select(r => (long)Math.Max(1, 1_000_000 / r)).ToArray();
        foreach (var counts in new[] { zipf, [7L, 7, 7, 7], [1000L, 100, 10], [5L] })
        {
            var p = NoiseSampler.Build(counts).Probabilities();
            double z = counts.Sum(c => Math.Pow(c, 0.75));
            for (int w = 0; w < counts.Length; w++)
            {
                Assert.Equal(Math.Pow(counts[w], 0.75) / z, p[w], 1e-8);
            }
        }
    }

    [Fact]
    public void NoiseSampler_DrawsMatchTheDistribution()
    {
        // Draws over the full 32-bit input range, sampled evenly: each word's frequency is its probability.
        long[] counts = [1000, 100, 10, 1, 1];
        var sampler = NoiseSampler.Build(counts);
        var seen = new long[counts.Length];
        const int n = 1 << 22;
        for (long i = 0; i < n; i++)
        {
            seen[sampler.Draw((uint)(i * (1L << 32) / n))]++;
        }

        double z = counts.Sum(c => Math.Pow(c, 0.75));
        for (int w = 0; w < counts.Length; w++)
        {
            Assert.Equal(Math.Pow(counts[w], 0.75) / z, seen[w] / (double)n, 1e-5);
        }
    }

    private sealed class SyncProgress(Action<EmbeddingProgress> report) : IProgress<EmbeddingProgress>
    {
        public void Report(EmbeddingProgress value) => report(value);
    }
}
