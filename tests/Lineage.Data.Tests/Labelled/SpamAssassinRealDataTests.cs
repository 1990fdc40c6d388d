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

        // Headers are gone: the only body that starts like a header block is spam-2/00403, a forwarded spam that
        // quotes its original headers. Every e-mail has a non-blank body, and texts are LF-only.
        Assert.Equal(
            ["spam-2/00403.90a79abcb32065d5381a74a84da2e6bd"],
            set.Documents.Where(d => d.Text.StartsWith("Return-Path:", StringComparison.Ordinal)).Select(d => d.Id));
        Assert.DoesNotContain(set.Documents, d => string.IsNullOrWhiteSpace(d.Text));
        Assert.DoesNotContain(set.Documents, d => d.Text.Contains('\r', StringComparison.Ordinal));

        var (train, test) = set.Split(0.2);
        Assert.Equal(6046, train.Documents.Count + test.Documents.Count);

        // 1,209 expected; the exact counts (also computed with Python's hashlib) pin the split across machines.
        Assert.Equal(1157, test.Documents.Count);
        Assert.Equal(370, test.LabelCounts["spam"]);
    }
}
