using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Lineage.Text.Tokenization;

/// <summary>What a vectorizer counts: words, characters, or characters inside word boundaries (scikit-learn's <c>analyzer</c>).</summary>
public enum AnalyzerKind
{
    /// <summary>Tokens from the token pattern, then word n-grams (<c>analyzer='word'</c>).</summary>
    Word,
    /// <summary>Character n-grams over the whole text, runs of white space collapsed (<c>analyzer='char'</c>).</summary>
    Characters,
    /// <summary>Character n-grams inside each white-space separated word padded with a space (<c>analyzer='char_wb'</c>).</summary>
    CharWordBounded,
}

/// <summary>scikit-learn's <c>strip_accents</c>: none, <c>'ascii'</c> or <c>'unicode'</c>.</summary>
public enum AccentStripping
{
    /// <summary>Keep accents (<c>strip_accents=None</c>, the default).</summary>
    None,
    /// <summary>NFKD, then drop every non-ASCII character (<c>'ascii'</c>: fast, loses non-Latin letters entirely).</summary>
    Ascii,
    /// <summary>NFKD, then drop combining marks (<c>'unicode'</c>: slower, keeps other scripts).</summary>
    Unicode,
}

/// <summary>Receives the terms of a document one at a time, without a string allocated per term.</summary>
public interface ITermSink
{
    /// <summary>One term; the span is only valid during the call.</summary>
    void Add(ReadOnlySpan<char> term);
}

/// <summary>
/// Turns a document into its terms exactly as scikit-learn's <c>CountVectorizer.build_analyzer()</c> does:
/// lower-case (Python's <c>str.lower</c>), tokenise with the token pattern, drop stop words, then word n-grams
/// (<c>"a b"</c> joined by one space, unigrams first); or character n-grams (<see cref="AnalyzerKind.Characters"/>,
/// <see cref="AnalyzerKind.CharWordBounded"/>). Characters are counted in code points, as Python does.
/// </summary>
/// <remarks>
/// The default pattern <c>(?u)\b\w\w+\b</c> runs on a hand-written scanner with Python's <c>\w</c>
/// (see <see cref="PythonText"/>); any other pattern is rewritten by <see cref="PythonRegex"/> (Python's <c>\w \b \s</c>)
/// and runs on .NET's <see cref="Regex"/>; astral characters are matched as one code point, as in Python. As in Python's <c>re.findall</c>, a pattern with one capturing group yields the group; more than one group is
/// an error.
/// </remarks>
public sealed record TextAnalyzer
{
    /// <summary>scikit-learn's default <c>token_pattern</c>.</summary>
    public const string DefaultPattern = RegexTokenizer.DefaultPattern;

    private readonly Regex? _regex;
    private readonly HashSet<string>? _stopSet;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _stopLookup;

