using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Lineage.Text.Tokenization;

/// <summary>
/// Python 3's definitions of the character classes and the lower-casing that scikit-learn's text
/// vectorizers rely on, so that our tokens are the same as theirs on any Unicode text.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>\w</c> in Python's <c>re</c> (str patterns) is <c>str.isalnum()</c> or <c>_</c>: every letter (L*) and every
/// number (Nd, Nl, No). .NET's <c>\w</c> differs: it adds combining marks (Mn) and all connector punctuation (Pc) and
/// drops Nl/No. Python counts code points, so an astral letter is one character, not two UTF-16 units.</item>
/// <item><c>\s</c> and <c>str.split()</c> use <c>str.isspace()</c>, which also counts U+001C–U+001F as white space.</item>
/// <item><c>str.lower()</c> is a full case mapping: <c>İ</c> (U+0130) becomes <c>i̇</c> (two code points) and a capital sigma
/// at the end of a word becomes <c>ς</c>.</item>
/// </list>
/// </remarks>
public static class PythonText
{
    /// <summary>Python's <c>\w</c>: a letter, a number, or the underscore.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsWordChar(Rune r)
    {
        if (r.IsAscii)
        {
            uint v = (uint)r.Value;
            return (v - 'a' <= 'z' - 'a') || (v - 'A' <= 'Z' - 'A') || (v - '0' <= 9) || v == '_';
        }

        return Rune.GetUnicodeCategory(r) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => true,
            _ => false,
        };
    }

    /// <summary>Python's <c>str.isspace()</c> (and the regex class <c>\s</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsSpace(char c) => c switch
    {
        ' ' or '\t' or '\n' or '\v' or '\f' or '\r' => true,
        >= '\x1c' and <= '\x1f' => true,
        < '\x80' => false,
        _ => char.IsWhiteSpace(c),
    };

    /// <summary>
    /// scikit-learn's accent stripping: <c>strip_accents_unicode</c> (text with a non-ASCII character is put in NFKD and
    /// its combining marks, canonical combining class ≠ 0, are dropped) or <c>strip_accents_ascii</c> (NFKD, then every
    /// non-ASCII character dropped).
    /// </summary>
    /// <param name="text">The text (already lower-cased, as scikit-learn's preprocessor lower-cases first).</param>
    /// <param name="mode">Which of the two.</param>
    /// <param name="into">Receives the result; resized as needed.</param>
    /// <returns>The length written.</returns>
    /// <exception cref="NotSupportedException">The text is not ASCII and no Unicode normalisation is available (see <see cref="Nfkd"/>).</exception>
    public static int StripAccents(ReadOnlySpan<char> text, AccentStripping mode, ref char[] into)
    {
        int n = text.Length;
        bool ascii = System.Text.Ascii.IsValid(text);
        if (mode == AccentStripping.None || ascii)
        {
            if (into.Length < n) into = new char[Math.Max(16, n)];
            text.CopyTo(into);
            return n;
        }

        var decomposed = Nfkd.Decompose(text.ToString());
        if (into.Length < decomposed.Length) into = new char[Math.Max(16, decomposed.Length)];
        int w = 0;
        for (int i = 0; i < decomposed.Length;)
        {
            int cp = char.IsHighSurrogate(decomposed[i]) && i + 1 < decomposed.Length && char.IsLowSurrogate(decomposed[i + 1])
                ? char.ConvertToUtf32(decomposed[i], decomposed[i + 1]) : decomposed[i];
            int units = cp > 0xFFFF ? 2 : 1;
            bool keep = mode == AccentStripping.Ascii ? cp < 0x80 : !CombiningMarks.Contains(cp);
            if (keep) for (int k = 0; k < units; k++) into[w++] = decomposed[i + k];
            i += units;
        }

        return w;
    }

    /// <summary>Python's <c>str.lower()</c> of <paramref name="text"/>, appended to <paramref name="into"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="into">Receives the lower-cased text; resized as needed.</param>
    /// <returns>The length written.</returns>
    public static int Lower(ReadOnlySpan<char> text, ref char[] into)
    {
        // Lower-casing never more than doubles the length (İ → i + U+0307 is the only expansion).
        if (into.Length < text.Length * 2) into = new char[Math.Max(16, text.Length * 2)];
        var dest = into.AsSpan();
        // Vectorised for the ASCII prefix (often the whole text); the rest character by character.
        var status = System.Text.Ascii.ToLower(text, dest, out int w);
        if (status == System.Buffers.OperationStatus.Done) return w;
        int i = w;
        while (i < text.Length)
        {
            char c = text[i];
            if (c < 0x80)
            {
                dest[w++] = (uint)(c - 'A') <= 'Z' - 'A' ? (char)(c | 0x20) : c;
                i++;
                continue;
            }

            if (Rune.DecodeFromUtf16(text[i..], out var rune, out int used) != System.Buffers.OperationStatus.Done)
            {
                dest[w++] = c; // a lone surrogate: Python keeps it as it is
                i++;
                continue;
            }

            if (rune.Value == 0x130)
            {
                dest[w++] = 'i';
                dest[w++] = '\u0307';
            }
            else if (rune.Value == 0x3A3)
            {
                dest[w++] = IsFinalSigma(text, i) ? 'ς' : 'σ';
            }
            else
            {
                w += Rune.ToLowerInvariant(rune).EncodeToUtf16(dest[w..]);
            }

            i += used;
        }

        return w;
    }

    /// <summary>Python's <c>str.lower()</c>.</summary>
    public static string Lower(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = Array.Empty<char>();
        int n = Lower(text, ref buffer);
        return new string(buffer, 0, n);
    }

    // Unicode's Final_Sigma condition: a cased letter before (skipping case-ignorable characters) and none after.
    private static bool IsFinalSigma(ReadOnlySpan<char> text, int at)
    {
        bool before = false;
        for (int j = at; j > 0;)
        {
            Rune.DecodeLastFromUtf16(text[..j], out var r, out int n);
            j -= n;
            if (IsCaseIgnorable(r)) continue;
            before = IsCased(r);
            break;
        }

        if (!before) return false;
        for (int j = at + 1; j < text.Length;)
        {
            Rune.DecodeFromUtf16(text[j..], out var r, out int n);
            j += n;
            if (IsCaseIgnorable(r)) continue;
            return !IsCased(r);
        }

        return true;
    }

    private static bool IsCased(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    private static bool IsCaseIgnorable(Rune r) => r.Value is '\'' or '.' or ':' or '^' or '`' or 0xAD or 0x2019
        || Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;
}
