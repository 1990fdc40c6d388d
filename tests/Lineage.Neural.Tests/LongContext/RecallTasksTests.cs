using Lineage.Neural.LongContext;

namespace Lineage.Neural.Tests.LongContext;

/// <summary>The synthetic recall tasks: the reference solver is always right, a uniform guess scores chance, each seed gives one stream, bad sizes are refused.</summary>
public class RecallTasksTests
{
    public static TheoryData<string, int, int, int> Tasks => new()
    {
        { "mqar", 64, 4, 8192 },
        { "mqar", 64, 16, 128 },       // the most pairs 64 tokens hold
        { "mqar", 256, 16, 512 },
        { "selective-copy", 64, 0, 16 },
        { "selective-copy", 32, 0, 16 }, // no noise at all: 16 tokens, 16 markers
        { "induction", 256, 0, 16 },
        { "induction", 3, 0, 4 },
    };

    private static IRecallTask Task(string id, int length, int pairs, int vocab) => RecallTasks.Create(id, length, pairs, vocab);

    [Theory]
    [MemberData(nameof(Tasks))]
    public void ReferenceSolver_ScoresEveryScoredPosition(string id, int length, int pairs, int vocab)
    {
        var task = Task(id, length, pairs, vocab);
        var examples = RecallTasks.Examples(task, 200, seed: 3, stream: 0);
        Assert.Equal(1.0, RecallTasks.Accuracy(examples, [.. examples.Select(e => task.Solve(e.Inputs))]));
        foreach (var e in examples)
        {
            Assert.Equal(length, e.Inputs.Length);
            Assert.All(e.Inputs, t => Assert.InRange(t, 0, vocab - 1));
            for (int t = 0; t < length; t++)
            {
                Assert.Equal(e.Scored[t], e.Targets[t] != RecallExample.Ignore);
                if (e.Scored[t]) Assert.InRange(e.Targets[t], task.Answers.From, task.Answers.To - 1);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void UniformGuess_ScoresChance(string id, int length, int pairs, int vocab)
    {
        var task = Task(id, length, pairs, vocab);
        var examples = RecallTasks.Examples(task, 2000, seed: 4, stream: 0);
        var rng = new Random(5);
        double accuracy = RecallTasks.Accuracy(examples, [.. examples.Select(_ => RecallTasks.Guess(task, length, rng))]);
        long scored = examples.Sum(e => e.ScoredCount);
        double tolerance = RecallTasks.ChanceTolerance(task.Chance, scored);
        Assert.True(Math.Abs(accuracy - task.Chance) <= tolerance, $"{id}: {accuracy:0.0000} against chance {task.Chance:0.0000} ± {tolerance:0.0000} over {scored} positions");
    }

    [Fact]
    public void ScoredPositions_AreWhereEachTaskSaysTheyAre()
    {
        var mqar = RecallTasks.Examples(new Mqar(new MqarConfig(64, 4, 8192)), 50, 1, 0);
        Assert.All(mqar, e => Assert.Equal(4, e.ScoredCount));
        Assert.All(mqar, e => Assert.DoesNotContain(true, e.Scored.Take(8)));                         // the pairs are never scored
        Assert.All(mqar, e => Assert.All(Enumerable.Range(0, 64).Where(t => e.Scored[t]), t => Assert.Equal(0, t % 2)));
        Assert.All(mqar, e => Assert.All(Enumerable.Range(8, 56).Where(t => !e.Scored[t]), t => Assert.Equal(0, e.Inputs[t])));   // figure 2: no random non-queries

        var copy = new SelectiveCopy(new SelectiveCopyConfig(64, 16, 16));
        Assert.All(RecallTasks.Examples(copy, 50, 1, 0), e =>
        {
            Assert.Equal(Enumerable.Range(48, 16), Enumerable.Range(0, 64).Where(t => e.Scored[t]));
            Assert.Equal(16, e.Inputs.Take(48).Count(t => t != SelectiveCopy.Noise));
            Assert.All(e.Inputs.Skip(48), t => Assert.Equal(copy.Marker, t));
        });

        var induction = new InductionHeads(new InductionHeadsConfig(32, 16));
        Assert.All(RecallTasks.Examples(induction, 50, 1, 0), e =>
        {
            Assert.Equal(new[] { 31 }, Enumerable.Range(0, 32).Where(t => e.Scored[t]));
            Assert.Equal(2, e.Inputs.Count(t => t == induction.Trigger));
        });
    }

    [Fact]
    public void MqarQueries_FollowThePowerLaw_MostSoonAfterThePairs()
    {
        // p(g) ∝ (g + 1)^(−0.99) over 28 gaps (N = 64, K = 4): the first gap alone gets ≈ 1/H₂₈ ≈ 0.26 of single draws, the
        // first quarter of the room far more than a quarter of the queries; uniform placement (a = 1) gives a quarter.
        double FirstQuarter(double a)
        {
            var examples = RecallTasks.Examples(new Mqar(new MqarConfig(64, 4, 8192, PowerA: a)), 2000, 2, 0);
            return examples.Average(e => Enumerable.Range(8, 56).Count(t => e.Scored[t] && (t - 8) / 2 < 7) / 4.0);
        }

        double powerLaw = FirstQuarter(0.01), uniform = FirstQuarter(1.0);
        Assert.True(powerLaw > 0.4, $"power law: {powerLaw:0.000} of the queries in the first quarter");
        Assert.InRange(uniform, 0.25 - 0.02, 0.25 + 0.02);
    }

    [Theory]
    [InlineData("mqar")]
    [InlineData("selective-copy")]
    [InlineData("induction")]
    public void SameSeedAndStream_SameExamples_OtherStream_Others(string id)
    {
        var task = RecallTasks.Create(id, 64, vocab: 128);
        var a = RecallTasks.Examples(task, 20, 7, 3);
        var b = RecallTasks.Examples(task, 20, 7, 3);
        var c = RecallTasks.Examples(task, 20, 7, 4);
        var d = RecallTasks.Examples(task, 20, 8, 3);
        Assert.Equal(a.SelectMany(e => e.Inputs), b.SelectMany(e => e.Inputs));
        Assert.Equal(a.SelectMany(e => e.Targets), b.SelectMany(e => e.Targets));
        Assert.NotEqual(a.SelectMany(e => e.Inputs), c.SelectMany(e => e.Inputs));
        Assert.NotEqual(a.SelectMany(e => e.Inputs), d.SelectMany(e => e.Inputs));
    }

    [Fact]
    public void BadSizes_AreRefused_NamingTheField()
    {
        Assert.Contains("even", Assert.Throws<ArgumentException>(() => new Mqar(new MqarConfig(63, 4, 8192))).Message);
        Assert.Equal("KvPairs", Assert.Throws<ArgumentException>(() => new Mqar(new MqarConfig(64, 17, 8192))).ParamName);
        Assert.Equal("VocabSize", Assert.Throws<ArgumentException>(() => new Mqar(new MqarConfig(64, 4, 64))).ParamName);
        Assert.Equal("PowerA", Assert.Throws<ArgumentOutOfRangeException>(() => new Mqar(new MqarConfig(64, 4, 8192, PowerA: 0))).ParamName);
        Assert.Equal("KvPairs", Assert.Throws<ArgumentOutOfRangeException>(() => new Mqar(new MqarConfig(64, 0, 8192))).ParamName);
        Assert.Equal("Length", Assert.Throws<ArgumentException>(() => new SelectiveCopy(new SelectiveCopyConfig(31, 16, 16))).ParamName);
        Assert.Equal("VocabSize", Assert.Throws<ArgumentOutOfRangeException>(() => new SelectiveCopy(new SelectiveCopyConfig(64, 16, 2))).ParamName);
        Assert.Equal("Length", Assert.Throws<ArgumentOutOfRangeException>(() => new InductionHeads(new InductionHeadsConfig(2, 16))).ParamName);
        Assert.Contains("known: mqar", Assert.Throws<ArgumentException>(() => RecallTasks.Create("copy", 64)).Message);
    }
}
