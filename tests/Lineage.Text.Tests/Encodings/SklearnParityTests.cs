using System.IO.Compression;
using System.Text.Json;
using Lineage.Text.Encodings;
using Lineage.Text.Tokenization;

namespace Lineage.Text.Tests.Encodings;

/// <summary>
/// Lineage's vectorizers against scikit-learn's on real e-mails: same vocabulary in the same order, same values within
/// 1e-12. The fixture comes from Fixtures/encodings/make_sklearn_fixture.py (Debian's python3-sklearn).
/// </summary>
public sealed class SklearnParityTests
{
    private static readonly Lazy<JsonDocument> Fixture = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "encodings", "sklearn_tfidf.json.gz");
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        return JsonDocument.Parse(gz);
    });

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Fixture.Value.RootElement.GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SameVocabularyAndValuesAsScikitLearn(string name)
    {
        var root = Fixture.Value.RootElement;
        var docs = root.GetProperty("documents").EnumerateArray().Select(d => d.GetString()!).ToArray();
        var c = root.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var (counting, weighting) = Options(c.GetProperty("params"));

        foreach (int threads in new[] { 1, 3 })
        {
            CsrMatrix<double> x;
            Vocabulary vocabulary;
            if (c.GetProperty("kind").GetString() == "tfidf")
            {
                var v = new TfidfVectorizer(counting, weighting);
                x = v.FitTransform(docs, threads);
                vocabulary = v.Vocabulary;
                if (c.GetProperty("idf").ValueKind == JsonValueKind.Array)
                {
                    var idf = c.GetProperty("idf").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                    Assert.Equal(idf.Length, v.Weights.Idf.Count);
                    for (int j = 0; j < idf.Length; j++) Assert.Equal(idf[j], v.Weights.Idf[j], 1e-12);
                }

                // Transform of the same documents gives the same matrix as fit-transform.
                AssertSame(x, v.Transform(docs, threads), 0);
            }
            else
            {
                var v = new CountVectorizer(counting);
                x = v.FitTransform(docs, threads);
                vocabulary = v.Vocabulary;
            }

            var expectedVocabulary = c.GetProperty("vocabulary").EnumerateArray().Select(e => e.GetString()!).ToArray();
            Assert.Equal(expectedVocabulary, vocabulary.Terms);
            var expected = new CsrMatrix<double>(docs.Length, expectedVocabulary.Length,
                c.GetProperty("indptr").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                c.GetProperty("indices").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                c.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray());
            AssertSame(expected, x, 1e-12);
        }
    }

    private static void AssertSame(CsrMatrix<double> expected, CsrMatrix<double> actual, double tolerance)
    {
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Columns, actual.Columns);
        Assert.Equal(expected.RowPointers.ToArray(), actual.RowPointers.ToArray());
        Assert.Equal(expected.ColumnIndices.ToArray(), actual.ColumnIndices.ToArray());
        for (int k = 0; k < expected.Nnz; k++)
        {
            Assert.True(Math.Abs(expected.Values[k] - actual.Values[k]) <= tolerance,
                $"value {k}: scikit-learn {expected.Values[k]:R}, Lineage {actual.Values[k]:R}");
        }
    }

    private static (CountVectorizerOptions, TfidfOptions) Options(JsonElement p)
    {
        int minN = 1, maxN = 1;
        if (p.TryGetProperty("ngram_range", out var ng))
        {
            minN = ng[0].GetInt32();
            maxN = ng[1].GetInt32();
        }

        var kind = p.TryGetProperty("analyzer", out var a) ? TextAnalyzer.ParseKind(a.GetString())!.Value : AnalyzerKind.Word;
        var analyzer = new TextAnalyzer(kind, minN, maxN,
            lowercase: !p.TryGetProperty("lowercase", out var lc) || lc.GetBoolean(),
            tokenPattern: p.TryGetProperty("token_pattern", out var tp) ? tp.GetString()! : TextAnalyzer.DefaultPattern,
            stopWords: p.TryGetProperty("stop_words", out var sw) ? sw.EnumerateArray().Select(e => e.GetString()!).ToArray() : null,
            stripAccents: p.TryGetProperty("strip_accents", out var sa) ? TextAnalyzer.ParseStripAccents(sa.GetString())!.Value : AccentStripping.None);
        var counting = new CountVectorizerOptions
        {
            Analyzer = analyzer,
            Binary = p.TryGetProperty("binary", out var b) && b.GetBoolean(),
            MinDf = p.TryGetProperty("min_df", out var mn) ? Df(mn) : DocumentFrequency.Documents(1),
            MaxDf = p.TryGetProperty("max_df", out var mx) ? Df(mx) : DocumentFrequency.Fraction(1.0),
            MaxFeatures = p.TryGetProperty("max_features", out var mf) ? mf.GetInt32() : null,
        };
        var weighting = new TfidfOptions(
            Norm: p.TryGetProperty("norm", out var n) ? n.ValueKind == JsonValueKind.Null ? RowNorm.None : n.GetString() == "l1" ? RowNorm.L1 : RowNorm.L2 : RowNorm.L2,
            UseIdf: !p.TryGetProperty("use_idf", out var ui) || ui.GetBoolean(),
            SmoothIdf: !p.TryGetProperty("smooth_idf", out var si) || si.GetBoolean(),
            SublinearTf: p.TryGetProperty("sublinear_tf", out var st) && st.GetBoolean());
        return (counting, weighting);
    }

    private static DocumentFrequency Df(JsonElement e) => e.GetRawText().Contains('.', StringComparison.Ordinal)
        ? DocumentFrequency.Fraction(e.GetDouble())
        : DocumentFrequency.Documents(e.GetInt32());
}
