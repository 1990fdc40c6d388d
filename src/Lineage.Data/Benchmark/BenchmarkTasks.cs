// The lineage benchmark's real tasks (issue 31): two classification tasks and one retrieval task built from data sets
// the tour already fetches, each with a fixed, seeded split (TaskSplit) that the caller writes to the cache.
//   spam                   SpamAssassin bodies (headers dropped), ham / spam;
//   brown-genres           Brown corpus samples in 15 genres, each sample cut into passages; split by sample, so no
//                          sample's passages are on both sides;
//   libreoffice-retrieval  LibreOffice help pages: the page's title (its h1) is the query, the page's paragraphs are the
//                          document, with every occurrence of the title cut out of them (else the query would be copied
//                          verbatim into its answer and retrieval would be string matching).
using System.Net;
using System.Text.RegularExpressions;
using Lineage.Data.Corpora;
using Lineage.Data.Labelled;

namespace Lineage.Data.Benchmark;

/// <summary>One text of a classification task.</summary>
/// <param name="Id">Unique id (for Brown a passage: <c>ca01/2</c>).</param>
/// <param name="Document">The document the split is drawn over (the e-mail's id; the Brown sample of a passage).</param>
/// <param name="Text">The text.</param>
/// <param name="Label">The class index into <see cref="ClassificationTask.Labels"/>.</param>
public sealed record ClassificationItem(string Id, string Document, string Text, int Label);

/// <summary>A classification task: labels and the texts of both halves of its split.</summary>
/// <param name="Id">The task's id.</param>
/// <param name="Description">One line: what is classified from what.</param>
/// <param name="Labels">Class names; a class's position is its index.</param>
/// <param name="Train">Training texts, in id order.</param>
/// <param name="Test">Held-out texts, in id order.</param>
/// <param name="Split">The document split the halves come from.</param>
public sealed record ClassificationTask(string Id, string Description, IReadOnlyList<string> Labels,
    IReadOnlyList<ClassificationItem> Train, IReadOnlyList<ClassificationItem> Test, TaskSplit Split);

/// <summary>One query and the one document that answers it.</summary>
/// <param name="Id">The pair's id (the help page's path).</param>
/// <param name="Query">The query (the page's title).</param>
/// <param name="Document">The document (the page's paragraphs without the title).</param>
public sealed record RetrievalPair(string Id, string Query, string Document);

/// <summary>A retrieval task: each held-out query is ranked against every held-out document; training pairs only fit the representation.</summary>
/// <param name="Id">The task's id.</param>
/// <param name="Description">One line.</param>
/// <param name="Train">Training pairs (their texts fit vocabularies, IDF and word vectors).</param>
/// <param name="Test">Held-out pairs: query i's answer is document i of the same list.</param>
/// <param name="Split">The split.</param>
public sealed record RetrievalTask(string Id, string Description, IReadOnlyList<RetrievalPair> Train, IReadOnlyList<RetrievalPair> Test, TaskSplit Split);

/// <summary>Builds the benchmark's tasks from the data cache's folders.</summary>
public static partial class BenchmarkTasks
{
    /// <summary>Id of the spam task.</summary>
    public const string Spam = "spam";

    /// <summary>Id of the Brown genre task.</summary>
    public const string BrownGenres = "brown-genres";

    /// <summary>Id of the LibreOffice help retrieval task.</summary>
    public const string LibreOfficeRetrieval = "libreoffice-retrieval";

    /// <summary>Share of each stratum held out in every task.</summary>
    public const double TestFraction = 0.2;

    /// <summary>Passages each Brown sample (about 2,000 words) is cut into, at sentence boundaries.</summary>
    public const int BrownPassages = 4;

    /// <summary>Fewest words a help page's document keeps to be a retrieval pair.</summary>
    public const int MinDocumentWords = 8;

    /// <summary>Every task's id, classification first.</summary>
    public static IReadOnlyList<string> All { get; } = [Spam, BrownGenres, LibreOfficeRetrieval];

    /// <summary>SpamAssassin bodies (headers dropped, so no header gives the label away), ham 0 / spam 1, split stratified by label.</summary>
    /// <param name="folder">The <c>spamassassin</c> data set folder.</param>
    /// <param name="seed">The split's seed.</param>
    public static ClassificationTask ReadSpam(string folder, int seed)
    {
        var set = SpamAssassinReader.Read(folder, bodyOnly: true);
        var labels = set.Labels;
        var items = set.Documents.Select(d => new ClassificationItem(d.Id, d.Id, d.Text, set.LabelIndex(d.Label))).ToList();
        return Classification(Spam, "SpamAssassin e-mail bodies: ham or spam", labels, items, seed);
    }

    /// <summary>
    /// The Brown corpus's 500 samples in their 15 genres (<c>cats.txt</c>), each cut into <see cref="BrownPassages"/>
    /// passages of consecutive sentences (words joined by spaces, tags dropped); the split is drawn over samples, stratified by genre.
    /// </summary>
    /// <param name="folder">The <c>brown</c> data set folder.</param>
    /// <param name="seed">The split's seed.</param>
    public static ClassificationTask ReadBrownGenres(string folder, int seed)
    {
        var corpus = BrownCorpus.Read(folder);
        var labels = corpus.GenreCounts.Keys.ToList();
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var items = new List<ClassificationItem>();
        foreach (var d in corpus.Documents)
        {
            var sentences = d.Sentences.Select(s => string.Join(' ', s.Select(w => w.Word))).ToList();
            int pieces = Math.Min(BrownPassages, sentences.Count);
            for (int p = 0; p < pieces; p++)
            {
                int from = sentences.Count * p / pieces, to = sentences.Count * (p + 1) / pieces;
                items.Add(new ClassificationItem($"{d.Id}/{p}", d.Id, string.Join(' ', sentences.Skip(from).Take(to - from)), index[d.Genre]));
            }
        }

        return Classification(BrownGenres, $"Brown corpus passages (a quarter of a sample each): which of {labels.Count} genres", labels, items, seed);
    }

