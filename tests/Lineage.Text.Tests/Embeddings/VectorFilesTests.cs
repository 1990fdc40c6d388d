using System.Diagnostics;
using System.Text;
using Lineage.Text.Embeddings.Vectors;

namespace Lineage.Text.Tests.Embeddings;

public class VectorFilesTests
{
    private static WordVectors Sample() => new(["the", "king", "queen", "naïve", "x"],
        [0.5f, -1.25f, 3e-8f, 1f, 2f, 3f, -0.1f, 0.2f, 0.3f, 1e10f, -2.5f, 0f, 0.333333343f, 7f, -7f], 3);

    [Theory]
    [InlineData(VectorFormat.Word2VecText, "v.txt")]
    [InlineData(VectorFormat.Word2VecBinary, "v.bin")]
    [InlineData(VectorFormat.GloveText, "v.glove")]
    public void SaveThenLoad_RoundTripsExactly(VectorFormat format, string name)
    {
        using var dir = new TempFolder();
        var v = Sample();
        VectorFiles.Save(v, dir[name], format);
        var back = VectorFiles.Load(dir[name], format);
        Assert.Equal(v.Words, back.Words);
        Assert.Equal(v.Vectors, back.Vectors);
        Assert.Equal(format, VectorFiles.Detect(dir[name]));
    }

    [Fact]
    public void Load_FastTextVec_WithTrailingSpaces()
    {
        using var dir = new TempFolder();
        var path = dir.Write("ft.vec", "2 3\nthe 0.1 0.2 0.3 \n</s> 1 2 3 \n");
        var v = VectorFiles.Load(path);
        Assert.Equal(["the", "</s>"], v.Words);
        Assert.Equal(2f, v["</s>"][1]);
    }

