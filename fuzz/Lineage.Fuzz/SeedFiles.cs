using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Lineage.Data.Catalog;
using Lineage.Data.Idx;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Text.Embeddings;
using Lineage.Text.Embeddings.Vectors;
using Lineage.Text.Embeddings.Word2Vec;
using Lineage.Text.Encodings;
using Lineage.Text.Tokenization;
using SkiaSharp;
using TorchSharp;

namespace Lineage.Fuzz;

/// <summary>Small valid files for the seed corpora, each written by the writer Lineage itself uses (nothing binary is committed).</summary>
internal static class SeedFiles
{
    private static readonly string[] Sentences =
    [
        "the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "the queen saw the king",
        "a dog ran to the house", "the red tree stood under the green tree",
    ];

    private static readonly string[] VectorWords = ["the", "king", "queen", "naïve", "x"];
    private static readonly float[] VectorValues = [0.5f, -1.25f, 3e-8f, 1f, 2f, 3f, -0.1f, 0.2f, 0.3f, 1e10f, -2.5f, 0f, 0.333333343f, 7f, -7f];
    private static readonly string[] MtxComments = ["a comment"];
    private static readonly byte[] Labels = [1, 7];

    public static byte[] Vectors(VectorFormat format)
    {
        var words = new WordVectors(VectorWords, VectorValues.ToArray(), 3);
        var path = Scratch.PathOf("seed-vectors");
        VectorFiles.Save(words, path, format);
        return File.ReadAllBytes(path);
    }

    public static byte[] Mtx()
    {
        using var reader = new StringReader("%%MatrixMarket matrix coordinate real general\n3 4 4\n1 1 0.5\n2 3 1.5\n3 4 -2\n3 1 1e-3\n");
        var matrix = MatrixMarket.Read(reader, "seed");
        using var stream = new MemoryStream();
        MatrixMarket.Write(stream, matrix, MtxComments);
        return stream.ToArray();
    }

