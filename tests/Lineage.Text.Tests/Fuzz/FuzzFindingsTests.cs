using System.Security.Cryptography;
using Lineage.Text.Embeddings;
using Lineage.Text.Embeddings.Word2Vec;
using Lineage.Text.IO;
using Lineage.Text.Tests.Embeddings;

namespace Lineage.Text.Tests.Fuzz;

/// <summary>
/// What afl-fuzz found (tools/fuzz.sh, docs/reliability.md "Fuzzing"), each as the smallest file that shows it. The fuzz
/// targets append a valid SHA-256 trailer to each input, so these are files whose checksum is right and whose content is
/// not: a crafted file, or a bug in the writer; the reader must still refuse them with its own error.
/// </summary>
public sealed class FuzzFindingsTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Word2VecOptions Options => new()
    {
        Dimensions = 4, Window = 2, Negative = 2, MinCount = 1, Sample = 0, Epochs = 1, Threads = 1, Seed = 3,
    };

    private static EmbeddingCorpus Corpus() => EmbeddingCorpus.FromText("the cat sat on the mat\nthe dog sat on the log\na cat and a dog\n", new CorpusOptions(MinCount: 1));

    // A valid checkpoint's content (without its trailer), the position of the options string's length, and of epochsDone.
    private (byte[] Content, int OptionsAt, int EpochsAt) Checkpoint(EmbeddingCorpus corpus)
    {
        var path = _dir["valid.ckpt"];
        _ = Word2VecTrainer.Train(corpus, Options with { CheckpointPath = path });
        var content = File.ReadAllBytes(path)[..^ChecksummedFile.TrailerLength];
        int optionsAt = 1 + content[0];                           // after the magic string (one length byte, then the text)
        int length = 0, shift = 0, at = optionsAt;
        byte b;
        do
        {
            b = content[at++];
            length |= (b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);
        return (content, optionsAt, at + length);
    }

    private InvalidDataException Resume(EmbeddingCorpus corpus, byte[] content)
    {
        var path = _dir["fuzzed.ckpt"];
        var hash = SHA256.HashData(content);
        File.WriteAllBytes(path, [.. content, .. "LNSHA256"u8.ToArray(), .. hash]);
        var e = Assert.Throws<InvalidDataException>(() => Word2VecTrainer.Train(corpus, Options with { Epochs = 2, CheckpointPath = path, Resume = true }));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public void Word2VecCheckpoint_OptionsThatAreNotJson_AreRefused_NotAJsonException()
    {
        var corpus = Corpus();
        var (content, optionsAt, _) = Checkpoint(corpus);
        content[optionsAt + 2] = (byte)'x';                       // the options' opening brace
        Assert.Contains("not valid JSON", Resume(corpus, content).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Word2VecCheckpoint_AStringLengthThatIsNotA7BitInteger_IsRefused_NotAFormatException()
    {
        var corpus = Corpus();
        var (content, optionsAt, _) = Checkpoint(corpus);
        content.AsSpan(optionsAt, 5).Fill(0xFF);
        Assert.Contains("damaged", Resume(corpus, content).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Word2VecCheckpoint_ANegativeStringLength_IsRefused_NotAnIOException()
    {
        var corpus = Corpus();
        var (content, optionsAt, _) = Checkpoint(corpus);
        byte[] negative = [0xFF, 0xFF, 0xFF, 0xFF, 0x0C];       // 0xCFFFFFFF: BinaryReader's "invalid string length"
        negative.CopyTo(content, optionsAt);
        Assert.Contains("invalid string length", Resume(corpus, content).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Word2VecCheckpoint_NegativeEpochsDone_IsRefused_NotTrainedForBillionsOfEpochs()
    {
        // afl-fuzz: -16,777,214 finished epochs made a resumed run train from epoch -16,777,214 (a hang, or "diverged").
        var corpus = Corpus();
        var (content, _, epochsAt) = Checkpoint(corpus);
        BitConverter.GetBytes(-16_777_214).CopyTo(content, epochsAt);
        Assert.Contains("-16777214 finished epochs, outside 0..1", Resume(corpus, content).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Word2VecCheckpoint_NaNWeights_AreRefused_NotReportedAsDivergedTraining()
    {
        var corpus = Corpus();
        var (content, _, _) = Checkpoint(corpus);
        long n = (long)corpus.Vocabulary.Count * Options.Dimensions;
        int syn0 = (int)(content.Length - (8 + 4 * n) - (8 + 4 * n) - 8 + 8);   // syn0, syn1neg, then an empty syn1
        BitConverter.GetBytes(float.NaN).CopyTo(content, syn0);
        Assert.Contains("syn0[0] is NaN or infinite", Resume(corpus, content).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Word2VecCheckpoint_AMissingNegativeSamplingArray_IsRefused_NotReadPastItsEnd()
    {
        // syn1neg stored empty while the options use negative sampling: training indexes it with pointers.
        var corpus = Corpus();
        var (content, _, _) = Checkpoint(corpus);
        long n = (long)corpus.Vocabulary.Count * Options.Dimensions;
        var cut = content[..(int)(content.Length - (8 + 4 * n) - 8)];          // keep syn0; drop syn1neg and syn1
        byte[] empty = [.. BitConverter.GetBytes(0L), .. BitConverter.GetBytes(0L)];
        Assert.Contains($"syn1neg holds 0 floats; these options and this vocabulary need {n}", Resume(corpus, [.. cut, .. empty]).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VectorDetect_AHugeDimensionInTheHeader_IsNotAnOverflow()
    {
        // afl-fuzz (vec target): header "2 944444443": 4 · D overflowed int and the slice threw ArgumentOutOfRangeException.
        var path = Path.Combine(Path.GetTempPath(), $"lineage-detect-{Guid.NewGuid():N}.vec");
        File.WriteAllBytes(path, [.. "2 944444443\n"u8.ToArray(), 0x94, 0x68, 0xFF, 0x1E, 0x00, 0x97, 0x0A, 0x0A, 0x65, 0x20]);
        try
        {
            _ = Lineage.Text.Embeddings.Vectors.VectorFiles.Detect(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