    [Theory]
    [InlineData("3 2\na 1 2\nb 3 4\n", "declares 3 words but the file ends after 2")]
    [InlineData("1 2\na 1 2\nb 3 4\n", "line 3: the header declares 1 words but the file has more")]
    [InlineData("2 3\na 1 2 3\nb 3 4\n", "line 3: 'b' has 2 values, expected 3")]
    [InlineData("2 2\na 1 2\nb 3 x4\n", "line 3, value 2 of 'b'")]
    [InlineData("2 2\na 1 2\na 3 4\n", "line 3: duplicate word 'a' (first on line 2)")]
    [InlineData("two 2\na 1 2\n", "line 1: expected the header")]
    public void Load_MalformedText_NamesTheLine(string content, string expected)
    {
        using var dir = new TempFolder();
        var path = dir.Write("bad.txt", content);
        var e = Assert.Throws<InvalidDataException>(() => VectorFiles.Load(path, VectorFormat.Word2VecText));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Load_MalformedGlove_NamesTheLine()
    {
        using var dir = new TempFolder();
        var path = dir.Write("bad.glove", "a 1 2 3\nb 1 2\n");
        Assert.Contains("line 2: 'b' has 2 values, expected 3", Assert.Throws<InvalidDataException>(() => VectorFiles.Load(path)).Message);
    }

    [Fact]
    public void Load_TruncatedBinary_NamesTheByteOffset()
    {
        using var dir = new TempFolder();
        VectorFiles.Save(Sample(), dir["v.bin"], VectorFormat.Word2VecBinary);
        var bytes = File.ReadAllBytes(dir["v.bin"]);
        File.WriteAllBytes(dir["cut.bin"], bytes[..(bytes.Length - 6)]);
        var e = Assert.Throws<InvalidDataException>(() => VectorFiles.Load(dir["cut.bin"]));
        Assert.Contains("truncated", e.Message);
        Assert.Contains($"byte {bytes.Length - 6}", e.Message);
        Assert.Contains("'x'", e.Message);
    }

    [Theory]
    [InlineData("20000000 10\nab 0123456", "20000000 words × 10 dimensions")]
    [InlineData("2147483647 1\nab 01234", "2147483647 words × 1 dimensions")]
    [InlineData("3 100000000\na \u0001\u0002\u0003\u0004", "3 words × 100000000 dimensions")]
    public void Load_BinaryHeaderLargerThanTheFile_FailsBeforeAllocating(string content, string expected)
    {
        // Issue 29: a 21-byte file declaring 20,000,000 × 10 floats used to allocate 800 MB before reading a byte.
        using var dir = new TempFolder();
        var path = dir.Write("huge.bin", content);
        var e = Assert.Throws<InvalidDataException>(() => VectorFiles.Load(path, VectorFormat.Word2VecBinary));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData("2 2\na 1 2\nb NaN 4\n", "value 1 of 'b' is NaN")]
    [InlineData("2 2\na 1 2\nb 3 -Infinity\n", "value 2 of 'b' is -Infinity")]
    [InlineData("a 1 2\nb 1e39 2\n", "value 1 of 'b' is 1e39")]
    public void Load_NonFiniteTextValue_NamesTheWord(string content, string expected)
    {
        // Issue 29: one NaN in a .vec file used to load and corrupt every later top-k.
        using var dir = new TempFolder();
        var path = dir.Write("nan.vec", content);
        Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => VectorFiles.Load(path)).Message);
    }

    [Fact]
    public void Load_NonFiniteBinaryValue_NamesTheWordAndByte()
    {
        using var dir = new TempFolder();
        var ms = new MemoryStream();
        ms.Write("2 2\n"u8);
        ms.Write("a "u8);
        ms.Write(BitConverter.GetBytes(1f));
        ms.Write(BitConverter.GetBytes(2f));
        ms.Write("\nb "u8);
        ms.Write(BitConverter.GetBytes(3f));
        ms.Write(BitConverter.GetBytes(float.NaN));
        File.WriteAllBytes(dir["nan.bin"], ms.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => VectorFiles.Load(dir["nan.bin"]));
        Assert.Contains("value 2 of 'b' is NaN", e.Message);
        Assert.Contains("byte 21", e.Message);
    }

    [Fact]
    public void Detect_ReadsTheContent_NotTheExtension()
    {
        // Issue 29: a text file named .bin used to be parsed as binary and give garbage neighbours.
        using var dir = new TempFolder();
        VectorFiles.Save(Sample(), dir["text.bin"], VectorFormat.Word2VecText);
        VectorFiles.Save(Sample(), dir["binary.txt"], VectorFormat.Word2VecBinary);
        VectorFiles.Save(Sample(), dir["glove.bin"], VectorFormat.GloveText);
        Assert.Equal(VectorFormat.Word2VecText, VectorFiles.Detect(dir["text.bin"]));
        Assert.Equal(VectorFormat.Word2VecBinary, VectorFiles.Detect(dir["binary.txt"]));
        Assert.Equal(VectorFormat.GloveText, VectorFiles.Detect(dir["glove.bin"]));
        Assert.Equal(Sample().Vectors, VectorFiles.Load(dir["text.bin"]).Vectors);
        Assert.Equal(Sample().Vectors, VectorFiles.Load(dir["binary.txt"]).Vectors);
    }

    [Fact]
    public void Load_BinaryWithDuplicateWord_Fails()
    {
        using var dir = new TempFolder();
        var ms = new MemoryStream();
        ms.Write("2 1\n"u8);
        ms.Write("a "u8);
        ms.Write(BitConverter.GetBytes(1f));
        ms.Write("\na "u8);
        ms.Write(BitConverter.GetBytes(2f));
        File.WriteAllBytes(dir["dup.bin"], ms.ToArray());
        Assert.Contains("duplicate word 'a'", Assert.Throws<InvalidDataException>(() => VectorFiles.Load(dir["dup.bin"])).Message);
    }

    [Fact]
    public void Save_IntoMissingFolder_NamesIt()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<DirectoryNotFoundException>(() => VectorFiles.Save(Sample(), Path.Combine(dir.Path, "no", "v.txt"), VectorFormat.Word2VecText));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Gensim_ReadsOurFiles_AndWeReadGensims()
    {
        if (!Gensim.Available)
        {
            return; // python3-gensim is not installed: nothing to compare with (the test passes vacuously, as documented)
        }

        using var dir = new TempFolder();
        VectorFiles.Save(Sample(), dir["ours.bin"], VectorFormat.Word2VecBinary);
        VectorFiles.Save(Sample(), dir["ours.txt"], VectorFormat.Word2VecText);
        var script = $$"""
            from gensim.models import KeyedVectors
            import numpy as np
            for name, binary in (("ours.bin", True), ("ours.txt", False)):
                kv = KeyedVectors.load_word2vec_format("{{dir.Path}}/" + name, binary=binary)
                assert kv.index_to_key == ["the", "king", "queen", "naïve", "x"], kv.index_to_key
                assert np.allclose(kv["king"], [1, 2, 3]), kv["king"]
                assert abs(kv.similarity("king", "queen") - float(np.dot(kv["king"], kv["queen"]) / np.linalg.norm(kv["king"]) / np.linalg.norm(kv["queen"]))) < 1e-6
            kv.save_word2vec_format("{{dir.Path}}/gensim.bin", binary=True)
            kv.save_word2vec_format("{{dir.Path}}/gensim.txt", binary=False)
            print("ok")
            """;
        Assert.Equal("ok", Gensim.Run(script));
        foreach (var name in new[] { "gensim.bin", "gensim.txt" })
        {
            var back = VectorFiles.Load(dir[name]);
            Assert.Equal(Sample().Words, back.Words);
            Assert.Equal(Sample().Vectors, back.Vectors);
        }
    }
}

