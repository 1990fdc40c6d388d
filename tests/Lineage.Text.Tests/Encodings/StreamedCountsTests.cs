using System.Text;
using Lineage.Text.Encodings;
using Lineage.Text.IO;
using Lineage.Text.Tokenization;

namespace Lineage.Text.Tests.Encodings;

/// <summary>The streamed fit (<see cref="CountVectorizer.FitStreamed(IReadOnlyList{string}, int, string?, CancellationToken)"/>) against the in-memory one.</summary>
public sealed class StreamedCountsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-stream-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // 300 documents from a 60-word vocabulary, some empty, some with repeated words.
    private static string[] Corpus()
    {
        var random = new Random(7);
        return [.. Enumerable.Range(0, 300).Select(d => d % 37 == 0 ? "" :
            string.Join(' ', Enumerable.Range(0, random.Next(1, 25)).Select(_ => $"w{random.Next(60) * random.Next(1, 3)}")))];
    }

    public static TheoryData<int, int, string> Settings() => new()
    {
        { 1, 1, "plain" }, { 2, 7, "plain" }, { 3, 50, "plain" }, { 2, 7, "pruned" }, { 1, 3, "binary" }, { 2, 11, "bigrams" }, { 3, 1 << 20, "maxfeatures" },
    };

    private static CountVectorizerOptions Options(string kind) => kind switch
    {
        "pruned" => new() { MinDf = DocumentFrequency.Documents(3), MaxDf = DocumentFrequency.Fraction(0.2) },
        "binary" => new() { Binary = true },
        "bigrams" => new() { Analyzer = new TextAnalyzer(AnalyzerKind.Word, 1, 2) },
        "maxfeatures" => new() { MaxFeatures = 20 },
        _ => new(),
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void RowsFrequenciesAndVocabulary_EqualTheInMemoryFit(int threads, int blockEntries, string kind)
    {
        var docs = Corpus();
        var memory = new CountVectorizer(Options(kind));
        var expected = memory.FitTransform(docs, threads);
        var streamed = new CountVectorizer(Options(kind));
        using var fit = streamed.FitStreamed(docs, threads, _dir, blockEntries, CancellationToken.None);

        Assert.Equal(memory.Vocabulary.Terms, streamed.Vocabulary.Terms);
        Assert.Equal(memory.PrunedTerms, streamed.PrunedTerms);
        Assert.Equal((expected.Rows, expected.Columns, (long)expected.Nnz), (fit.Rows, fit.Columns, fit.Nnz));
        Assert.Equal(expected.ColumnNonZeroCounts(), fit.DocumentFrequencies);
        Assert.Equal(expected.ColumnSums().Select(v => (long)v), fit.Totals);
        Assert.Equal(expected.SparseBytes, fit.SparseBytes);
        for (int pass = 0; pass < 2; pass++)   // rows can be read more than once
        {
            int next = 0;
            fit.ForEachRow((row, columns, values) =>
            {
                Assert.Equal(next++, row);
                var want = expected.Row(row);
                Assert.Equal(want.Indices.ToArray(), columns.ToArray());
                Assert.Equal(want.Values.ToArray(), values.ToArray());
            });
            Assert.Equal(docs.Length, next);
        }
    }

    [Fact]
    public void TfidfRows_WeighedOneByOne_EqualTheVectorizersMatrix()
    {
        var docs = Corpus();
        var options = new TfidfOptions(RowNorm.L2, SublinearTf: true);
        var expected = new TfidfVectorizer(weighting: options).FitTransform(docs);
        var counts = new CountVectorizer();
        using var fit = counts.FitStreamed(docs, 2, _dir, 13, CancellationToken.None);
        var weights = new TfidfTransformer(options).Fit(fit.Rows, fit.DocumentFrequencies);
        fit.ForEachRow((row, columns, values) =>
        {
            weights.WeighRow(columns, values);
            Assert.Equal(expected.Row(row).Values.ToArray(), values.ToArray());   // bit for bit: the same sums in the same order
        });
        Assert.Throws<ArgumentException>(() => weights.WeighRow([1, 2], new double[1]));
    }

    [Fact]
    public void WithoutAScratchFolder_OnlyFrequenciesAreKept_AndScratchFilesNeverStay()
    {
        var docs = Corpus();
        using (var fit = new CountVectorizer().FitStreamed(docs, 2, null, 5, CancellationToken.None))
        {
            Assert.False(fit.HasRows);
            Assert.Equal(new CountVectorizer().FitTransform(docs).ColumnNonZeroCounts(), fit.DocumentFrequencies);
            Assert.Throws<InvalidOperationException>(() => fit.ForEachRow((_, _, _) => { }));
        }

        using (var fit = new CountVectorizer().FitStreamed(docs, 2, _dir, 5, CancellationToken.None))
        {
            Assert.True(fit.HasRows);
            if (!OperatingSystem.IsWindows()) Assert.Empty(Directory.GetFiles(_dir));   // unnamed from the start
        }

        Assert.Empty(Directory.GetFiles(_dir));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new CountVectorizer().FitStreamed(docs, 2, _dir, 5, cancelled.Token));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void DocumentSource_LinesAcrossReadBlocks_CrLfAtABlockEdge_EqualTheIndexer()
    {
        // Lines long enough that several cross the 1 MiB blocks the line scan reads; one "\r\n" split by a block edge.
        var text = new StringBuilder();
        var random = new Random(3);
        while (text.Length < (1 << 20) - 1) text.Append(new string('a', random.Next(1, 5000))).Append(random.Next(3) == 0 ? "\r\n" : "\n");
        text.Length = (1 << 20) - 1;
        text.Append("\r\nlast line\r");
        var file = Path.Combine(_dir, "long.txt");
        File.WriteAllText(file, text.ToString());
        var lines = text.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        using var source = DocumentReader.Open(file);
        Assert.Equal(lines, source);
        var buffer = new DocumentBuffer();
        for (int d = 0; d < source.Count; d++) Assert.Equal(lines[d], source.Read(d, buffer).ToString());
    }

    [Fact]
    public void AtomicFile_WritesADeviceInPlace()
    {
        if (OperatingSystem.IsWindows()) return;
        AtomicFile.Write("/dev/null", s => s.Write("nothing"u8));
        Assert.True(AtomicFile.IsDevice("/dev/null"));
        Assert.False(AtomicFile.IsDevice(Path.Combine(_dir, "x")));
        Assert.Empty(Directory.GetFiles("/dev", ".null.*"));   // no temporary file renamed (or left) beside it
    }
}
