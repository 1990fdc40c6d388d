using System.Globalization;

namespace Lineage.Text.Encodings;

/// <summary>
/// The terms of a fitted encoder in column order: column <c>i</c> counts term <c>Terms[i]</c>. Terms are sorted
/// by Unicode code point (Python's <c>sorted</c>), so the order is the same as scikit-learn's and does not depend on
/// the order documents came in.
/// </summary>
public sealed class Vocabulary
{
    private readonly TermTable _table;
    private string[]? _terms;   // made on first use when the vocabulary comes from a fit

    /// <summary>A vocabulary from its terms in column order.</summary>
    /// <exception cref="ArgumentException">A term occurs twice.</exception>
    public Vocabulary(IEnumerable<string> terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        _terms = [.. terms];
        _table = new TermTable(_terms.Length);
        for (int i = 0; i < _terms.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(_terms[i], nameof(terms));
            if (_table.GetOrAdd(_terms[i]) != i)
            {
                throw new ArgumentException($"Term '{_terms[i]}' occurs twice in the vocabulary (columns {_table.Find(_terms[i])} and {i}).", nameof(terms));
            }
        }
    }

    // A fit hands over its own table, whose ids are the columns; the term strings are made only if asked for.
    internal Vocabulary(TermTable table) => _table = table;

    /// <summary>Number of terms (columns).</summary>
    public int Count => _table.Count;

    /// <summary>The terms, in column order.</summary>
    public IReadOnlyList<string> Terms => _terms ??= [.. Enumerable.Range(0, _table.Count).Select(_table.TermString)];

    /// <summary>The term of column <paramref name="column"/>.</summary>
    public string this[int column] => _terms is null ? _table.TermString(column) : _terms[column];

    /// <summary>The column of <paramref name="term"/>, or -1 when it is not in the vocabulary.</summary>
    public int IndexOf(ReadOnlySpan<char> term) => _table.Find(term);

    // The lookup with the term's hash already computed (TermTable.Hash), and the prefetch hint before it.
    internal int IndexOf(ReadOnlySpan<char> term, int hash) => _table.Find(term, hash);

    internal void Prefetch(int hash) => _table.Prefetch(hash);

    /// <summary>The column of <paramref name="term"/>, or -1 when it is not in the vocabulary.</summary>
    public int IndexOf(string term)
    {
        ArgumentNullException.ThrowIfNull(term);
        return _table.Find(term);
    }

    /// <summary>Whether <paramref name="term"/> has a column.</summary>
    public bool Contains(string term) => IndexOf(term) >= 0;

    /// <summary>"N terms".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Count:N0} terms");
}

/// <summary>Orders strings by Unicode code point, as Python compares <c>str</c> (ordinal UTF-16 order differs on astral characters).</summary>
public sealed class CodePointComparer : IComparer<string>
{
    /// <summary>The comparer.</summary>
    public static CodePointComparer Instance { get; } = new();

    /// <inheritdoc />
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int n = Math.Min(x.Length, y.Length);
        for (int i = 0; i < n; i++)
        {
            char a = x[i], b = y[i];
            if (a == b) continue;
            // Surrogates (D800–DFFF) encode code points above FFFF: move them above E000–FFFF.
            if (a >= 0xD800 && b >= 0xD800) return Fix(a).CompareTo(Fix(b));
            return a.CompareTo(b);
        }

        return x.Length.CompareTo(y.Length);
    }

    private static int Fix(char c) => c >= 0xE000 ? c - 0x800 : c + 0x2000;
}

/// <summary>
/// A document-frequency bound (scikit-learn's <c>min_df</c> / <c>max_df</c>): an absolute number of documents, or a
/// fraction of the documents (an int or a float in Python).
/// </summary>
/// <param name="Value">Documents, or a fraction in [0, 1].</param>
/// <param name="IsFraction">Whether <paramref name="Value"/> is a fraction.</param>
public readonly record struct DocumentFrequency(double Value, bool IsFraction)
{
    /// <summary>At least or at most <paramref name="documents"/> documents.</summary>
    public static DocumentFrequency Documents(int documents) => documents >= 0
        ? new(documents, false)
        : throw new ArgumentOutOfRangeException(nameof(documents), documents, "A document count cannot be negative.");

    /// <summary>A fraction of the documents.</summary>
    public static DocumentFrequency Fraction(double fraction) => fraction is >= 0 and <= 1
        ? new(fraction, true)
        : throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "A document fraction must be in [0, 1].");

    /// <summary>Parses "5" (documents) or "0.5" / "1.0" (fraction), as Python tells an int from a float.</summary>
    /// <exception cref="FormatException">Neither.</exception>
    public static DocumentFrequency Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) return Documents(n);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && f is >= 0 and <= 1) return Fraction(f);
        throw new FormatException($"'{text}' is neither a document count (an integer ≥ 0) nor a fraction in [0, 1] (a number with a decimal point).");
    }

    /// <summary>The bound in documents for a corpus of <paramref name="documents"/> (a fraction is not rounded, as in scikit-learn).</summary>
    public double For(int documents) => IsFraction ? Value * documents : Value;

    /// <summary>"5" or "0.5".</summary>
    public override string ToString() => IsFraction ? Value.ToString("0.0##############", CultureInfo.InvariantCulture) : Value.ToString(CultureInfo.InvariantCulture);
}
