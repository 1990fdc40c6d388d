using System.Security.Cryptography;
using System.Text;
using Lineage.Data.Catalog;
using Lineage.Data.Idx;
using Lineage.Data.Images;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Transformers;
using Lineage.Text.Embeddings.Vectors;
using Lineage.Text.Embeddings.Word2Vec;
using Lineage.Text.Encodings;
using Lineage.Text.Tokenization;

namespace Lineage.Fuzz;

/// <summary>One fuzz target: a reader, the Lineage assemblies it runs (instrumented for afl-fuzz), what it does with an input, and its seeds.</summary>
/// <param name="Name">The name tools/fuzz.sh takes.</param>
/// <param name="Reads">The entry point, for `list` and the docs.</param>
/// <param name="Assemblies">Lineage assemblies whose code the target runs.</param>
/// <param name="Run">Feeds one input to the reader; throws only what is a finding.</param>
/// <param name="Seeds">Valid inputs written by our own writers.</param>
internal sealed record Target(string Name, string Reads, string[] Assemblies, Action<byte[]> Run, Func<IEnumerable<(string Name, byte[] Bytes)>> Seeds);

internal static class Targets
{
    private static readonly string[] Text = ["Lineage.Text"];
    private static readonly string[] Data = ["Lineage.Text", "Lineage.Data"];
    private static readonly string[] Neural = ["Lineage.Text", "Lineage.Neural"];

    public static IReadOnlyList<Target> All { get; } =
    [
        new("word2vec-text", "VectorFiles.Load(path, Word2VecText) + a top-k query", Text,
            b => Vectors(b, "v.txt", VectorFormat.Word2VecText), () => [("small.txt", SeedFiles.Vectors(VectorFormat.Word2VecText))]),
        new("word2vec-bin", "VectorFiles.Load(path, Word2VecBinary) + a top-k query", Text,
            b => Vectors(b, "v.bin", VectorFormat.Word2VecBinary), () => [("small.bin", SeedFiles.Vectors(VectorFormat.Word2VecBinary))]),
        new("glove", "VectorFiles.Load(path, GloveText) + a top-k query", Text,
            b => Vectors(b, "v.glove.txt", VectorFormat.GloveText), () => [("small.txt", SeedFiles.Vectors(VectorFormat.GloveText))]),
        new("vec", "VectorFiles.Load(path): format detected from the content (fastText .vec and the others)", Text,
            b => Vectors(b, "v.vec", null), () =>
            [
                ("small.vec", SeedFiles.Vectors(VectorFormat.Word2VecText)),
                ("small.bin", SeedFiles.Vectors(VectorFormat.Word2VecBinary)),
                ("small.glove", SeedFiles.Vectors(VectorFormat.GloveText)),
            ]),
        new("mtx", "MatrixMarket.Read(TextReader) (no file)", Text, Mtx, () => [("small.mtx", SeedFiles.Mtx())]),
        new("safetensors", "Safetensors.Load, .Metadata, .Shapes", Neural, SafetensorsFile, () => [("small.safetensors", SeedFiles.Safetensors())]),
        new("config", "config.json of Gpt.Load, Bert.Load, T5.Load (ReadConfig, typed fields, Preflight) against valid tiny weights", Neural, Config,
            () => TinyModels.Configs()),
        new("checkpoint", "Checkpoint.Peek + Checkpoint.Load into a tiny MLP (the input is the content; its SHA-256 trailer is appended)", Neural,
            TrainingCheckpoint, () => [("mlp.ckpt", SeedFiles.Checkpoint())]),
        new("word2vec-checkpoint", "Word2VecTrainer.Train(..., Resume) from a checkpoint (content; its SHA-256 trailer is appended)", Text,
            Word2VecResume, () => [("w2v.ckpt", SeedFiles.Word2VecCheckpoint())]),
        new("idx", "IdxReader.ReadImages and .ReadLabels (raw or gzipped)", Data, Idx, SeedFiles.Idx),
        new("png", "ImageLoader.Decode(bytes) (SkiaSharp), as is and resized to 8×8", Data, Png, SeedFiles.Png),
        new("wordpiece", "WordPiece.Load(vocab.txt) + Encode", Text, WordPieceVocab, () => [("vocab.txt", SeedFiles.WordPiece())]),
        new("bpe", "ByteLevelBpe.Load(folder) + Encode; the input is merges.txt, then a NUL byte and vocab.json (optional)", Text, Bpe, SeedFiles.Bpe),
        new("sentencepiece", "SentencePiece.Load(spiece.model) + Encode + Decode", Text, SentencePieceModel, SeedFiles.SentencePiece),
        new("manifest", "DataManifest.TryRead(manifest.json)", Data, Manifest, () => [("manifest.json", SeedFiles.Manifest())]),
        new("tgz", "NpmPackageSource.ExtractTarGz (npm tarballs) within small ArchiveLimits", Data, Tgz, SeedFiles.Tgz),
        new("deb", "AptPackageSource.ExtractDeb (dpkg-deb --fsys-tarfile, then the bounded tar reader)", Data, Deb, SeedFiles.Deb),
        new("nupkg", "NuGetPackageSource.ExtractNupkg (zip, assemblies' embedded resources)", Data, Nupkg, SeedFiles.Nupkg),
    ];