    /// <summary>
    /// LibreOffice help pages as query → document pairs: the query is the page's title (its first h1), the document its
    /// paragraphs (<c>&lt;p id=…&gt;</c>, headings left out) with every occurrence of the title removed (case-insensitive).
    /// Pages whose title is shared by another page (ambiguous queries) and pages with fewer than <see cref="MinDocumentWords"/>
    /// words left are dropped. Pages are read from the folder's manifest when it has one.
    /// </summary>
    /// <param name="folder">The <c>libreoffice-help-en</c> data set folder (holding <c>text/**.html</c>).</param>
    /// <param name="seed">The split's seed.</param>
    /// <exception cref="DirectoryNotFoundException">The folder has no <c>text</c> sub-folder.</exception>
    /// <exception cref="InvalidDataException">No page gives a pair.</exception>
    public static RetrievalTask ReadLibreOfficeRetrieval(string folder, int seed)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string text = Path.Combine(folder, "text");
        if (!Directory.Exists(text)) throw new DirectoryNotFoundException($"{text}: not found (a LibreOffice help folder holds text/**.html)");
        var listed = Catalog.DataManifest.ListedFiles(folder);
        var pages = (listed is null
                ? Directory.EnumerateFiles(text, "*.html", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(folder, p).Replace('\\', '/'))
                : listed.Where(p => p.StartsWith("text/", StringComparison.Ordinal) && p.EndsWith(".html", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal).ToList();
        var candidates = new List<RetrievalPair>();
        foreach (var page in pages)
        {
            var pair = HelpPair(page, File.ReadAllText(Path.Combine(folder, page)));
            if (pair is not null) candidates.Add(pair);
        }

        var shared = candidates.GroupBy(p => p.Query, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var pairs = candidates.Where(p => !shared.Contains(p.Query)).ToList();
        if (pairs.Count < 2) throw new InvalidDataException($"{text}: {pages.Count} pages but fewer than two titled pages with a body of {MinDocumentWords}+ words");
        var split = TaskSplit.Stratified(LibreOfficeRetrieval, seed, TestFraction, pairs.Select(p => (p.Id, "")));
        var test = split.Test.ToHashSet(StringComparer.Ordinal);
        return new RetrievalTask(LibreOfficeRetrieval, "LibreOffice help: a page's title → the page's paragraphs (title removed from them)",
            [.. pairs.Where(p => !test.Contains(p.Id))], [.. pairs.Where(p => test.Contains(p.Id))], split);
    }

    /// <summary>The query → document pair of one help page, or null when it has no title or too short a body.</summary>
    /// <param name="page">The page's path (the pair's id).</param>
    /// <param name="html">The page.</param>
    public static RetrievalPair? HelpPair(string page, string html)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(html);
        var h1 = Heading().Match(html);
        if (!h1.Success) return null;
        string title = Collapse(WebUtility.HtmlDecode(Tag().Replace(h1.Groups["body"].Value, "")));
        if (title.Length == 0) return null;
        var paragraphs = LibreOfficeHelp.Paragraphs(html).Where(p => !p.Id.StartsWith("hd_", StringComparison.Ordinal)).Select(p => p.Text);
        string body = Collapse(string.Join(' ', paragraphs));
        // Cutting one occurrence can join its neighbours into a new one ("Not Not OperatorOperator"): cut until none is left.
        while (body.Contains(title, StringComparison.OrdinalIgnoreCase)) body = Collapse(WithoutTitle(body, title));
        int words = body.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        return words < MinDocumentWords ? null : new RetrievalPair(page, title, body);
    }

    /// <summary><paramref name="text"/> with every occurrence of <paramref name="title"/> removed (ordinal, case-insensitive).</summary>
    public static string WithoutTitle(string text, string title)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(title);
        var sb = new System.Text.StringBuilder(text.Length);
        int at = 0;
        while (true)
        {
            int hit = text.IndexOf(title, at, StringComparison.OrdinalIgnoreCase);
            if (hit < 0) break;
            sb.Append(text, at, hit - at).Append(' ');
            at = hit + title.Length;
        }

        return sb.Append(text, at, text.Length - at).ToString();
    }

    private static ClassificationTask Classification(string id, string description, IReadOnlyList<string> labels, List<ClassificationItem> items, int seed)
    {
        var documents = items.GroupBy(i => i.Document, StringComparer.Ordinal).Select(g => (g.Key, labels[g.First().Label]));
        var split = TaskSplit.Stratified(id, seed, TestFraction, documents);
        var test = split.Test.ToHashSet(StringComparer.Ordinal);
        var ordered = items.OrderBy(i => i.Id, StringComparer.Ordinal).ToList();
        return new ClassificationTask(id, description, labels, [.. ordered.Where(i => !test.Contains(i.Document))], [.. ordered.Where(i => test.Contains(i.Document))], split);
    }

    private static string Collapse(string s) => string.Join(' ', s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    [GeneratedRegex(@"<h1\b[^>]*>(?<body>.*?)</h1>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Heading();

    [GeneratedRegex(@"<[^>]+>", RegexOptions.CultureInvariant)]
    private static partial Regex Tag();
}
