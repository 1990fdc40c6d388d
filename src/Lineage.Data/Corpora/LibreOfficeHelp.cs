using System.Net;
using System.Text.RegularExpressions;

namespace Lineage.Data.Corpora;

/// <summary>One paragraph of a help page in two languages.</summary>
/// <param name="Page">The page's path under <c>text/</c> ("shared/main0214.html").</param>
/// <param name="Id">The paragraph's id ("par_id3150085", "hd_id3159176").</param>
/// <param name="Source">The paragraph in the first language, as plain text.</param>
/// <param name="Target">The same paragraph in the second language.</param>
public sealed record ParallelParagraph(string Page, string Id, string Source, string Target);

/// <summary>
/// Reads LibreOffice's help (Debian's <c>libreoffice-help-*</c> packages) as a parallel corpus. Every paragraph
/// (<c>&lt;p id="par_id…"&gt;</c>) and heading (<c>&lt;h1 id="hd_id…"&gt;</c> … <c>&lt;h6&gt;</c>) carries an id that the
/// translations keep, so joining two languages' pages on (page, id) aligns them paragraph by paragraph.
/// </summary>
public static partial class LibreOfficeHelp
{
    /// <summary>
    /// The paragraph pairs of two languages' help folders (each holding <c>text/**.html</c>): pages in ordinal path order,
    /// paragraphs in document order. Tags are stripped, entities decoded and whitespace collapsed; a pair is kept when
    /// both sides are non-empty and differ (identical sides are untranslated strings, code or formulas). A repeated
    /// (source, target) pair is kept once, at its first place.
    /// </summary>
    /// <param name="sourceFolder">The first language's data set folder (for example the cache of <c>libreoffice-help-en</c>).</param>
    /// <param name="targetFolder">The second language's.</param>
    /// <exception cref="DirectoryNotFoundException">A folder or its <c>text</c> sub-folder is missing.</exception>
    /// <exception cref="InvalidDataException">No page of the first language has a counterpart, or no pair is left.</exception>
    public static IReadOnlyList<ParallelParagraph> ReadPairs(string sourceFolder, string targetFolder)
    {
        string sourceText = TextFolder(sourceFolder), targetText = TextFolder(targetFolder);
        // Cached copies (folders with a data manifest) are read from their manifests' lists: a dropped-in page is never read.
        var sourceListed = Pages(sourceFolder);
        var targetListed = Pages(targetFolder)?.ToHashSet(StringComparer.Ordinal);
        var pages = (sourceListed ?? Directory.EnumerateFiles(sourceText, "*.html", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(sourceText, p).Replace('\\', '/')))
            .Order(StringComparer.Ordinal).ToList();
        var pairs = new List<ParallelParagraph>();
        var seen = new HashSet<(string, string)>();
        int matchedPages = 0;
        foreach (var page in pages)
        {
            string other = Path.Combine(targetText, page);
            if (targetListed is null ? !File.Exists(other) : !targetListed.Contains(page)) continue;
            matchedPages++;
            var translated = Paragraphs(File.ReadAllText(other)).GroupBy(p => p.Id).ToDictionary(g => g.Key, g => g.First().Text);
            foreach (var (id, text) in Paragraphs(File.ReadAllText(Path.Combine(sourceText, page))))
            {
                if (!translated.TryGetValue(id, out var target) || text.Length == 0 || target.Length == 0 || text == target) continue;
                if (seen.Add((text, target))) pairs.Add(new ParallelParagraph(page, id, text, target));
            }
        }

        if (matchedPages == 0)
            throw new InvalidDataException($"{targetText}: none of the {pages.Count} pages of {sourceText} has a counterpart here");
        if (pairs.Count == 0) throw new InvalidDataException($"{sourceText} and {targetText}: {matchedPages} pages in common but no translated paragraph");
        return pairs;
    }

    /// <summary>The paragraphs and headings of one page that carry an id, as plain text, in document order.</summary>
    public static IEnumerable<(string Id, string Text)> Paragraphs(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        foreach (Match m in Paragraph().Matches(html))
        {
            string text = WebUtility.HtmlDecode(Tag().Replace(m.Groups["body"].Value, ""));
            yield return (m.Groups["id"].Value, string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
        }
    }

    // The text/**.html pages a cached folder's manifest lists (relative to text/), or null for a folder without a manifest.
    private static IEnumerable<string>? Pages(string folder) =>
        Catalog.DataManifest.ListedFiles(folder)?
            .Where(p => p.StartsWith("text/", StringComparison.Ordinal) && p.EndsWith(".html", StringComparison.Ordinal))
            .Select(p => p["text/".Length..]);

    private static string TextFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string text = Path.Combine(folder, "text");
        if (!Directory.Exists(text)) throw new DirectoryNotFoundException($"{text}: not found (a LibreOffice help folder holds text/**.html)");
        return text;
    }

    [GeneratedRegex(@"<(?<tag>p|h[1-6])\s+id=""(?<id>[^""]+)""[^>]*>(?<body>.*?)</\k<tag>>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Paragraph();

    [GeneratedRegex(@"<[^>]+>", RegexOptions.CultureInvariant)]
    private static partial Regex Tag();
}
