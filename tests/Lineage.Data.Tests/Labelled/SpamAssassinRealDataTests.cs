using Lineage.Data.Labelled;

namespace Lineage.Data.Tests.Labelled;

/// <summary>The SpamAssassin reader against the real npm files; returns early when the data cache is absent.</summary>
public sealed class SpamAssassinRealDataTests
{
    [Fact]
    public void Read_RealSpamAssassin_Has6046DocumentsWithKnownGroupAndLabelCounts()
    {
        if (RealData.Folder("spamassassin") is not { } folder)
        {
            return;
        }

        var set = SpamAssassinReader.Read(folder);

        Assert.Equal(6046, set.Documents.Count);
        Assert.Equal(4150, set.LabelCounts["ham"]);
        Assert.Equal(1896, set.LabelCounts["spam"]);
        var groups = set.Documents.CountBy(d => d.Group).ToDictionary();
        Assert.Equal(
            new Dictionary<string, int> { ["easy-ham-1"] = 2500, ["easy-ham-2"] = 1400, ["hard-ham-1"] = 250, ["spam-1"] = 500, ["spam-2"] = 1396 },
            groups);

        // Headers are gone: no body starts with a Received: or Return-Path: line, and texts are LF-only.
        Assert.DoesNotContain(set.Documents, d => d.Text.StartsWith("Return-Path:", StringComparison.Ordinal));
        Assert.DoesNotContain(set.Documents, d => d.Text.Contains('\r', StringComparison.Ordinal));
        Assert.True(set.Documents.Count(d => d.Text.Length == 0) < 10);

        var (train, test) = set.Split(0.2);
        Assert.Equal(6046, train.Documents.Count + test.Documents.Count);
        Assert.InRange(test.Documents.Count, 1100, 1320); // 1209 expected
        Assert.InRange((double)test.LabelCounts["spam"] / test.Documents.Count, 0.25, 0.38); // 0.31 overall
    }
}
