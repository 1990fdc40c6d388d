using CsCheck;
using Lineage.Tests.Fuzz;
using Lineage.Text.Encodings;
using Lineage.Text.Tests.Embeddings;
using Lineage.Text.Tokenization;

namespace Lineage.Text.Tests.Fuzz;

/// <summary>
/// Issue 29's property test for the readers of saved models that <see cref="MutatedFileTests"/> leaves out: the
/// SentencePiece model (<c>spiece.model</c>, read through Microsoft.ML.Tokenizers) and the count/TF-IDF vectorizer file
/// that <c>lineage encode</c> saves and loads. Valid files, mutated, from a random seed each run (CsCheck prints it on a
/// failure; CsCheck_Seed repeats it). A load must give a usable model (it encodes a text); anything else must be the
/// reader's own <see cref="InvalidDataException"/>, naming the file.
/// </summary>
public sealed class MutatedModelFileTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private void Check(string name, byte[] valid, Action<string> load, int cases) => Mutations.LoadOrRefuse(_dir[name], valid, load, cases);

    private static readonly string[] Documents = ["the dog bites the man", "the man bites the dog", "a cat sat on the mat", "Café naïve résumé"];

    [Fact]
    public void TfidfVectorizerFile_OnlyLoadsOrRefuses()
    {
        var seed = _dir["seed.json"];
        var tfidf = new TfidfVectorizer(new CountVectorizerOptions { Analyzer = new TextAnalyzer(maxN: 2, stopWords: ["a"]) }, new TfidfOptions(RowNorm.L2, SublinearTf: true));
        tfidf.FitTransform(Documents);
        VectorizerFile.Save(seed, tfidf);
        Check("tfidf.json", File.ReadAllBytes(seed), path =>
        {
            if (VectorizerFile.Load(path) is TfidfVectorizer t) _ = t.Transform(Documents);
            else _ = VectorizerFile.LoadCount(path).Transform(Documents);
        }, 3000);
    }

    [Fact]
    public void CountVectorizerFile_OnlyLoadsOrRefuses()
    {
        var seed = _dir["seed-counts.json"];
        var counts = new CountVectorizer(new CountVectorizerOptions { Binary = true, Analyzer = new TextAnalyzer(AnalyzerKind.CharWordBounded, 2, 3) });
        counts.FitTransform(Documents);
        VectorizerFile.Save(seed, counts);
        Check("counts.json", File.ReadAllBytes(seed), path => _ = VectorizerFile.LoadCount(path).Transform(Documents), 2000);
    }

    [Fact]
    public void SentencePieceModel_OnlyLoadsOrRefuses()
    {
        if (SentencePiece.FindTrainer() is null) return;   // run-tests' bootstrap installs spm_train
        var folder = Directory.CreateDirectory(_dir["spm"]).FullName;
        var lines = Enumerable.Range(0, 300).Select(i => $"the cat {i % 17} sat on the mat number {i} and the dog ran to the house").ToList();
        SentencePiece.Train(lines, folder, vocabSize: 80, sentinels: 4, seed: 1);
        Check(SentencePiece.FileName, File.ReadAllBytes(Path.Combine(folder, SentencePiece.FileName)), path =>
        {
            var spm = SentencePiece.Load(path);
            var ids = spm.Encode("the cat sat on the mat 42");
            Assert.All(ids, id => Assert.InRange(id, 0, spm.VocabSize - 1));
            _ = spm.Decode(ids.Select(i => (long)i));
        }, 1000);
    }
}