public class GensimParityTests
{
    [Fact]
    public void EvaluateAnalogiesAndSimilarity_MatchGensimOnTheSameVectors()
    {
        if (!Gensim.Available)
        {
            return; // python3-gensim is not installed: nothing to compare with
        }

        using var dir = new TempFolder();
        var corpus = Lineage.Text.Embeddings.EmbeddingCorpus.FromText(EmbeddingTestData.ClassCorpus(2000), new(MinCount: 1));
        var vectors = Lineage.Text.Embeddings.Word2Vec.Word2VecTrainer.Train(corpus, new() { Dimensions = 16, MinCount = 1, Epochs = 2, Threads = 1 }).ToWordVectors();
        VectorFiles.Save(vectors, dir["v.bin"], VectorFormat.Word2VecBinary);
        var questions = new System.Text.StringBuilder(": animals-foods\n");
        var a = EmbeddingTestData.Animals;
        var f = EmbeddingTestData.Foods;
        for (int i = 0; i < 5; i++)
        {
            questions.Append(System.Globalization.CultureInfo.InvariantCulture, $"{a[i]} {f[i]} {a[i + 1].ToUpperInvariant()} {f[i + 1]}\n");
        }

        questions.Append(": people-tools\nsmith hammer baker saw\nunknown hammer baker saw\n");
        dir.Write("q.txt", questions.ToString());
        dir.Write("pairs.tsv", "cat\tdog\t9\ncat\tbread\t2\nsmith\tbaker\t8\nhammer\tsaw\t7\nsoup\tdrill\t1\n");
        var ours = VectorEvaluation.EvaluateAnalogies(vectors, dir["q.txt"], restrictVocab: 20);
        var pairs = VectorEvaluation.EvaluateWordPairs(vectors, dir["pairs.tsv"]);
        var gensim = Gensim.Run($$"""
            from gensim.models import KeyedVectors
            kv = KeyedVectors.load_word2vec_format("{{dir.Path}}/v.bin", binary=True)
            score, sections = kv.evaluate_word_analogies("{{dir.Path}}/q.txt", restrict_vocab=20)
            p = kv.evaluate_word_pairs("{{dir.Path}}/pairs.tsv")
            print(" ".join(f"{s['section']}:{len(s['correct'])}:{len(s['incorrect'])}" for s in sections), p[1][0])
            print(kv.most_similar(positive=["cat", "bread"], negative=["dog"], topn=1)[0][0])
            """).Split('\n');
        var expected = string.Join(' ', ours.Sections.Append(ours.Total).Select(s => $"{s.Section}:{s.Correct}:{s.Incorrect}"));
        Assert.Equal(expected, gensim[0][..gensim[0].LastIndexOf(' ')]);
        Assert.Equal(pairs.Spearman, double.Parse(gensim[0][(gensim[0].LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture), 6);
        Assert.Equal(vectors.MostSimilar(["cat", "bread"], ["dog"], 1)[0].Word, gensim[1].Trim());
    }

    [Fact]
    public void FastTextVec_Loads()
    {
        if (!File.Exists("/usr/bin/fasttext"))
        {
            return; // Debian's fasttext is not installed
        }

        using var dir = new TempFolder();
        var corpus = dir.Write("c.txt", EmbeddingTestData.ClassCorpus(500));
        var psi = new ProcessStartInfo("/usr/bin/fasttext", ["skipgram", "-input", corpus, "-output", dir["ft"], "-dim", "10", "-epoch", "1", "-minCount", "1", "-minn", "0", "-maxn", "0", "-thread", "1", "-verbose", "0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (var p = Process.Start(psi)!)
        {
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
        }

        var v = VectorFiles.Load(dir["ft.vec"]);
        Assert.Equal(10, v.Dimensions);
        Assert.Contains("cat", v.Words);
        Assert.Contains("</s>", v.Words);
    }
}

/// <summary>
/// Debian's python3-gensim through /usr/bin/python3 when installed, else bookworm's gensim for /usr/bin/python3.11 where
/// <c>bench/embeddings/gensim-python.sh</c> has already extracted it (Debian trixie's python3 is 3.13 and has no
/// gensim); the test never extracts anything itself.
/// </summary>
internal static class Gensim
{
    private static readonly Lazy<(string Python, Dictionary<string, string> Environment)?> Found = new(() =>
    {
        string root = Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "lineage-bench", "gensim-py311");
        var candidates = new List<(string, Dictionary<string, string>)> { ("/usr/bin/python3", []) };
        if (File.Exists(Path.Combine(root, "ok")))
        {
            candidates.Add(("/usr/bin/python3.11", new()
            {
                ["LD_LIBRARY_PATH"] = Path.Combine(root, "root/usr/lib/x86_64-linux-gnu"),
                ["PYTHONPATH"] = Path.Combine(root, "root/usr/lib/python3/dist-packages"),
            }));
        }

        foreach (var (python, environment) in candidates)
        {
            try
            {
                if (File.Exists(python) && Run(python, environment, "import gensim; print('ok')") == "ok") return (python, environment);
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // this one cannot import gensim: try the next
            }
        }

        return null;
    });

    public static bool Available => Found.Value is not null;

    public static string Run(string script)
    {
        var (python, environment) = Found.Value ?? throw new InvalidOperationException("No Python here imports gensim.");
        return Run(python, environment, script);
    }

    private static string Run(string python, Dictionary<string, string> environment, string script)
    {
        var psi = new ProcessStartInfo(python, ["-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{python} failed: {stderr.Result}");
        }

        return stdout.Result.Trim();
    }
}