    /// <summary>An analyzer; the defaults are scikit-learn's.</summary>
    /// <param name="kind">Words or characters.</param>
    /// <param name="minN">Smallest n-gram (≥ 1).</param>
    /// <param name="maxN">Largest n-gram (≥ <paramref name="minN"/>).</param>
    /// <param name="lowercase">Lower-case before tokenising.</param>
    /// <param name="tokenPattern">Token pattern (word analyzer only).</param>
    /// <param name="stopWords">Terms removed after tokenising (word analyzer only); null for none.</param>
    /// <param name="stripAccents">Accent stripping after lower-casing (scikit-learn's order).</param>
    /// <exception cref="ArgumentException">A bad n-gram range, an invalid pattern, or one with more than one group.</exception>
    public TextAnalyzer(AnalyzerKind kind = AnalyzerKind.Word, int minN = 1, int maxN = 1, bool lowercase = true,
        string tokenPattern = DefaultPattern, IEnumerable<string>? stopWords = null, AccentStripping stripAccents = AccentStripping.None)
    {
        if (minN < 1 || maxN < minN)
        {
            throw new ArgumentException($"Invalid n-gram range ({minN}, {maxN}): need 1 ≤ min ≤ max.", nameof(minN));
        }

        ArgumentNullException.ThrowIfNull(tokenPattern);
        Kind = kind;
        MinN = minN;
        MaxN = maxN;
        Lowercase = lowercase;
        if (!Enum.IsDefined(stripAccents)) throw new ArgumentOutOfRangeException(nameof(stripAccents), stripAccents, "not an accent-stripping mode");
        StripAccents = stripAccents;
        TokenPattern = tokenPattern;
        if (kind == AnalyzerKind.Word && tokenPattern != DefaultPattern)
        {
            var dotnet = PythonRegex.ToDotNet(tokenPattern);
            try
            {
                _regex = new Regex(dotnet, RegexOptions.CultureInvariant | RegexOptions.Compiled);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Token pattern '{tokenPattern}' is not a valid regular expression: {e.Message}", nameof(tokenPattern), e);
            }

            if (_regex.GetGroupNumbers().Length > 2)
            {
                throw new ArgumentException($"Token pattern '{tokenPattern}' has more than one capturing group (scikit-learn refuses it too).", nameof(tokenPattern));
            }
        }

        if (stopWords is not null)
        {
            _stopSet = new HashSet<string>(stopWords, StringComparer.Ordinal);
            _stopLookup = _stopSet.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        StopWords = _stopSet is null ? null : [.. _stopSet.Order(StringComparer.Ordinal)];
    }

    /// <summary>Words or characters.</summary>
    public AnalyzerKind Kind { get; }

    /// <summary>Smallest n-gram.</summary>
    public int MinN { get; }

    /// <summary>Largest n-gram.</summary>
    public int MaxN { get; }

    /// <summary>Lower-case before tokenising.</summary>
    public bool Lowercase { get; }

    /// <summary>Accent stripping (after lower-casing).</summary>
    public AccentStripping StripAccents { get; }

    /// <summary>Token pattern of the word analyzer.</summary>
    public string TokenPattern { get; }

    /// <summary>Stop words (sorted, ordinal), or null.</summary>
    public IReadOnlyList<string>? StopWords { get; }

    /// <summary>scikit-learn's name of an analyzer kind: <c>word</c>, <c>char</c> or <c>char_wb</c>.</summary>
    public static string KindName(AnalyzerKind kind) => kind switch
    {
        AnalyzerKind.Word => "word",
        AnalyzerKind.Characters => "char",
        _ => "char_wb",
    };

    /// <summary>scikit-learn's value of <c>strip_accents</c>: <c>null</c>, <c>ascii</c> or <c>unicode</c>.</summary>
    public static string? StripAccentsName(AccentStripping mode) => mode switch
    {
        AccentStripping.Ascii => "ascii",
        AccentStripping.Unicode => "unicode",
        _ => null,
    };

    /// <summary>The accent stripping of scikit-learn's value (<c>null</c>/<c>none</c>, <c>ascii</c>, <c>unicode</c>), or null for any other.</summary>
    public static AccentStripping? ParseStripAccents(string? name) => name switch
    {
        null or "none" => AccentStripping.None,
        "ascii" => AccentStripping.Ascii,
        "unicode" => AccentStripping.Unicode,
        _ => null,
    };

    /// <summary>The analyzer kind of scikit-learn's name (<c>word</c>, <c>char</c>, <c>char_wb</c>), or null for any other.</summary>
    public static AnalyzerKind? ParseKind(string? name) => name switch
    {
        "word" => AnalyzerKind.Word,
        "char" => AnalyzerKind.Characters,
        "char_wb" => AnalyzerKind.CharWordBounded,
        _ => null,
    };

    /// <summary>The terms of a document, as new strings (convenient; vectorizers use the allocation-free overload).</summary>
    public IReadOnlyList<string> Analyze(string document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var sink = new ListSink();
        Analyze(document, new AnalyzerBuffers(), ref sink);
        return sink.Terms;
    }

    /// <summary>Sends every term of <paramref name="document"/> to <paramref name="sink"/>, in scikit-learn's order.</summary>
    /// <param name="document">The text.</param>
    /// <param name="buffers">Scratch space; one per thread.</param>
    /// <param name="sink">Receives the terms.</param>
    public void Analyze<TSink>(ReadOnlySpan<char> document, AnalyzerBuffers buffers, ref TSink sink) where TSink : ITermSink
    {
        ArgumentNullException.ThrowIfNull(buffers);
        var text = Prepare(document, buffers);
        switch (Kind)
        {
            case AnalyzerKind.Word:
                Words(text, buffers, ref sink);
                break;
            case AnalyzerKind.Characters:
                CharGrams(text, buffers, ref sink);
                break;
            default:
                CharWordGrams(text, buffers, ref sink);
                break;
        }
    }

    /// <summary>
    /// For a word analyzer without n-grams: the lower-cased (and accent-stripped) text, its tokens left in
    /// <paramref name="buffers"/> (<c>Starts</c>, <c>Lengths</c>, <c>TokenCount</c>), so that a counter can look
    /// several up at once. False, and nothing done, for any other analyzer.
    /// </summary>
    internal bool TryUnigrams(ReadOnlySpan<char> document, AnalyzerBuffers buffers, out ReadOnlySpan<char> text)
    {
        if (Kind != AnalyzerKind.Word || MaxN != 1)
        {
            text = default;
            return false;
        }

        text = Prepare(document, buffers);
        Tokens(text, buffers);
        return true;
    }

    private ReadOnlySpan<char> Prepare(ReadOnlySpan<char> document, AnalyzerBuffers buffers)
    {
        ReadOnlySpan<char> text;
        if (Lowercase)
        {
            int n = PythonText.Lower(document, ref buffers.Lower);
            text = buffers.Lower.AsSpan(0, n);
        }
        else
        {
            text = document;
        }

        if (StripAccents != AccentStripping.None && !System.Text.Ascii.IsValid(text))   // ASCII text has no accents: no copy
        {
            int n = PythonText.StripAccents(text, StripAccents, ref buffers.Accents);
            text = buffers.Accents.AsSpan(0, n);
        }

        return text;
    }

    // The token pattern's matches, less stop words, into b.Starts / b.Lengths.
    private void Tokens(ReadOnlySpan<char> text, AnalyzerBuffers b)
    {
        b.TokenCount = 0;
        if (_regex is null) DefaultTokenScanner.Scan(text, b);
        else ScanRegex(text, b);

        if (_stopSet is not null)
        {
            int kept = 0;
            for (int t = 0; t < b.TokenCount; t++)
            {
                if (_stopLookup.Contains(text.Slice(b.Starts[t], b.Lengths[t]))) continue;
                b.Starts[kept] = b.Starts[t];
                b.Lengths[kept] = b.Lengths[t];
                kept++;
            }

            b.TokenCount = kept;
        }
    }

    private void Words<TSink>(ReadOnlySpan<char> text, AnalyzerBuffers b, ref TSink sink) where TSink : ITermSink
    {
        Tokens(text, b);
        int count = b.TokenCount;
        if (MinN == 1)
        {
            for (int t = 0; t < count; t++) sink.Add(text.Slice(b.Starts[t], b.Lengths[t]));
        }

        for (int n = Math.Max(MinN, 2); n <= Math.Min(MaxN, count); n++)
        {
            for (int i = 0; i + n <= count; i++)
            {
                int len = n - 1;
                for (int k = 0; k < n; k++) len += b.Lengths[i + k];
                if (b.Gram.Length < len) b.Gram = new char[Math.Max(len, b.Gram.Length * 2)];
                int w = 0;
                for (int k = 0; k < n; k++)
                {
                    if (k > 0) b.Gram[w++] = ' ';
                    text.Slice(b.Starts[i + k], b.Lengths[i + k]).CopyTo(b.Gram.AsSpan(w));
                    w += b.Lengths[i + k];
                }

                sink.Add(b.Gram.AsSpan(0, w));
            }
        }
    }

    private void ScanRegex(ReadOnlySpan<char> text, AnalyzerBuffers b)
    {
        // .NET's Regex sees UTF-16 units, Python's sees code points. Where the text has astral characters, match on a copy
        // in which each becomes one BMP stand-in of the same class (a letter, or a symbol), then map offsets back.
        int[]? offsets = null;
        ReadOnlySpan<char> subject = text;
        if (text.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0)
        {
            var copy = new char[text.Length];
            offsets = new int[text.Length + 1];
            int w = 0;
            for (int i = 0; i < text.Length; w++)
            {
                offsets[w] = i;
                if (Rune.DecodeFromUtf16(text[i..], out var r, out int used) == OperationStatus.Done && used == 2)
                {
                    copy[w] = PythonText.IsWordChar(r) ? '\u00AA' : '\uFFFC';
                    i += 2;
                }
                else
                {
                    copy[w] = text[i];
                    i += 1;
                }
            }

            offsets[w] = text.Length;
            subject = copy.AsSpan(0, w);
        }

        void Add(int index, int length)
        {
            if (offsets is null) b.AddToken(index, length);
            else b.AddToken(offsets[index], offsets[index + length] - offsets[index]);
        }

        if (_regex!.GetGroupNumbers().Length == 1)
        {
            foreach (var m in _regex.EnumerateMatches(subject)) Add(m.Index, m.Length);
            return;
        }

        // One capturing group: findall returns the group (empty when it did not take part).
        var s = subject.ToString();
        for (var m = _regex.Match(s); m.Success; m = m.NextMatch())
        {
            var g = m.Groups[1];
            Add(g.Success ? g.Index : m.Index, g.Success ? g.Length : 0);
        }
    }

    private void CharGrams<TSink>(ReadOnlySpan<char> text, AnalyzerBuffers b, ref TSink sink) where TSink : ITermSink
    {
        // _white_spaces.sub(" ", text): runs of two or more white-space characters become one space.
        if (b.Gram.Length < text.Length) b.Gram = new char[Math.Max(16, text.Length)];
        int w = 0;
        for (int i = 0; i < text.Length;)
        {
            if (PythonText.IsSpace(text[i]) && i + 1 < text.Length && PythonText.IsSpace(text[i + 1]))
            {
                while (i < text.Length && PythonText.IsSpace(text[i])) i++;
                b.Gram[w++] = ' ';
            }
            else
            {
                b.Gram[w++] = text[i++];
            }
        }

        EmitCharGrams(b.Gram.AsSpan(0, w), b, ref sink, wordBounded: false);
    }

    private void CharWordGrams<TSink>(ReadOnlySpan<char> text, AnalyzerBuffers b, ref TSink sink) where TSink : ITermSink
    {
        for (int i = 0; i < text.Length;)
        {
            while (i < text.Length && PythonText.IsSpace(text[i])) i++;
            int start = i;
            while (i < text.Length && !PythonText.IsSpace(text[i])) i++;
            if (i == start) break;
            int len = i - start + 2;
            if (b.Gram.Length < len) b.Gram = new char[Math.Max(len, b.Gram.Length * 2)];
            b.Gram[0] = ' ';
            text[start..i].CopyTo(b.Gram.AsSpan(1));
            b.Gram[len - 1] = ' ';
            EmitCharGrams(b.Gram.AsSpan(0, len), b, ref sink, wordBounded: true);
        }
    }

    // The n-grams of code points of `text`; `wordBounded` follows _char_wb_ngrams (a word shorter than n counted once).
    private void EmitCharGrams<TSink>(ReadOnlySpan<char> text, AnalyzerBuffers b, ref TSink sink, bool wordBounded) where TSink : ITermSink
    {
        // Start offset of every code point, plus the end.
        if (b.Runes.Length < text.Length + 1) b.Runes = new int[Math.Max(16, text.Length + 1)];
        int cps = 0;
        for (int i = 0; i < text.Length;)
        {
            b.Runes[cps++] = i;
            i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
        }

        b.Runes[cps] = text.Length;
        var at = b.Runes;
        if (wordBounded)
        {
            for (int n = MinN; n <= MaxN; n++)
            {
                int offset = 0;
                sink.Add(text[at[0]..at[Math.Min(n, cps)]]);
                while (offset + n < cps)
                {
                    offset++;
                    sink.Add(text[at[offset]..at[offset + n]]);
                }

                if (offset == 0) break;
            }

            return;
        }

        int min = MinN;
        if (min == 1)
        {
            for (int i = 0; i < cps; i++) sink.Add(text[at[i]..at[i + 1]]);
            min = 2;
        }

        for (int n = min; n <= Math.Min(MaxN, cps); n++)
        {
            for (int i = 0; i + n <= cps; i++) sink.Add(text[at[i]..at[i + n]]);
        }
    }

    /// <inheritdoc />
    public bool Equals(TextAnalyzer? other) => other is not null && Kind == other.Kind && MinN == other.MinN && MaxN == other.MaxN
        && Lowercase == other.Lowercase && StripAccents == other.StripAccents && TokenPattern == other.TokenPattern
        && (StopWords ?? []).SequenceEqual(other.StopWords ?? [], StringComparer.Ordinal) && (StopWords is null) == (other.StopWords is null);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, MinN, MaxN, Lowercase, StripAccents, TokenPattern, StopWords?.Count ?? -1);