    public static Target? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>Whether <see cref="Refusals"/> is kept (by `replay`; never under afl-fuzz, where it would only grow).</summary>
    public static bool Record { get; set; }

    /// <summary>The refusals of the last input, one per reader call that refused it.</summary>
    public static List<string> Refusals { get; } = [];

    /// <summary>Runs <paramref name="read"/>; the reader's own error is a clean outcome, anything else escapes.</summary>
    private static void Clean(Action read)
    {
        try
        {
            read();
        }
        catch (InvalidDataException e)
        {
            // the documented refusal: the message names the file and the problem
            if (Record) Refusals.Add(e.Message);
        }
    }

    private static void Vectors(byte[] bytes, string name, VectorFormat? format)
    {
        var path = Scratch.Write(name, bytes);
        Clean(() =>
        {
            var v = format is { } f ? VectorFiles.Load(path, f) : VectorFiles.Load(path);
            if (v.Count > 1) _ = v.MostSimilar(v.Words[0], topN: 2);
        });
    }

    private static void Mtx(byte[] bytes) => Clean(() =>
    {
        using var reader = new StreamReader(new MemoryStream(bytes), new UTF8Encoding(false));
        _ = MatrixMarket.Read(reader, "fuzz.mtx");
    });

    private static void SafetensorsFile(byte[] bytes)
    {
        TorchRuntime.Initialize();
        var path = Scratch.Write("w.safetensors", bytes);
        Clean(() =>
        {
            foreach (var t in Safetensors.Load(path).Values) t.Dispose();
        });
        Clean(() => _ = Safetensors.Metadata(path));
        Clean(() => _ = Safetensors.Shapes(path));
    }

    private static void Config(byte[] bytes)
    {
        var (gpt, bert, t5) = TinyModels.Folders.Value;
        foreach (var folder in new[] { gpt, bert, t5 }) File.WriteAllBytes(Path.Combine(folder, HfCheckpoint.ConfigName), bytes);
        Clean(() => Gpt.Load(gpt).Dispose());
        Clean(() => Bert.Load(bert).Model.Dispose());
        Clean(() => T5.Load(t5).Dispose());
    }

    /// <summary>The content followed by the trailer <see cref="Lineage.Text.IO.ChecksummedFile"/> writes, so mutations reach the parser behind the checksum.</summary>
    internal static byte[] WithTrailer(byte[] content)
    {
        var file = new byte[content.Length + Lineage.Text.IO.ChecksummedFile.TrailerLength];
        content.CopyTo(file, 0);
        "LNSHA256"u8.CopyTo(file.AsSpan(content.Length));
        SHA256.HashData(content, file.AsSpan(content.Length + 8));
        return file;
    }

