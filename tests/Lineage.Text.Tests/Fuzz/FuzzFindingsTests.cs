using System.Security.Cryptography;
using Lineage.Text.Embeddings;
using Lineage.Text.Embeddings.Word2Vec;
using Lineage.Text.IO;
using Lineage.Text.Tests.Embeddings;
using Lineage.Text.Tokenization;

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

    // A trained spiece.model like the fuzz target's seed (vocabulary 40, two sentinels), or null without spm_train.
    private byte[]? SentencePieceModel()
    {
        if (SentencePiece.FindTrainer() is null) return null;   // run-tests' bootstrap installs spm_train
        var folder = Directory.CreateDirectory(_dir["spm"]).FullName;
        var lines = Enumerable.Range(0, 200).Select(i => $"the cat sat on the mat and the king ran under the house {i % 7}").ToList();
        _ = SentencePiece.Train(lines, folder, vocabSize: 40, sentinels: 2, seed: 1);
        return File.ReadAllBytes(Path.Combine(folder, SentencePiece.FileName));
    }

    [Fact]
    public void SentencePiece_AModelThatLostItsPadId_IsRefused_NotEncodedOutsideItsVocabulary()
    {
        // afl-fuzz (sentencepiece target): the trainer spec's key for pad_id (field 43) mutated into another field, so
        // pad_id fell back to its default of -1; the library then left <pad> out of the vocabulary (ids 1..39 for 39
        // pieces) and encoded 'e' as id 39, which Decode refused with ArgumentOutOfRangeException.
        if (SentencePieceModel() is not { } valid) return;
        var (specAt, specLength) = Payload(valid, 0, valid.Length, field: 2);           // TrainerSpec
        int at = valid.AsSpan(specAt, specLength).IndexOf([(byte)0xD8, (byte)0x02, (byte)0x00]);   // pad_id = 0
        Assert.True(at >= 0);
        var bytes = (byte[])valid.Clone();
        bytes[specAt + at] = 0xC0;                                                        // key of field 200, a varint
        bytes[specAt + at + 1] = 0x0C;
        var path = _dir["no-pad.model"];
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => SentencePiece.Load(path));
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains("ids must run 0..", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SentencePiece_ACorruptNormalizerTrie_IsRefusedAtLoad_NotAnIndexOutOfRangeInEncode()
    {
        // afl-fuzz (sentencepiece target): one byte of the normalizer's precompiled character map (a double-array trie)
        // changed from 0 to 100; the model loaded, and Encode then threw IndexOutOfRangeException inside
        // Microsoft.ML.Tokenizers' DoubleArrayTrie.CommonPrefixSearch.
        if (SentencePieceModel() is not { } valid) return;
        var (specAt, _) = Payload(valid, 0, valid.Length, field: 3);               // NormalizerSpec
        var (mapAt, mapLength) = Payload(valid, specAt, valid.Length, field: 2);    // its precompiled_charsmap
        Assert.True(mapLength > 323);
        var bytes = (byte[])valid.Clone();
        Assert.Equal(0, bytes[mapAt + 323]);
        bytes[mapAt + 323] = 100;
        var path = _dir["corrupt-trie.model"];
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => SentencePiece.Load(path));
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
    }

    // Where the first length-delimited field number <paramref name="field"/> of the message at [from, to) starts, and its length.
    private static (int At, int Length) Payload(byte[] bytes, int from, int to, int field)
    {
        for (int at = from; at < to;)
        {
            int start = at;
            ulong key = Skip(bytes, ref at);
            if ((int)(key >> 3) == field && (key & 7) == 2)
            {
                int p = start;
                _ = Varint(bytes, ref p);
                int length = (int)Varint(bytes, ref p);
                return (p, length);
            }
        }

        throw new InvalidOperationException($"no field {field}");
    }

    // Reads one field's key and moves past its value; returns the key.
    private static ulong Skip(byte[] bytes, ref int at)
    {
        ulong key = Varint(bytes, ref at);
        switch (key & 7)
        {
            case 0: _ = Varint(bytes, ref at); break;
            case 1: at += 8; break;
            case 2:
                int length = (int)Varint(bytes, ref at);   // read first: `at += Varint(ref at)` would add to the old at
                at += length;
                break;
            case 5: at += 4; break;
            default: throw new InvalidOperationException($"wire type {key & 7}");
        }

        return key;
    }

    private static ulong Varint(byte[] bytes, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }
}
