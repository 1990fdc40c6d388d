// The long real documents of the chapter: Spurgeon's Treasury of David, one document per psalm (3 k to 100 k words).
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
