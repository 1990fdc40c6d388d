using Lineage.Data.Catalog;
using Lineage.Experiments.Encodings;
using Lineage.Experiments.Results;
using Lineage.Text.Encodings;
using Lineage.Text.Tokenization;

namespace Lineage.Experiments.Tests;

/// <summary>The encodings chapter on the real SpamAssassin e-mails (quick sizes: every fifth e-mail), and `lineage encode`.</summary>
public class EncodingsTests
{
    private static ExperimentResult RunQuick(IExperiment experiment, TempFolder dir)
    {
        var data = new DataStore(TestPaths.DataRoot);
        var context = new ExperimentContext(experiment.Info, seed: 7, quick: true, data, new ModelCache(Path.Combine(dir.Path, "models")),
            dir.Path, SilentProgress.Instance, CancellationToken.None);
        return experiment.Run(context);
    }

    [Fact]
    public void OneHot_ClaimsHoldOnRealEmails()
    {
        if (!TestPaths.Has(DataCatalog.SpamAssassin)) return;              // run-tests fetches it first
        using var dir = new TempFolder();
        var r = RunQuick(new OneHotExperiment(), dir);
        Assert.All(r.Claims, c => Assert.True(c.Passed, $"{c.Statement}: {c.Measured} (needs {c.Threshold})"));
        Assert.Equal(r.Metrics["vocabulary_size"], r.Metrics["vector_length"]);
        Assert.Equal(0, r.Metrics["cosine_king_queen"]);
        Assert.All(r.Plots, p => Assert.True(File.Exists(Path.Combine(dir.Path, p.File)), p.File));
    }

    [Fact]
    public void BagOfWords_SentencesCollideWithUnigrams_AndSeparateWithBigrams()
    {
        if (!TestPaths.Has(DataCatalog.SpamAssassin)) return;
        using var dir = new TempFolder();
        var r = RunQuick(new BagOfWordsExperiment(), dir);
        Assert.All(r.Claims, c => Assert.True(c.Passed, $"{c.Statement}: {c.Measured} (needs {c.Threshold})"));
        Assert.Equal(1.0, r.Metrics["cosine_dog_man_1_1"], 12);
        Assert.Equal(0.6, r.Metrics["cosine_dog_man_1_2"], 12);
        Assert.True(r.Metrics["vocabulary_1_2"] > 3 * r.Metrics["vocabulary_1_1"]);
    }

    [Fact]
    public void Tfidf_CommonWordsWeighLeast_AndTheClassifierLearnsSpam()
    {
        if (!TestPaths.Has(DataCatalog.SpamAssassin)) return;
        using var dir = new TempFolder();
        var r = RunQuick(new TfidfExperiment(), dir);
        var byStatement = r.Claims.ToDictionary(c => c.Statement);
        Assert.All(r.Claims.Where(c => !c.Statement.Contains("beats raw counts", StringComparison.Ordinal)),
            c => Assert.True(c.Passed, $"{c.Statement}: {c.Measured} (needs {c.Threshold})"));   // on a fifth of the data the order of counts and TF-IDF may flip
        Assert.True(r.Metrics["spearman_count_idf"] < -0.5);
        Assert.True(r.Metrics["top10_weight_share"] < r.Metrics["top10_token_share"]);
        Assert.InRange(r.Metrics["accuracy_tf_idf"], 0.9, 1.0);
        Assert.Equal(3, r.Tables.Count);
    }

