namespace Lineage.Experiments.Tests;

/// <summary><c>lineage word2vec|glove train</c> and <c>lineage vectors …</c> as a user runs them.</summary>
public class EmbeddingCliTests
{
    private static (int ExitCode, string Output) Lineage(params string[] args) =>
        TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), .. args]);

    private static string Corpus(TempFolder dir)
    {
        var rng = new Random(3);
        string[] animals = ["cat", "dog", "horse", "cow"], foods = ["bread", "cheese", "apple", "rice"];
        var lines = Enumerable.Range(0, 2000).Select(_ => $"the {animals[rng.Next(4)]} eats the {foods[rng.Next(4)]} today");
        var path = Path.Combine(dir.Path, "corpus.txt");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Word2VecTrain_ThenSimilarAnalogyEval()
    {
        using var dir = new TempFolder();
        var corpus = Corpus(dir);
        var vectors = Path.Combine(dir.Path, "v.bin");
        var (code, output) = Lineage("word2vec", "train", corpus, "-o", vectors, "--format", "binary", "--dim", "16", "--epochs", "3", "--threads", "1", "-q");
        Assert.True(code == 0, output);
        Assert.True(File.Exists(vectors));
        (code, output) = Lineage("vectors", "similar", vectors, "cat", "--top", "3");
        Assert.True(code == 0, output);
        (code, output) = Lineage("vectors", "analogy", vectors, "cat", "bread", "dog");
        Assert.True(code == 0, output);
        var questions = Path.Combine(dir.Path, "q.txt");
        File.WriteAllLines(questions, [": test", "cat bread dog cheese"]);
        (code, output) = Lineage("vectors", "eval", vectors, "--analogies", questions);
        Assert.True(code == 0, output);
        Assert.Contains("Total accuracy", output, StringComparison.Ordinal);
        (code, output) = Lineage("vectors", "similar", vectors, "unicorn");
        Assert.Equal(2, code);
        Assert.Contains("not in the vocabulary", output, StringComparison.Ordinal);
    }

    [Fact]
    public void GloveTrain_WritesGloveText()
    {
        using var dir = new TempFolder();
        var vectors = Path.Combine(dir.Path, "g.txt");
        var (code, output) = Lineage("glove", "train", Corpus(dir), "-o", vectors, "--dim", "8", "--epochs", "2", "--window", "3", "-q");
        Assert.True(code == 0, output);
        Assert.Equal(9, File.ReadLines(vectors).First().Split(' ').Length); // word + 8 values, no header
    }

    [Fact]
    public void Train_BadInput_ExitsWith2AndSaysWhy()
    {
        using var dir = new TempFolder();
        var corpus = Corpus(dir);
        var (code, output) = Lineage("word2vec", "train", corpus);
        Assert.Equal(2, code);
        Assert.Contains("--out", output, StringComparison.Ordinal);
        (code, output) = Lineage("word2vec", "train", corpus, "-o", Path.Combine(dir.Path, "missing", "v.txt"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", output, StringComparison.Ordinal);
        (code, output) = Lineage("word2vec", "train", corpus, "-o", Path.Combine(dir.Path, "v.txt"), "--min-count", "100000", "-q");
        Assert.Equal(2, code);
        Assert.Contains("min_count", output, StringComparison.Ordinal);
        var empty = Path.Combine(dir.Path, "empty.txt");
        File.WriteAllText(empty, "\n\n");
        (code, output) = Lineage("glove", "train", empty, "-o", Path.Combine(dir.Path, "g.txt"), "-q");
        Assert.Equal(2, code);
        Assert.Contains("empty", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_OutAFolderOrTheInput_IsRefusedBeforeTraining_AndTheCorpusIsKept()
    {
        // Issue 29: --out a folder trained for minutes, then died with a stack trace; --out equal to the corpus overwrote it.
        using var dir = new TempFolder();
        var corpus = Corpus(dir);
        var text = File.ReadAllText(corpus);
        var (code, output) = Lineage("word2vec", "train", corpus, "-o", dir.Path, "-q");
        Assert.Equal(2, code);
        Assert.Contains("is a folder", output, StringComparison.Ordinal);
        (code, output) = Lineage("word2vec", "train", corpus, "-o", corpus, "-q");
        Assert.Equal(2, code);
        Assert.Contains("is also an input", output, StringComparison.Ordinal);
        (code, output) = Lineage("glove", "train", corpus, "-o", Path.Combine(dir.Path, ".", Path.GetFileName(corpus)), "-q");
        Assert.Equal(2, code);
        Assert.Contains("is also an input", output, StringComparison.Ordinal);
        Assert.Equal(text, File.ReadAllText(corpus));
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
