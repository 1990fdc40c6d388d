using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Lineage.Data.Corpora;

/// <summary>One chapter-block of a SWORD commentary: for the Treasury of David, the preface or one psalm's commentary.</summary>
/// <param name="Title">"Preface" or "Psalm N".</param>
/// <param name="Text">Plain text: OSIS notes dropped, tags stripped, entities decoded, whitespace collapsed, paragraphs as new lines.</param>
public sealed record CommentaryDocument(string Title, string Text);

/// <summary>
/// Reads C. H. Spurgeon's <i>Treasury of David</i> (1869–1885, public domain) from the SWORD zCom4 module in Debian's
/// <c>sword-comm-tdavid</c>, in pure C#. The module is one book (Psalms) stored in chapter blocks:
/// <c>ot.czs</c> holds 12-byte little-endian records (offset, compressed size, uncompressed size) pointing at zlib
/// streams in <c>ot.czz</c>; each stream is one chapter's OSIS XML (<c>ot.czv</c> indexes the verses inside, not needed
/// for whole chapters). One block is an importer milestone (empty), one the preface, then Psalms 1–150.
/// </summary>
public static partial class TreasuryOfDavid
{
    /// <summary>The documents in order (preface, Psalm 1 … Psalm 150), empty blocks skipped.</summary>
    /// <param name="folder">The data set folder holding <c>ot.czs</c> and <c>ot.czz</c>.</param>
    /// <exception cref="FileNotFoundException">A module file is missing.</exception>
    /// <exception cref="InvalidDataException">An index record points outside the data file, or a block does not decompress to its recorded size.</exception>
    public static IReadOnlyList<CommentaryDocument> Read(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string index = Path.Combine(folder, "ot.czs"), data = Path.Combine(folder, "ot.czz");
        foreach (var path in new[] { index, data })
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found (SWORD zCom4 module of the Treasury of David)", path);
        var records = File.ReadAllBytes(index);
        var blocks = File.ReadAllBytes(data);
        if (records.Length % 12 != 0) throw new InvalidDataException($"{index}: {records.Length} bytes is not a whole number of 12-byte block records");
        var documents = new List<CommentaryDocument>();
        for (int r = 0; r < records.Length / 12; r++)
        {
            uint offset = BitConverter.ToUInt32(records, r * 12), size = BitConverter.ToUInt32(records, r * 12 + 4), plain = BitConverter.ToUInt32(records, r * 12 + 8);
            if (size == 0) continue;
            if ((long)offset + size > blocks.Length)
                throw new InvalidDataException($"{index}: block {r} points at bytes {offset}..{(long)offset + size} of {data}, which has {blocks.Length}");
            using var zlib = new ZLibStream(new MemoryStream(blocks, (int)offset, (int)size), CompressionMode.Decompress);
            using var output = new MemoryStream();
            zlib.CopyTo(output);
            if (output.Length != plain) throw new InvalidDataException($"{data}: block {r} decompressed to {output.Length} bytes, the index says {plain}");
            string osis = Encoding.UTF8.GetString(output.GetBuffer(), 0, (int)output.Length);
            string text = ToText(osis);
            if (text.Length == 0) continue;
            var chapter = ChapterPattern().Match(osis);
            documents.Add(new CommentaryDocument(chapter.Success ? $"Psalm {chapter.Groups[1].Value}" : "Preface", text));
        }

        return documents;
    }

    /// <summary>OSIS XML → plain text: notes dropped, paragraph and line breaks kept as new lines, other tags removed.</summary>
    public static string ToText(string osis)
    {
        ArgumentNullException.ThrowIfNull(osis);
        var s = NotePattern().Replace(osis, " ");
        s = BreakPattern().Replace(s, "\n");
        s = TagPattern().Replace(s, " ");
        s = WebUtility.HtmlDecode(s);
        s = SpacePattern().Replace(s, " ");
        s = BlankLinePattern().Replace(s, "\n");
        return s.Trim();
    }

    [GeneratedRegex(@"<note\b.*?</note>", RegexOptions.Singleline)]
    private static partial Regex NotePattern();

    [GeneratedRegex(@"<(div|lb|p)\b[^>]*\beID=""[^""]*""[^>]*/>|<lb\s*/>|</title>")]
    private static partial Regex BreakPattern();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"[ \t\r]+")]
    private static partial Regex SpacePattern();

    [GeneratedRegex(@"\s*\n\s*")]
    private static partial Regex BlankLinePattern();

    [GeneratedRegex(@"<chapter\b[^>]*\bn=""(\d+)""")]
    private static partial Regex ChapterPattern();
}
