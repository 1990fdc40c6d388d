using Lineage.Data.Benchmark;

namespace Lineage.Data.Tests.Benchmark;

public sealed class TaskMetricsTests
{
    [Fact]
    public void Classification_HandComputed()
    {
        // truth 0 0 1 1 2, predicted 0 1 1 1 0: accuracy 3/5;
        // F1: class 0 tp 1 fp 1 fn 1 → 0.5; class 1 tp 2 fp 1 fn 0 → 0.8; class 2 tp 0 → 0; macro (0.5 + 0.8 + 0)/3.
        var s = TaskMetrics.Classification([0, 1, 1, 1, 0], [0, 0, 1, 1, 2], 3);
        Assert.Equal(0.6, s.Accuracy, 12);
        Assert.Equal(1.3 / 3, s.MacroF1, 12);
    }

    [Fact]
    public void Ranks_HandComputed_TiesArePessimistic()
    {
        double[] s =
        [
            0.9, 0.1, 0.2,   // query 0: its document first → 1
            0.5, 0.4, 0.6,   // query 1: two above → 3
            0.0, 0.0, 0.0,   // query 2: all tied → last, 3
        ];
        Assert.Equal([1, 3, 3], TaskMetrics.Ranks(s, 3));
        var r = TaskMetrics.Retrieval([1, 3, 3]);
        Assert.Equal(1 / 3.0, r.RecallAt1, 12);
        Assert.Equal(1.0, r.RecallAt10, 12);
        Assert.Equal((1 + (1 / 3.0) + (1 / 3.0)) / 3, r.Mrr, 12);
    }

    [Fact]
    public void Retrieval_RankEleven_MissesRecallAt10() => Assert.Equal(0.5, TaskMetrics.Retrieval([10, 11]).RecallAt10, 12);

    [Fact]
    public void Cosine_MatchesDenseComputation()
    {
        var q = WordVectorMean.Dense([1, 0, 0, 3, 4, 0], 2, 3);
        var d = WordVectorMean.Dense([2, 0, 0, 0, 1, 1, 0, 0, 0], 3, 3);
        var s = TaskMetrics.Cosine(q, d);
        double[] expected = [1, 0, 0, 0.6, 0.8 / Math.Sqrt(2), 0];
        Assert.Equal(expected.Length, s.Length);
        for (int i = 0; i < s.Length; i++) Assert.Equal(expected[i], s[i], 12);
    }
}