    private static (int ExitCode, string Output) Lineage(params string[] args) =>
        TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), .. args]);

    [Fact]
    public void EncodeTfidf_OnAFolderOfRealEmails_WritesMatrixMarketAndVocabulary()
    {
        if (!TestPaths.Has(DataCatalog.SpamAssassin)) return;
        using var dir = new TempFolder();
        var folder = Path.Combine(new DataStore(TestPaths.DataRoot).PathOf(DataCatalog.SpamAssassin), "hard-ham-1");
        var mtx = Path.Combine(dir.Path, "x.mtx");
        var vocab = Path.Combine(dir.Path, "vocab.txt");
        var (code, output) = Lineage("encode", "tfidf", folder, "--ngram", "1,2", "--min-df", "2", "--sublinear-tf", "--out", mtx, "--vocab-out", vocab, "--save", Path.Combine(dir.Path, "v.json"));
        Assert.True(code == 0, output);
        Assert.Contains("250 documents", output, StringComparison.Ordinal);
        var lines = File.ReadLines(mtx).ToList();
        Assert.Equal("%%MatrixMarket matrix coordinate real general", lines[0]);
        var size = lines.First(l => !l.StartsWith('%')).Split(' ');
        Assert.Equal("250", size[0]);
        Assert.Equal(File.ReadAllLines(vocab).Length.ToString(System.Globalization.CultureInfo.InvariantCulture), size[1]);
        Assert.True(File.Exists(Path.Combine(dir.Path, "v.json")));

        // The streamed rows (counted once, weighed and written one by one) are the in-memory vectorizer's, to the last bit.
        var expected = new TfidfVectorizer(
            new CountVectorizerOptions { Analyzer = new TextAnalyzer(AnalyzerKind.Word, 1, 2), MinDf = DocumentFrequency.Documents(2) },
            new TfidfOptions(SublinearTf: true)).FitTransform(DocumentReader.Read(folder).Texts);
        using (var reader = File.OpenText(mtx))
        {
            var written = MatrixMarket.Read(reader);
            Assert.Equal((expected.Rows, expected.Columns, expected.Nnz), (written.Rows, written.Columns, written.Nnz));
            for (int r = 0; r < expected.Rows; r++)
            {
                Assert.Equal(expected.Row(r).Indices.ToArray(), written.Row(r).Indices.ToArray());
                Assert.Equal(expected.Row(r).Values.ToArray(), written.Row(r).Values.ToArray());
            }
        }

        Assert.Empty(Directory.GetFiles(dir.Path, ".*"));   // no scratch or temporary file left
    }

    [Fact]
    public void Encode_BadInput_ExitsWith2AndSaysWhy()
    {
        using var dir = new TempFolder();
        var (code, output) = Lineage("encode", "bow", Path.Combine(dir.Path, "missing.txt"));
        Assert.Equal(2, code);
        Assert.Contains("No such file or folder", output, StringComparison.Ordinal);

        var onlyShort = Path.Combine(dir.Path, "short.txt");
        File.WriteAllText(onlyShort, "a b c\n! ?\n");
        (code, output) = Lineage("encode", "onehot", onlyShort);
        Assert.Equal(2, code);
        Assert.Contains("Empty vocabulary", output, StringComparison.Ordinal);

        (code, output) = Lineage("encode", "tfidf", onlyShort, "--norm", "l3");
        Assert.Equal(2, code);
        Assert.Contains("--norm", output, StringComparison.Ordinal);

        (code, output) = Lineage("encode", "tfidf", onlyShort, "--strip-accents", "latin");
        Assert.Equal(2, code);
        Assert.Contains("--strip-accents", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_StripAccents_FoldsAccentedWords()
    {
        using var dir = new TempFolder();
        var input = Path.Combine(dir.Path, "docs.txt");
        File.WriteAllText(input, "Café résumé\ncafe resume naïve\n");
        var vocab = Path.Combine(dir.Path, "vocab.txt");
        var (code, output) = Lineage("encode", "bow", input, "--strip-accents", "unicode", "--vocab-out", vocab);
        Assert.True(code == 0, output);
        Assert.Equal(["cafe", "naive", "resume"], File.ReadAllLines(vocab));
    }

    [Fact]
    public void EncodeOnehot_OneRowPerToken()
    {
        using var dir = new TempFolder();
        var input = Path.Combine(dir.Path, "docs.txt");
        File.WriteAllText(input, "king queen\napple king\n");
        var mtx = Path.Combine(dir.Path, "x.mtx");
        var (code, output) = Lineage("encode", "onehot", input, "--out", mtx);
        Assert.True(code == 0, output);
        Assert.Contains("shape 4 × 3", output, StringComparison.Ordinal);
        Assert.Equal(["4 3 4", "1 2 1", "2 3 1", "3 1 1", "4 2 1"], File.ReadLines(mtx).Where(l => !l.StartsWith('%')));
    }
}
