using Lineage.Data.Labelled;

namespace Lineage.Data.Tests.Labelled;

public sealed class LabelledTextSetTests
{
    private static LabelledDocument Doc(string id, string label) => new(id, "g", label, $"text of {id}");

    private static List<LabelledDocument> Documents(int n) =>
        [.. Enumerable.Range(0, n).Select(i => Doc($"g/{i:D5}", i % 3 == 0 ? "spam" : "ham"))];

    [Fact]
    public void Split_InputOrderShuffled_GivesTheSameSplit()
    {
        var documents = Documents(300);
        var shuffled = documents.OrderBy(d => d.Text.Length).ThenByDescending(d => d.Id, StringComparer.Ordinal).ToList();

        var a = new LabelledTextSet("s", documents).Split(0.3);
        var b = new LabelledTextSet("s", shuffled).Split(0.3);

        Assert.Equal(a.Test.Documents.Select(d => d.Id), b.Test.Documents.Select(d => d.Id));
        Assert.Equal(a.Train.Documents.Select(d => d.Id), b.Train.Documents.Select(d => d.Id));
    }

    [Fact]
    public void Split_MoreDocumentsAdded_ExistingDocumentsKeepTheirSide()
    {
        var small = new LabelledTextSet("s", Documents(100)).Split(0.2);
        var large = new LabelledTextSet("s", Documents(400)).Split(0.2);

        var largeTest = large.Test.Documents.Select(d => d.Id).ToHashSet();
        Assert.All(small.Test.Documents, d => Assert.Contains(d.Id, largeTest));
        Assert.All(small.Train.Documents, d => Assert.DoesNotContain(d.Id, largeTest));
    }

    [Fact]
    public void SplitKey_KnownId_MatchesAnIndependentImplementation()
    {
        // Python: (int.from_bytes(hashlib.sha256(id.encode()).digest()[:8], "big") >> 11) / 2**53
        Assert.Equal(0.5075794435540985, LabelledTextSet.SplitKey("easy-ham-1/00001.7c53336b37003a9286aba55d2945844c"));
        Assert.InRange(LabelledTextSet.SplitKey(""), 0.0, 0.9999999999999999);
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 50)]
    public void Split_ExtremeFractions_PutEverythingOnOneSide(double fraction, int testCount)
    {
        var (train, test) = new LabelledTextSet("s", Documents(50)).Split(fraction);

        Assert.Equal(testCount, test.Documents.Count);
        Assert.Equal(50 - testCount, train.Documents.Count);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Split_FractionOutsideUnitInterval_Throws(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LabelledTextSet("s", Documents(5)).Split(fraction));

    [Fact]
    public void Constructor_DuplicateIds_Throws() =>
        Assert.Throws<ArgumentException>(() => new LabelledTextSet("s", [Doc("a", "ham"), Doc("a", "spam")]));

    [Fact]
    public void Constructor_LabelOutsideGivenLabels_Throws() =>
        Assert.Throws<ArgumentException>(() => new LabelledTextSet("s", [Doc("a", "eggs")], ["ham", "spam"]));

    [Fact]
    public void Labels_GivenAndFromDocuments_AreSortedWithIndices()
    {
        var set = new LabelledTextSet("s", [Doc("a", "spam"), Doc("b", "ham")], ["spam", "ham", "eggs"]);

        Assert.Equal(["eggs", "ham", "spam"], set.Labels);
        Assert.Equal(2, set.LabelIndex("spam"));
        Assert.Equal(0, set.LabelCounts["eggs"]);
        Assert.Throws<ArgumentException>(() => set.LabelIndex("bacon"));
    }
}