    public static byte[] Safetensors()
    {
        TorchRuntime.Initialize();
        var path = Scratch.PathOf("seed.safetensors");
        using var range = torch.arange(6, dtype: torch.float32);
        using var a = range.reshape(2, 3);
        using var b = torch.tensor(new long[] { 7, 8 });
        Lineage.Neural.Core.Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["a"] = a, ["b"] = b }, new Dictionary<string, string> { ["format"] = "pt" });
        return File.ReadAllBytes(path);
    }

    private static byte[] WithoutTrailer(string path) => File.ReadAllBytes(path)[..^Lineage.Text.IO.ChecksummedFile.TrailerLength];

    public static byte[] Checkpoint()
    {
        var path = Scratch.PathOf("seed.ckpt");
        Lineage.Neural.Core.Training.Checkpoint.Save(path, TinyModels.Classifier.Value, null, new CheckpointInfo(3, "{\"note\":1}"));
        return WithoutTrailer(path);
    }

    /// <summary>The corpus and options the word2vec-checkpoint target resumes with; its seed was trained with them.</summary>
    public static readonly Lazy<EmbeddingCorpus> Word2VecCorpus = new(() =>
        EmbeddingCorpus.FromText(string.Join('\n', Sentences.Concat(Sentences)), new CorpusOptions(MinCount: 1)));

    public static Word2VecOptions Word2VecOptions { get; } = new()
    {
        Dimensions = 4, Window = 2, Negative = 2, MinCount = 1, Sample = 0, Epochs = 1, Threads = 1, Seed = 3,
    };

    public static byte[] Word2VecCheckpoint()
    {
        var path = Scratch.PathOf("seed-w2v.ckpt");
        _ = Word2VecTrainer.Train(Word2VecCorpus.Value, Word2VecOptions with { Epochs = 1, CheckpointPath = path });
        return WithoutTrailer(path);
    }

    public static IEnumerable<(string Name, byte[] Bytes)> Idx()
    {
        var pixels = Enumerable.Range(0, 2 * 3 * 3).Select(i => (byte)(i * 13)).ToArray();
        foreach (var gzip in new[] { false, true })
        {
            var images = Scratch.PathOf("seed-images");
            IdxWriter.WriteImages(images, new IdxImages(2, 3, 3, pixels), gzip);
            yield return (gzip ? "images.gz" : "images", File.ReadAllBytes(images));
            var labels = Scratch.PathOf("seed-labels");
            IdxWriter.WriteLabels(labels, Labels, gzip);
            yield return (gzip ? "labels.gz" : "labels", File.ReadAllBytes(labels));
        }
    }

    public static IEnumerable<(string Name, byte[] Bytes)> Png()
    {
        using (var rgba = new SKBitmap(new SKImageInfo(4, 3, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
        {
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 4; x++)
                    rgba.SetPixel(x, y, new SKColor((byte)(60 * x), (byte)(80 * y), 200, (byte)(255 - 60 * x)));
            using var data = rgba.Encode(SKEncodedImageFormat.Png, 100);
            yield return ("rgba.png", data.ToArray());
        }

        using (var grey = new SKBitmap(new SKImageInfo(3, 2, SKColorType.Gray8, SKAlphaType.Opaque)))
        {
            grey.Erase(new SKColor(90, 90, 90));
            using var data = grey.Encode(SKEncodedImageFormat.Png, 100);
            yield return ("grey.png", data.ToArray());
        }
    }

    public static byte[] WordPiece()
    {
        var folder = Scratch.FreshFolder("seed-wordpiece");
        _ = Lineage.Text.Tokenization.WordPiece.Train(Sentences, folder, vocabSize: 40, minCount: 1);
        return File.ReadAllBytes(Path.Combine(folder, Lineage.Text.Tokenization.WordPiece.FileName));
    }

    public static IEnumerable<(string Name, byte[] Bytes)> Bpe()
    {
        var folder = Scratch.FreshFolder("seed-bpe");
        ByteLevelBpe.Train(Sentences, 270).Save(folder);
        var merges = File.ReadAllBytes(Path.Combine(folder, "merges.txt"));
        var vocab = File.ReadAllBytes(Path.Combine(folder, "vocab.json"));
        return [("merges.txt", merges), ("merges-and-vocab", [.. merges, 0, .. vocab])];
    }

    public static IEnumerable<(string Name, byte[] Bytes)> SentencePiece()
    {
        if (Lineage.Text.Tokenization.SentencePiece.FindTrainer() is null)
        {
            Console.Error.WriteLine("seeds: spm_train is not installed (apt-get install sentencepiece): no sentencepiece seed.");
            return [];
        }

        var rng = new Random(7);
        var words = Sentences.SelectMany(s => s.Split(' ')).Distinct().ToArray();
        var lines = Enumerable.Range(0, 400).Select(_ => string.Join(' ', Enumerable.Range(0, 6).Select(_ => words[rng.Next(words.Length)]))).ToList();
        var folder = Scratch.FreshFolder("seed-spm");
        _ = Lineage.Text.Tokenization.SentencePiece.Train(lines, folder, vocabSize: 40, sentinels: 2);
        return [("spiece.model", File.ReadAllBytes(Path.Combine(folder, Lineage.Text.Tokenization.SentencePiece.FileName)))];
    }

    public static byte[] Manifest() => ArchiveSeeds.Manifest(Scratch.PathOf("seed-manifest.json"));

    public static IEnumerable<(string Name, byte[] Bytes)> Tgz() => ArchiveSeeds.Tgz();

    public static IEnumerable<(string Name, byte[] Bytes)> Deb() => [("tiny.deb", ArchiveSeeds.Deb(Scratch.FreshFolder("seed-deb"), Scratch.PathOf("seed.deb")))];

    public static IEnumerable<(string Name, byte[] Bytes)> Nupkg() => ArchiveSeeds.Nupkg();
}
