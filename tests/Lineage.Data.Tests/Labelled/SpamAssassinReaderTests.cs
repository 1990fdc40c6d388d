using System.Security.Cryptography;
using System.Text;
using Lineage.Data.Labelled;

namespace Lineage.Data.Tests.Labelled;

public sealed class SpamAssassinReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Writes one e-mail into a group folder under the real naming scheme, NNNNN.md5.txt.</summary>
    private string WriteEmail(string group, int number, byte[] content)
    {
#pragma warning disable CA5351 // MD5 names the files in the real corpus; it protects nothing.
        var md5 = Convert.ToHexStringLower(MD5.HashData(content));
#pragma warning restore CA5351
        _dir.WriteBytes(Path.Combine(group, $"{number:D5}.{md5}.txt"), content);
        return $"{group}/{number:D5}.{md5}";
    }

    private static byte[] Email(string subject, string body, string newline = "\n") =>
        Encoding.UTF8.GetBytes(
            $"From someone@example.com  Thu Aug 22 12:36:23 2002\nSubject: {subject}\nX-Spam-Status: telling\n\n{body}"
                .Replace("\n", newline, StringComparison.Ordinal));

    private void WriteTinyCorpus()
    {
        WriteEmail("easy-ham-1", 1, Email("meeting", "See you at ten.\n"));
        WriteEmail("easy-ham-1", 2, Email("lunch", "Line one\n\nLine three\n", newline: "\r\n"));
        WriteEmail("easy-ham-2", 1, Email("re: lunch", "Fine.\n"));
        WriteEmail("hard-ham-1", 1, Email("newsletter", "Unsubscribe here.\n"));
        WriteEmail("spam-1", 1, Email("WIN", "Cheap pills\n"));
        WriteEmail("spam-2", 1, [.. Email("caf\u00e9", "Price: "), 0xA3, .. "5\rnow\n"u8]); // Latin-1 pound sign, bare CR
        _dir.WriteText(Path.Combine("spam-2", "cmds"), "not an e-mail"); // not *.txt: ignored
    }

    [Fact]
    public void Read_TinyCorpus_LabelsByGroupAndSortsById()
    {
        WriteTinyCorpus();

        var set = SpamAssassinReader.Read(_dir.Path);

        Assert.Equal("spamassassin", set.Name);
        Assert.Equal(["ham", "spam"], set.Labels);
        Assert.Equal(6, set.Documents.Count);
        Assert.Equal(set.Documents.Select(d => d.Id).Order(StringComparer.Ordinal), set.Documents.Select(d => d.Id));
        Assert.Equal(["ham", "ham", "ham", "ham", "spam", "spam"], set.Documents.Select(d => d.Label));
        Assert.Equal(["easy-ham-1", "easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"], set.Documents.Select(d => d.Group));
        Assert.Matches(@"^easy-ham-1/00001\.[0-9a-f]{32}$", set.Documents[0].Id);
        Assert.Equal(4, set.LabelCounts["ham"]);
        Assert.Equal(2, set.LabelCounts["spam"]);
    }

    [Fact]
    public void Read_BodyOnly_StripsHeaderBlockAndNormalisesLineEndings()
    {
        WriteTinyCorpus();

        var set = SpamAssassinReader.Read(_dir.Path);

        Assert.Equal("See you at ten.\n", set.Documents[0].Text);
        Assert.Equal("Line one\n\nLine three\n", set.Documents[1].Text);
        Assert.DoesNotContain(set.Documents, d => d.Text.Contains("Subject:", StringComparison.Ordinal));
        Assert.DoesNotContain(set.Documents, d => d.Text.Contains('\r', StringComparison.Ordinal));
    }

    [Fact]
    public void Read_InvalidUtf8Bytes_AreReplacedNotThrown()
    {
        WriteTinyCorpus();

        var spam = SpamAssassinReader.Read(_dir.Path).Documents[^1];

        Assert.Equal("Price: \uFFFD5\nnow\n", spam.Text);
    }

    [Fact]
    public void Read_WithHeaders_KeepsWholeMessage()
    {
        WriteTinyCorpus();

        var set = SpamAssassinReader.Read(_dir.Path, bodyOnly: false);

        Assert.StartsWith("From someone@example.com", set.Documents[0].Text, StringComparison.Ordinal);
        Assert.Contains("Subject: caf\u00e9\n", set.Documents[^1].Text, StringComparison.Ordinal);
        Assert.EndsWith("\n\nLine one\n\nLine three\n", set.Documents[1].Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Subject: x\n\nbody", "body")]
    [InlineData("Subject: x\r\n\r\nbody\r\n", "body\n")]
    [InlineData("Subject: x\r\rbody", "body")]
    [InlineData("\nbody only", "body only")]
    [InlineData("Subject: header only\n", "")]
    [InlineData("Subject: x\n\n\nfirst\n\nsecond", "\nfirst\n\nsecond")]
    public void MessageText_BodyOnly_KeepsTextAfterFirstEmptyLine(string raw, string expected) =>
        Assert.Equal(expected, SpamAssassinReader.MessageText(Encoding.UTF8.GetBytes(raw), bodyOnly: true));

    [Fact]
    public void Read_MissingGroupFolder_ThrowsNamingIt()
    {
        WriteTinyCorpus();
        Directory.Delete(_dir["hard-ham-1"], recursive: true);

        var e = Assert.Throws<DirectoryNotFoundException>(() => SpamAssassinReader.Read(_dir.Path));

        Assert.StartsWith($"{_dir["hard-ham-1"]}: SpamAssassin group folder not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_AllGroupsEmpty_ThrowsInvalidData()
    {
        foreach (var group in SpamAssassinReader.Groups)
        {
            Directory.CreateDirectory(_dir[group]);
        }

        var e = Assert.Throws<InvalidDataException>(() => SpamAssassinReader.Read(_dir.Path));

        Assert.StartsWith($"{_dir.Path}: no e-mails", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingFolder_ThrowsDirectoryNotFound()
    {
        var missing = _dir["nope"];

        var e = Assert.Throws<DirectoryNotFoundException>(() => SpamAssassinReader.Read(missing));

        Assert.StartsWith(missing, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("easy-ham-1", "ham")]
    [InlineData("hard-ham-1", "ham")]
    [InlineData("spam-2", "spam")]
    public void LabelOf_GroupName_GivesLabel(string group, string label) =>
        Assert.Equal(label, SpamAssassinReader.LabelOf(group));

    [Fact]
    public void Split_TwoHundredDocuments_IsDeterministicDisjointCompleteAndNearTheFraction()
    {
        var number = 0;
        foreach (var group in SpamAssassinReader.Groups)
        {
            for (var i = 0; i < 40; i++)
            {
                WriteEmail(group, ++number, Email($"message {number}", $"Body {number}\n"));
            }
        }

        var set = SpamAssassinReader.Read(_dir.Path);
        var (train, test) = set.Split(0.25);
        var (train2, test2) = SpamAssassinReader.Read(_dir.Path).Split(0.25);

        var trainIds = train.Documents.Select(d => d.Id).ToList();
        var testIds = test.Documents.Select(d => d.Id).ToList();
        Assert.Equal(trainIds, train2.Documents.Select(d => d.Id));
        Assert.Equal(testIds, test2.Documents.Select(d => d.Id));
        Assert.Empty(trainIds.Intersect(testIds));
        Assert.Equal(set.Documents.Select(d => d.Id), trainIds.Concat(testIds).Order(StringComparer.Ordinal));
        Assert.InRange(testIds.Count, 30, 70); // 50 expected; binomial sd ≈ 6
        Assert.Equal(set.Labels, train.Labels);
        Assert.Equal(set.Labels, test.Labels);
        Assert.Equal(("spamassassin/train", "spamassassin/test"), (train.Name, test.Name));
    }
}
