using CsCheck;
using Lineage.Tests.Fuzz;
using Lineage.Text.Embeddings.Vectors;
using Lineage.Text.Encodings;
using Lineage.Text.Tests.Embeddings;
using Lineage.Text.Tokenization;

namespace Lineage.Text.Tests.Fuzz;

/// <summary>
/// Issue 29's property test per reader: valid files, mutated (bytes flipped, set to 0x00/0xFF/'\n'/' ', cut short, a run
/// repeated or dropped, random bytes inserted), thousands of times. The only outcomes allowed are a load or the reader's
/// own error, <see cref="InvalidDataException"/>: never an IndexOutOfRange, an OutOfMemory, an overflow or a hang.
/// </summary>
public sealed class MutatedFileTests : IDisposable
{
    private const int Cases = 1500;
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private void Check(string name, byte[] valid, Action<string> load) =>
        Mutations.LoadOrRefuse(Path.Combine(_dir.Path, name), valid, load, Cases, seed: "0N0XIzNsQ0O2", namesFile: false);

    private static WordVectors Vectors() => new(["the", "king", "queen", "naïve", "x"],
        [0.5f, -1.25f, 3e-8f, 1f, 2f, 3f, -0.1f, 0.2f, 0.3f, 1e10f, -2.5f, 0f, 0.333333343f, 7f, -7f], 3);

    [Theory]
    [InlineData(VectorFormat.Word2VecText)]
    [InlineData(VectorFormat.Word2VecBinary)]
    [InlineData(VectorFormat.GloveText)]
    public void VectorFiles_OnlyLoadOrRefuse(VectorFormat format)
    {
        var seed = Path.Combine(_dir.Path, "seed");
        VectorFiles.Save(Vectors(), seed, format);
        Check("v", File.ReadAllBytes(seed), path =>
        {
            var v = VectorFiles.Load(path);
            if (v.Count > 1) _ = v.MostSimilar(v.Words[0], topN: 2);
        });
    }

    [Fact]
    public void MatrixMarket_OnlyLoadsOrRefuses()
    {
        var valid = "%%MatrixMarket matrix coordinate real general\n% a comment\n3 4 3\n1 1 0.5\n2 3 1.5\n3 4 -2\n"u8.ToArray();
        Check("m.mtx", valid, path =>
        {
            using var reader = new StreamReader(path);
            _ = MatrixMarket.Read(reader, path);
        });
    }

    [Fact]
    public void WordPieceVocabulary_OnlyLoadsOrRefuses()
    {
        var valid = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "##s", "sat", "."]) + "\n");
        Check("vocab.txt", valid, path => _ = WordPiece.Load(path).Encode("the cats sat."));
    }

    [Fact]
    public void ByteLevelBpeFolder_OnlyLoadsOrRefuses()
    {
        var folder = Path.Combine(_dir.Path, "bpe");
        Directory.CreateDirectory(folder);
        ByteLevelBpe.Train(["the cat sat on the mat", "the dog sat on the log", "a cat and a dog"], 270).Save(folder);
        foreach (var file in new[] { "merges.txt", "vocab.json" })
        {
            var path = Path.Combine(folder, file);
            var valid = File.ReadAllBytes(path);
            Mutations.Of(valid).Sample(bytes =>
            {
                File.WriteAllBytes(path, bytes);
                try
                {
                    _ = ByteLevelBpe.Load(folder).Encode("the cat sat");
                }
                catch (InvalidDataException)
                {
                }
            }, iter: Cases / 2, threads: 1, seed: "0N0XIzNsQ0O2");
            File.WriteAllBytes(path, valid);
        }
    }
}
