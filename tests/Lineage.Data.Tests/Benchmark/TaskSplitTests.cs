using Lineage.Data.Benchmark;

namespace Lineage.Data.Tests.Benchmark;

public sealed class TaskSplitTests
{
    private static List<(string Id, string Stratum)> Items(int n, int classes) =>
        [.. Enumerable.Range(0, n).Select(i => ($"doc{i:D4}", $"c{i % classes}"))];

    [Fact]
    public void Stratified_SameSeed_SameSplitWhateverTheOrder()
    {
        var items = Items(500, 7);
        var a = TaskSplit.Stratified("t", 3, 0.2, items);
        var b = TaskSplit.Stratified("t", 3, 0.2, Enumerable.Reverse(items));
        Assert.True(a.SameAs(b));
    }

    [Fact]
    public void Stratified_OtherSeed_OtherSplit()
    {
        var items = Items(500, 7);
        Assert.False(TaskSplit.Stratified("t", 3, 0.2, items).SameAs(TaskSplit.Stratified("t", 4, 0.2, items)));
    }

    [Fact]
    public void Stratified_EveryIdOnExactlyOneSide_SizesPerStratum()
    {
        var items = Items(503, 7);
        var s = TaskSplit.Stratified("t", 1, 0.2, items);
        Assert.Empty(s.Train.Intersect(s.Test));
        Assert.Equal(items.Select(i => i.Id).Order(StringComparer.Ordinal), s.Train.Concat(s.Test).Order(StringComparer.Ordinal));
        var stratum = items.ToDictionary(i => i.Id, i => i.Stratum);
        foreach (var g in items.GroupBy(i => i.Stratum))
        {
            int expected = (int)Math.Round(g.Count() * 0.2, MidpointRounding.AwayFromZero);
            Assert.Equal(expected, s.Test.Count(id => stratum[id] == g.Key));
        }
    }

    [Fact]
    public void Stratified_TinyStratum_IsOnBothSides()
    {
        var items = Items(50, 1);
        items.Add(("a", "rare"));
        items.Add(("b", "rare"));
        var s = TaskSplit.Stratified("t", 1, 0.2, items);
        Assert.Single(s.Test, id => id is "a" or "b");
        Assert.Single(s.Train, id => id is "a" or "b");
    }

    [Fact]
    public void Stratified_RepeatedId_Throws() =>
        Assert.Throws<ArgumentException>(() => TaskSplit.Stratified("t", 1, 0.2, [("a", "x"), ("a", "y")]));

    [Fact]
    public void WriteOrVerify_WritesThenAgrees_AndRefusesAnotherSplit()
    {
        using var dir = new TempDirectory();
        var path = dir["splits/t-seed1.json"];
        var s = TaskSplit.Stratified("t", 1, 0.2, Items(100, 2));
        Assert.True(s.WriteOrVerify(path));
        Assert.False(s.WriteOrVerify(path));
        var other = TaskSplit.Stratified("t", 2, 0.2, Items(100, 2));
        var e = Assert.Throws<InvalidDataException>(() => other.WriteOrVerify(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        File.WriteAllText(path, "{ not json");
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => s.WriteOrVerify(path)).Message, StringComparison.Ordinal);
    }
}