    private static void TrainingCheckpoint(byte[] bytes)
    {
        var model = TinyModels.Classifier.Value;
        var path = Scratch.Write("c.ckpt", WithTrailer(bytes));
        Clean(() => _ = Checkpoint.Peek(path));
        Clean(() => _ = Checkpoint.Load(path, model, null));
    }

    private static void Word2VecResume(byte[] bytes)
    {
        var path = Scratch.Write("w2v.ckpt", WithTrailer(bytes));
        Clean(() =>
        {
            try
            {
                _ = Word2VecTrainer.Train(SeedFiles.Word2VecCorpus.Value, SeedFiles.Word2VecOptions with { Epochs = 2, CheckpointPath = path, Resume = true });
            }
            catch (InvalidOperationException e) when (e.Message.StartsWith("Word2Vec diverged", StringComparison.Ordinal))
            {
                // Train's own error for weights that overflow (finite but huge values resumed): the CLI's exit 2, one line.
                if (Record) Refusals.Add(e.Message);
            }
        });
    }

    private static void Idx(byte[] bytes)
    {
        var path = Scratch.Write("x-idx", bytes);
        Clean(() => _ = IdxReader.ReadImages(path));
        Clean(() => _ = IdxReader.ReadLabels(path));
    }

    private static void Png(byte[] bytes)
    {
        Clean(() => _ = ImageLoader.Decode(bytes, "fuzz.png"));
        Clean(() => _ = ImageLoader.Decode(bytes, "fuzz.png", side: 8));
    }

    private static void WordPieceVocab(byte[] bytes)
    {
        var path = Scratch.Write("vocab.txt", bytes);
        Clean(() => _ = WordPiece.Load(path).Encode("the cats sat on the mat."));
    }

    private static void Bpe(byte[] bytes)
    {
        var folder = Scratch.PathOf("bpe");
        Directory.CreateDirectory(folder);
        int nul = Array.IndexOf(bytes, (byte)0);
        File.WriteAllBytes(Path.Combine(folder, "merges.txt"), nul < 0 ? bytes : bytes[..nul]);
        var vocab = Path.Combine(folder, "vocab.json");
        if (nul < 0) File.Delete(vocab);
        else File.WriteAllBytes(vocab, bytes[(nul + 1)..]);
        Clean(() => _ = ByteLevelBpe.Load(folder).Encode("the cat sat on the mat"));
    }

    private static void SentencePieceModel(byte[] bytes)
    {
        var path = Scratch.Write("spiece.model", bytes);
        Clean(() =>
        {
            var spm = SentencePiece.Load(path);
            var ids = spm.Encode("the cat sat under the tree.");
            _ = spm.Decode(ids.Select(i => (long)i));
        });
    }

    private static void Manifest(byte[] bytes)
    {
        var path = Scratch.Write(DataManifest.FileName, bytes);
        Clean(() => _ = DataManifest.TryRead(path));
    }

    // Made on first use, inside the fuzzed action: an instrumented Lineage constructor run before SharpFuzz has set up its
    // trace memory (in a static initializer here) writes through a null pointer and the process dies.
    private static DatasetSpec? _spec;
    private static ArchiveLimits? _limits;

    /// <summary>What the archive targets keep: the paths the hostile-archive tests use.</summary>
    internal static DatasetSpec Spec => _spec ??= ArchiveSeeds.Kept();

    private static ArchiveLimits Limits => _limits ??= ArchiveSeeds.Limits();

    private static void Tgz(byte[] bytes)
    {
        var path = Scratch.Write("p.tgz", bytes);
        var root = Scratch.FreshFolder("root");
        Clean(() => NpmPackageSource.ExtractTarGz(path, root, Spec, Limits));
    }

    private static void Deb(byte[] bytes)
    {
        var path = Scratch.Write("p.deb", bytes);
        var root = Scratch.FreshFolder("root");
        Clean(() => AptPackageSource.ExtractDeb(path, root, Spec, Limits));
    }

    private static void Nupkg(byte[] bytes)
    {
        var path = Scratch.Write("p.nupkg", bytes);
        var root = Scratch.FreshFolder("root");
        Clean(() => NuGetPackageSource.ExtractNupkg(path, root, Spec, Limits));
    }
}
