// The long real documents of the chapter: Spurgeon's Treasury of David, one document per psalm (3 k to 100 k words),
// for training and held-out scoring; Moby Dick and Jane Austen's novels, unseen in training, for scoring on other prose.
using Lineage.Data;
using Lineage.Data.Catalog;
using Lineage.Data.Corpora;
using Lineage.Neural.Sequence;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Experiments.LongContext;

/// <summary>The Treasury of David as bytes: every tenth psalm held out, and the whole text for benchmarks.</summary>
internal sealed record LongDocuments(ByteCorpus Corpus, DataManifest Manifest, int Documents, long LongestDocumentBytes)
{
    /// <summary>Fetches (if needed) and reads the Treasury of David.</summary>
    public static LongDocuments Load(ExperimentContext context)
    {
        var folder = context.Require(DataCatalog.TreasuryOfDavid);
        var manifest = context.Data.Check(DataCatalog.TreasuryOfDavid).Manifest!;
        var docs = TreasuryOfDavid.Read(folder);
        var train = new System.Text.StringBuilder();
        var heldOut = new System.Text.StringBuilder();
        for (int i = 0; i < docs.Count; i++) (i % 10 == 9 ? heldOut : train).Append(docs[i].Text).Append("\n\n");
        long longest = docs.Max(d => (long)System.Text.Encoding.UTF8.GetByteCount(d.Text));
        return new LongDocuments(ByteCorpus.FromText(train.ToString(), heldOut.ToString(), "Spurgeon's Treasury of David"), manifest, docs.Count, longest);
    }

    /// <summary>
    /// Moby Dick and Austen's six novels as UTF-8 bytes (one corpus each, the novels joined): long prose no model of
    /// the chapter is trained on (so they are not part of any model-cache key).
    /// </summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> OtherBooks(ExperimentContext context)
    {
        var moby = context.Require(DataCatalog.MobyDick);
        var austen = context.Require(DataCatalog.Austen);
        return
        [
            ("Moby Dick", System.Text.Encoding.UTF8.GetBytes(RNovels.MobyDick(moby).Text)),
            ("Austen", System.Text.Encoding.UTF8.GetBytes(string.Join("\n\n", RNovels.Austen(austen).Select(b => b.Text)))),
        ];
    }

    /// <summary>
    /// Bits per byte over <paramref name="windows"/> windows spread evenly through <paramref name="book"/> (so a novel's
    /// opening pages do not stand for all of it), each scored like <see cref="ByteLm.BitsPerByte"/> scores held-out text.
    /// </summary>
    public static double SpreadBitsPerByte(nn.Module<Tensor, Tensor> model, byte[] book, int length, int scored, int windows)
    {
        ArgumentNullException.ThrowIfNull(book);
        ArgumentOutOfRangeException.ThrowIfLessThan(windows, 1);
        if (book.Length < length + 1) throw new ArgumentException($"The book has {book.Length} bytes, fewer than one window of {length + 1}.", nameof(book));
        double sum = 0;
        for (int w = 0; w < windows; w++)
        {
            long start = windows == 1 ? 0 : (long)(book.Length - length - 1) * w / (windows - 1);
            sum += ByteLm.BitsPerByte(model, book.AsSpan((int)start, length + 1), length, scored, maxWindows: 1, batch: 1);
        }

        return sum / windows;
    }

    /// <summary>The first n bytes of the training text embedded by a fixed random table (256, dim): real text as (1, n, dim) activations.</summary>
    public Tensor Embedded(long n, int dim, int seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var table = randn([256, dim], generator: generator);
        var bytes = new long[n];
        for (long i = 0; i < n; i++) bytes[i] = Corpus.Train[i % Corpus.Train.Length];
        return table.index_select(0, tensor(bytes)).unsqueeze(0).MoveToOuterDisposeScope();
    }
}
