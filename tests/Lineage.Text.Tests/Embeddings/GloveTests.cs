using Lineage.Text.Embeddings;
using Lineage.Text.Embeddings.Glove;

namespace Lineage.Text.Tests.Embeddings;

public class GloveTests
{
    [Fact]
    public void Cooccurrence_WeightsByInverseDistance_SymmetricWithinLines()
    {
        // ids by count: a=0 (3), b=1 (2), c=2 (1)
        var corpus = EmbeddingCorpus.FromText("a b c a\na b\n", new CorpusOptions(MinCount: 1));
        var x = CooccurrenceMatrix.Build(corpus, window: 2, memoryMb: 16);
        // Line 1: a-b (d1), a-c (d2), b-c (d1), b-a (d2), c-a (d1). Line 2: a-b (d1). Lines do not share windows.
        Assert.Equal(1 + 0.5 + 1, x.Get(0, 1), 6);
        Assert.Equal(x.Get(0, 1), x.Get(1, 0), 6);
        Assert.Equal(0.5 + 1, x.Get(0, 2), 6);
        Assert.Equal(1, x.Get(1, 2), 6);
        Assert.Equal(0, x.Get(0, 0), 6);
    }

    [Fact]
    public void Cooccurrence_SpilledShards_EqualInMemoryCounts()
    {
        var corpus = EmbeddingCorpus.FromText(EmbeddingTestData.ClassCorpus(20_000) + string.Join(' ', Enumerable.Range(0, 60_000).Select(i => $"w{i % 9000}")), new CorpusOptions(MinCount: 1));
        using var dir = new TempFolder();
        var big = CooccurrenceMatrix.Build(corpus, window: 5, memoryMb: 512);
        var small = CooccurrenceMatrix.Build(corpus, window: 5, memoryMb: 1, tempDirectory: dir.Path);
        Assert.Equal(0, big.SpilledShards);
        Assert.True(small.SpilledShards > 1, $"expected spills, got {small.SpilledShards}");
        Assert.Equal(big.Rows, small.Rows);
        Assert.Equal(big.Cols, small.Cols);
        for (int k = 0; k < big.Count; k++)
        {
            Assert.Equal(big.Values[k], small.Values[k], 3);
        }

        Assert.Empty(Directory.GetFiles(dir.Path)); // shards deleted
    }

    [Fact]
    public unsafe void Step_MatchesScalarAdaGradOnTheWeightedLeastSquaresTerm()
    {
        const int dim = 11;
        var rng = new Random(5);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        float[] w = R(2 * dim), wt = R(2 * dim), b = R(2), bt = R(2);
        float[] gw = R(2 * dim).Select(v => 1 + Math.Abs(v)).ToArray(), gwt = R(2 * dim).Select(v => 1 + Math.Abs(v)).ToArray();
        float[] gb = [1.5f, 2f], gbt = [1.2f, 1.1f];
        const float logX = 0.7f, weight = 0.3f, eta = 0.05f;
        int i = 1, j = 0;

        // Scalar reference: J = ½ f (w_i·w̃_j + b_i + b̃_j − log X)², AdaGrad with the accumulators before the step.
        double diff = b[i] + bt[j] - logX;
        for (int d = 0; d < dim; d++)
        {
            diff += w[i * dim + d] * wt[j * dim + d];
        }

        double g = weight * diff;
        var ew = (float[])w.Clone();
        var ewt = (float[])wt.Clone();
        for (int d = 0; d < dim; d++)
        {
            ew[i * dim + d] -= (float)(eta * g * wt[j * dim + d] / Math.Sqrt(gw[i * dim + d]));
            ewt[j * dim + d] -= (float)(eta * g * w[i * dim + d] / Math.Sqrt(gwt[j * dim + d]));
        }

        float eb = (float)(b[i] - eta * g / Math.Sqrt(gb[i]));
        double cost;
        fixed (float* pw = w, pwt = wt, pb = b, pbt = bt, pgw = gw, pgwt = gwt, pgb = gb, pgbt = gbt)
        {
            cost = GloveTrainer.Step(pw, pwt, pb, pbt, pgw, pgwt, pgb, pgbt, i, j, logX, weight, eta, dim);
        }

        Assert.Equal(0.5 * weight * diff * diff, cost, 5);
        for (int d = 0; d < 2 * dim; d++)
        {
            Assert.Equal(ew[d], w[d], 5);
            Assert.Equal(ewt[d], wt[d], 5);
        }

        Assert.Equal(eb, b[i], 5);
    }

    [Fact]
    public void Train_ClassCorpus_CostFalls_AndNeighboursShareTheClass()
    {
        var corpus = EmbeddingCorpus.FromText(EmbeddingTestData.ClassCorpus(3000), new CorpusOptions(MinCount: 1));
        var model = GloveTrainer.Train(corpus, new GloveOptions { Dimensions = 16, Window = 4, Epochs = 25, MinCount = 1, Threads = 2, XMax = 10 });
        Assert.True(model.EpochCosts[^1] < model.EpochCosts[0] / 2, $"costs {string.Join(", ", model.EpochCosts)}");
        var vectors = model.ToWordVectors();
        foreach (var group in new[] { EmbeddingTestData.Animals, EmbeddingTestData.Tools })
        {
            var top = vectors.MostSimilar(group[0], topN: 3).Select(s => s.Word).ToList();
            Assert.True(top.Count(group.Contains) >= 2, $"neighbours of {group[0]}: {string.Join(", ", top)}");
        }
    }

    [Fact]
    public void Train_BadInput_ClearErrors()
    {
        var tiny = EmbeddingCorpus.FromText("a b c\n", new CorpusOptions(MinCount: 1));
        Assert.Contains("window", Assert.Throws<InvalidDataException>(() => GloveTrainer.Train(tiny, new GloveOptions { MinCount = 1 })).Message);
        var lonely = EmbeddingCorpus.FromText(string.Join('\n', Enumerable.Repeat("a", 20)), new CorpusOptions(MinCount: 1));
        Assert.Contains("co-occur", Assert.Throws<InvalidDataException>(() => GloveTrainer.Train(lonely, new GloveOptions { MinCount = 1, Window = 2 })).Message);
        Assert.Throws<ArgumentException>(() => new GloveOptions { XMax = 0 }.Validate());
    }

    [Fact]
    public void Train_Cancelled_Throws()
    {
        var corpus = EmbeddingCorpus.FromText(EmbeddingTestData.ClassCorpus(2000), new CorpusOptions(MinCount: 1));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => GloveTrainer.Train(corpus, new GloveOptions { MinCount = 1, Dimensions = 8 }, null, cts.Token));
    }
}
