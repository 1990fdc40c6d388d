using Lineage.Data.Corpora;

namespace Lineage.Data.Tests.Corpora;

public sealed class BrownCorpusTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Two documents in the real layout: tab-led paragraphs, blank lines between sentences, slashes in words.</summary>
    private void WriteTinyCorpus()
    {
        _dir.WriteText("cats.txt", "ca01 news\ncj06 learned\n");
        _dir.WriteText("ca01", "\n\n\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd ./.\n\n\nIt/pps urged/vbd action/nn ./.\n\n");
        _dir.WriteText("cj06", "\n\n\tThe/at ratio/nn of/in counts/nns //in minute/nn was/bedz 1/2/cd ./.\n\n");
        _dir.WriteText("README", "BROWN CORPUS\n");
        _dir.WriteText("cb01", "Not/rb listed/vbn ./.\n"); // not in cats.txt: ignored
    }

    [Fact]
    public void Read_TinyCorpus_ParsesDocumentsGenresAndTokens()
    {
        WriteTinyCorpus();

        var corpus = BrownCorpus.Read(_dir.Path);

        Assert.Equal(["ca01", "cj06"], corpus.Documents.Select(d => d.Id));
        Assert.Equal(["news", "learned"], corpus.Documents.Select(d => d.Genre));
        Assert.Equal(2, corpus.Documents[0].Sentences.Count);
        Assert.Equal(new TaggedWord("Fulton", "np-tl"), corpus.Documents[0].Sentences[0][1]);
        Assert.Equal(7 + 4 + 9, corpus.WordCount);
        Assert.Equal(3, corpus.SentenceCount);
        Assert.Equal(new Dictionary<string, int> { ["learned"] = 1, ["news"] = 1 }, corpus.GenreCounts);
    }

    [Fact]
    public void ParseDocument_WordsWithSlashes_SplitAtLastSlash()
    {
        WriteTinyCorpus();

        var document = BrownCorpus.ParseDocument(_dir["cj06"], "learned");

        var words = document.Sentences[0];
        Assert.Equal(new TaggedWord("/", "in"), words[4]);
        Assert.Equal(new TaggedWord("1/2", "cd"), words[7]);
    }

    [Fact]
    public void Sentences_TinyCorpus_YieldsWordsWithoutTagsJoinedBySpaces()
    {
        WriteTinyCorpus();

        var sentences = BrownCorpus.Read(_dir.Path).Sentences().ToList();

        Assert.Equal(
            [
                "The Fulton County Grand Jury said .",
                "It urged action .",
                "The ratio of counts / minute was 1/2 .",
            ],
            sentences);
    }

    [Theory]
    [InlineData("word")]
    [InlineData("/nn")]
    [InlineData("word/")]
    public void ParseDocument_MalformedToken_ThrowsWithPathLineAndToken(string token)
    {
        var path = _dir.WriteText("ca01", $"\tThe/at jury/nn\n\n\tsaid/vbd {token} ./.\n");

        var e = Assert.Throws<InvalidDataException>(() => BrownCorpus.ParseDocument(path, "news"));

        Assert.Equal($"{path}:3: token '{token}' is not word/tag", e.Message);
    }

    [Fact]
    public void ParseDocument_CrlfLineEndings_ParseLikeLf()
    {
        var path = _dir.WriteText("ca01", "\tThe/at jury/nn\r\n\r\n\tsaid/vbd ./.\r\n");

        var document = BrownCorpus.ParseDocument(path, "news");

        Assert.Equal(2, document.Sentences.Count);
        Assert.Equal(new TaggedWord(".", "."), document.Sentences[1][1]);
    }

    [Fact]
    public void Read_CatsTxtMissing_ThrowsNamingIt()
    {
        _dir.WriteText("ca01", "The/at\n");

        var e = Assert.Throws<FileNotFoundException>(() => BrownCorpus.Read(_dir.Path));

        Assert.Equal(_dir["cats.txt"], e.FileName);
        Assert.StartsWith(_dir["cats.txt"], e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ListedDocumentAbsent_ThrowsNamingIt()
    {
        WriteTinyCorpus();
        File.Delete(_dir["cj06"]);

        var e = Assert.Throws<FileNotFoundException>(() => BrownCorpus.Read(_dir.Path));

        Assert.StartsWith($"{_dir["cj06"]}: listed in", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ca01 news extra\n", "'ca01 news extra' is not 'document-id genre'")]
    [InlineData("ca01 news\nca01 news\n", "document 'ca01' is listed twice")]
    [InlineData("../ca01 news\n", "document id '../ca01' is not a plain file name")]
    public void Read_MalformedCatsTxt_ThrowsWithLine(string cats, string problem)
    {
        var path = _dir.WriteText("cats.txt", cats);
        var line = cats.Split('\n').Length - 1;

        var e = Assert.Throws<InvalidDataException>(() => BrownCorpus.Read(_dir.Path));

        Assert.Equal($"{path}:{line}: {problem}", e.Message);
    }

    [Fact]
    public void Read_MissingFolder_ThrowsDirectoryNotFound()
    {
        var missing = _dir["nope"];

        var e = Assert.Throws<DirectoryNotFoundException>(() => BrownCorpus.Read(missing));

        Assert.StartsWith(missing, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseDocument_InvalidUtf8_ThrowsWithPathAndOffset()
    {
        var path = _dir.WriteBytes("ca01", [.. "The/at\n\tca"u8, 0xE9, .. "fe/nn\n"u8]);

        var e = Assert.Throws<InvalidDataException>(() => BrownCorpus.ParseDocument(path, "news"));

        Assert.StartsWith($"{path}: not valid UTF-8 at byte offset 10 (line 2)", e.Message, StringComparison.Ordinal);
    }
}
