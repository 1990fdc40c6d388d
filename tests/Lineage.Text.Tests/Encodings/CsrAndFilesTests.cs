using System.Text;
using Lineage.Text.Encodings;
using Lineage.Text.Tokenization;

namespace Lineage.Text.Tests.Encodings;

public sealed class CsrAndFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-enc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CsrMatrix<double> Small() => new(3, 4, [0, 2, 2, 4], [0, 3, 1, 3], [3.0, 4.0, 1.0, -1.0]);

    [Fact]
    public void Csr_Operations()
    {
        var m = Small();
        Assert.Equal(4, m.Nnz);
        Assert.Equal(4.0, m[0, 3]);
        Assert.Equal(0.0, m[1, 1]);
        Assert.Equal(-4.0, m.Row(0).Dot(m.Row(2)));
        Assert.Equal([7.0, 0.0, -1.0], m.Multiply([1.0, 0, 0, 1]));
        Assert.Equal([3.0, 1.0, 0.0, 3.0], m.ColumnSums());
        Assert.Equal([1, 1, 0, 2], m.ColumnNonZeroCounts());
        var l2 = m.NormalizeRows(RowNorm.L2);
        Assert.Equal(0.6, l2[0, 0], 15);
        Assert.Equal(0, l2.Row(1).Count);
        Assert.Equal(0.5, m.NormalizeRows(RowNorm.L1)[2, 1], 15);
        var dense = m.ToDense();
        Assert.Equal(-1.0, dense[2, 3]);
        Assert.Throws<InvalidOperationException>(() => m.ToDense(maxElements: 5));
        Assert.Equal(2, m.SelectRows([2, 0]).Row(1).Indices[0] + 2);
        Assert.Equal(4.0f, m.Cast<float>()[0, 3]);
        Assert.Equal(12 * 8, m.DenseBytes);
    }

    [Fact]
    public void Csr_RejectsInvalidArrays()
    {
        Assert.Throws<ArgumentException>(() => new CsrMatrix<double>(2, 2, [0, 1], [0], [1.0]));
        Assert.Throws<ArgumentException>(() => new CsrMatrix<double>(1, 2, [0, 2], [1, 0], [1.0, 1.0]));
        Assert.Throws<ArgumentException>(() => new CsrMatrix<double>(1, 2, [0, 1], [5], [1.0]));
    }

    [Fact]
    public void MatrixMarket_RoundTrips_AndNamesTheBadLine()
    {
        var path = Path.Combine(_dir, "m.mtx");
        using (var f = File.Create(path)) MatrixMarket.Write(f, Small(), ["test"]);
        var text = File.ReadAllLines(path);
        Assert.Equal("%%MatrixMarket matrix coordinate real general", text[0]);
        Assert.Equal("3 4 4", text[2]);
        Assert.Equal("1 4 4", text[4]);                                        // 1-based
        using (var r = new StreamReader(path))
        {
            var back = MatrixMarket.Read(r, path);
            Assert.Equal(Small().Values.ToArray(), back.Values.ToArray());
            Assert.Equal(Small().ColumnIndices.ToArray(), back.ColumnIndices.ToArray());
        }

        File.WriteAllText(path, "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1.5\n3 1 2\n");
        using var bad = new StreamReader(path);
        var e = Assert.Throws<InvalidDataException>(() => MatrixMarket.Read(bad, path));
        Assert.Contains("line 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VectorizerFile_RoundTrips_CountAndTfidf()
    {
        var docs = new[] { "the dog bites the man", "the man bites the dog", "a cat sat" };
        var tfidf = new TfidfVectorizer(new CountVectorizerOptions { Analyzer = new TextAnalyzer(maxN: 2, stopWords: ["a"]), MaxDf = DocumentFrequency.Fraction(0.9) },
            new TfidfOptions(RowNorm.L1, SublinearTf: true));
        var x = tfidf.FitTransform(docs);
        var path = Path.Combine(_dir, "v.json");
        VectorizerFile.Save(path, tfidf);
        var loaded = VectorizerFile.LoadTfidf(path);
        Assert.Equal(tfidf.Vocabulary.Terms, loaded.Vocabulary.Terms);
        Assert.Equal(tfidf.Weights.Idf, loaded.Weights.Idf);
        Assert.Equal(tfidf.Counts.Options.Analyzer, loaded.Counts.Options.Analyzer);
        Assert.Equal(x.Values.ToArray(), loaded.Transform(docs).Values.ToArray());

        var counts = new CountVectorizer(new CountVectorizerOptions { Binary = true, Analyzer = new TextAnalyzer(AnalyzerKind.CharWordBounded, 2, 3) });
        var c = counts.FitTransform(docs);
        VectorizerFile.Save(path, counts);
        Assert.Equal(c.Values.ToArray(), VectorizerFile.LoadCount(path).Transform(docs).Values.ToArray());
        Assert.Throws<InvalidDataException>(() => VectorizerFile.LoadTfidf(path));
    }

    [Fact]
    public void VectorizerFile_NgramRangeOfOneValue_IsRefusedByName_NotAnIndexOutOfRange()
    {
        // Found by the property test (issue 29): "ngram_range": [1] reached ngram[1] (IndexOutOfRangeException).
        var path = Path.Combine(_dir, "ngram.json");
        VectorizerFile.Save(path, new CountVectorizer().Fit(["the dog bites the man"]));
        var text = File.ReadAllText(path);
        var cut = System.Text.RegularExpressions.Regex.Replace(text, @"""ngram_range"":\s*\[\s*(\d+),\s*\d+\s*\]", "\"ngram_range\": [$1]");
        Assert.NotEqual(text, cut);
        File.WriteAllText(path, cut);
        var e = Assert.Throws<InvalidDataException>(() => VectorizerFile.Load(path));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("ngram_range has 1 values", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VectorizerFile_StripAccents_IsVersion2_WithoutItVersion1()
    {
        var docs = new[] { "Café naïve résumé", "cafe naive resume", "ǅemal ﬁnancial" };
        var path = Path.Combine(_dir, "accents.json");
        var accents = new CountVectorizer(new CountVectorizerOptions { Analyzer = new TextAnalyzer(stripAccents: AccentStripping.Unicode) });
        var x = accents.FitTransform(docs);
        Assert.Equal(["cafe", "dzemal", "financial", "naive", "resume"], accents.Vocabulary.Terms);
        VectorizerFile.Save(path, accents);
        var json = File.ReadAllText(path);
        Assert.Contains("\"version\": 2", json, StringComparison.Ordinal);
        Assert.Contains("\"strip_accents\": \"unicode\"", json, StringComparison.Ordinal);
        var loaded = VectorizerFile.LoadCount(path);
        Assert.Equal(AccentStripping.Unicode, loaded.Options.Analyzer.StripAccents);
        Assert.Equal(x.Values.ToArray(), loaded.Transform(docs).Values.ToArray());

        File.WriteAllText(path, json.Replace("\"unicode\"", "\"latin\"", StringComparison.Ordinal));
        Assert.Contains("strip_accents 'latin'", Assert.Throws<InvalidDataException>(() => VectorizerFile.Load(path)).Message, StringComparison.Ordinal);

        var plain = new CountVectorizer();
        plain.Fit(docs);
        VectorizerFile.Save(path, plain);
        json = File.ReadAllText(path);
        Assert.Contains("\"version\": 1", json, StringComparison.Ordinal);                      // readable by older builds
        Assert.DoesNotContain("strip_accents", json, StringComparison.Ordinal);
        Assert.Equal(AccentStripping.None, VectorizerFile.LoadCount(path).Options.Analyzer.StripAccents);
    }

    [Fact]
    public void VectorizerFile_CorruptFutureOrForeign_GiveClearErrors()
    {
        var tfidf = new TfidfVectorizer();
        tfidf.Fit(["one two", "two three"]);
        var path = Path.Combine(_dir, "v.json");
        VectorizerFile.Save(path, tfidf);
        var json = File.ReadAllText(path);

        File.WriteAllText(path, json[..(json.Length / 2)]);
        var truncated = Assert.Throws<InvalidDataException>(() => VectorizerFile.Load(path));
        Assert.Contains(path, truncated.Message, StringComparison.Ordinal);
        Assert.Contains("truncated or corrupt", truncated.Message, StringComparison.Ordinal);

        File.WriteAllText(path, json.Replace("\"version\": 1", "\"version\": 7", StringComparison.Ordinal));
        Assert.Contains("newer Lineage (format version 7)", Assert.Throws<InvalidDataException>(() => VectorizerFile.Load(path)).Message, StringComparison.Ordinal);

        File.WriteAllText(path, "{\"format\": \"something else\"}");
        Assert.Contains("not a Lineage vectorizer", Assert.Throws<InvalidDataException>(() => VectorizerFile.Load(path)).Message, StringComparison.Ordinal);

        File.WriteAllText(path, json.Replace("\"three\",", "", StringComparison.Ordinal));
        Assert.Contains("idf has 3 values", Assert.Throws<InvalidDataException>(() => VectorizerFile.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DocumentReader_FilePerLine_FolderPerFile_InvalidUtf8()
    {
        var file = Path.Combine(_dir, "docs.txt");
        File.WriteAllBytes(file, [0xEF, 0xBB, 0xBF, .. "one\r\ntwo\n\nthree\n"u8]);
        var set = DocumentReader.Read(file);
        Assert.Equal(["one", "two", "", "three"], set.Texts);
        Assert.Equal($"{file}:2", set.Names[1]);

        var folder = Path.Combine(_dir, "folder");
        Directory.CreateDirectory(Path.Combine(folder, "b"));
        File.WriteAllText(Path.Combine(folder, "b", "1.txt"), "bee");
        File.WriteAllText(Path.Combine(folder, "a.txt"), "ay");
        File.WriteAllText(Path.Combine(folder, ".hidden"), "no");
        File.WriteAllBytes(Path.Combine(folder, "c.txt"), [(byte)'o', (byte)'k', 0xFF, (byte)'!']);
        var docs = DocumentReader.Read(folder);
        Assert.Equal(["a.txt", Path.Combine("b", "1.txt"), "c.txt"], docs.Names);
        Assert.Equal("ok\uFFFD!", docs.Texts[2]);
        Assert.Equal(1, docs.InvalidSequences);
        var e = Assert.Throws<InvalidDataException>(() => DocumentReader.Read(folder, InvalidUtf8.Reject));
        Assert.Contains("c.txt: invalid UTF-8 at byte 2 (0xFF)", e.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => DocumentReader.Read(Path.Combine(_dir, "nope")));

        File.WriteAllBytes(file, [.. Encoding.UTF8.GetBytes("fine\nbad "), 0xC3]);
        Assert.Contains("at byte 9", Assert.Throws<InvalidDataException>(() => DocumentReader.Read(file, InvalidUtf8.Reject)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DocumentSource_ReadsWhatReadReads_OneDocumentAtATime_FromSeveralThreads()
    {
        var file = Path.Combine(_dir, "lines.txt");
        File.WriteAllBytes(file, [0xEF, 0xBB, 0xBF, .. "one\r\ntwo\n\nth"u8, 0xFF, .. "ree\nlast"u8]);
        var folder = Path.Combine(_dir, "many");
        Directory.CreateDirectory(folder);
        for (int i = 0; i < 300; i++) File.WriteAllBytes(Path.Combine(folder, $"{i:000}.txt"), i % 7 == 0 ? [(byte)'x', 0xC3] : Encoding.UTF8.GetBytes($"doc {i} é"));
        foreach (var path in new[] { file, folder })
        {
            var read = DocumentReader.Read(path);
            var source = DocumentReader.Open(path);
            Assert.Equal(read.Texts.Count, source.Count);
            Assert.Equal(read.Names, source.Names);
            Assert.Equal(read.Bytes, source.Bytes);
            Assert.Equal(0, source.InvalidSequences);   // nothing read yet
            var texts = new string[source.Count];
            Parallel.For(0, source.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, d => texts[d] = source[d]);
            Assert.Equal(read.Texts, texts);
            _ = source.ToList();                          // read again: each document's replacements are counted once
            Assert.Equal(read.InvalidSequences, source.InvalidSequences);
        }

        Assert.Equal(["one", "two", "", "th\uFFFDree", "last"], DocumentReader.Open(file));
        var e = Assert.Throws<InvalidDataException>(() => DocumentReader.Open(folder, InvalidUtf8.Reject)[7]);
        Assert.Contains("007.txt: invalid UTF-8 at byte 1 (0xC3)", e.Message, StringComparison.Ordinal);
    }
}