    /// <summary>A short description, e.g. <c>word 1-2, lowercase</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{KindName(Kind)} {MinN}-{MaxN}{(Lowercase ? ", lowercase" : "")}{(StripAccents == AccentStripping.None ? "" : $", strip accents ({StripAccentsName(StripAccents)})")}{(StopWords is null ? "" : $", {StopWords.Count} stop words")}");

    private struct ListSink : ITermSink
    {
        public ListSink() { }

        public List<string> Terms { get; } = [];

        public readonly void Add(ReadOnlySpan<char> term) => Terms.Add(term.ToString());
    }
}

/// <summary>Scratch space for <see cref="TextAnalyzer"/>: reused across documents, one instance per thread.</summary>
public sealed class AnalyzerBuffers
{
    internal char[] Lower = new char[256];
    internal char[] Accents = new char[256];
    internal char[] Gram = new char[256];
    internal int[] Runes = new int[256];
    internal int[] Starts = new int[64];
    internal int[] Lengths = new int[64];
    internal int TokenCount;

    /// <summary>Makes room for <paramref name="tokens"/> tokens in <see cref="Starts"/> and <see cref="Lengths"/>.</summary>
    internal void Reserve(int tokens)
    {
        if (tokens <= Starts.Length) return;
        int size = Math.Max(tokens, Starts.Length * 2);
        Array.Resize(ref Starts, size);
        Array.Resize(ref Lengths, size);
    }

    internal void AddToken(int start, int length)
    {
        Reserve(TokenCount + 1);
        Starts[TokenCount] = start;
        Lengths[TokenCount] = length;
        TokenCount++;
    }
}
