namespace Lineage.Data.Corpora;

/// <summary>A novel as plain text: its title and its lines joined by new lines.</summary>
/// <param name="Title">The book's title.</param>
/// <param name="Text">The text, lines joined by '\n'.</param>
public sealed record Novel(string Title, string Text);

/// <summary>
/// The long public-domain novels that R data packages ship (read with <see cref="RLazyLoadDb"/>, no R needed): Jane
/// Austen's six (<c>janeaustenr</c>, one character vector of lines per book) and <i>Moby Dick</i> (<c>tokenizers</c>,
/// one string, Project Gutenberg's header and licence cut off here).
/// </summary>
public static class RNovels
{
    private static readonly (string Object, string Title)[] AustenBooks =
    [
        ("sensesensibility", "Sense and Sensibility"), ("prideprejudice", "Pride and Prejudice"), ("mansfieldpark", "Mansfield Park"),
        ("emma", "Emma"), ("northangerabbey", "Northanger Abbey"), ("persuasion", "Persuasion"),
    ];

    /// <summary>Austen's six novels in publication order (as <c>austen_books()</c> lists them).</summary>
    /// <param name="folder">The data set folder holding <c>Rdata.rdx</c> and <c>Rdata.rdb</c>.</param>
    /// <exception cref="InvalidDataException">A book is missing or not a character vector.</exception>
    public static IReadOnlyList<Novel> Austen(string folder)
    {
        var db = RLazyLoadDb.Open(folder);
        return [.. AustenBooks.Select(b => new Novel(b.Title, string.Join('\n', db.ReadStrings(b.Object).Select(line => line ?? ""))))];
    }

    /// <summary><i>Moby Dick</i> without Project Gutenberg's header and licence (the text between the START and END markers).</summary>
    /// <param name="folder">The data set folder holding <c>Rdata.rdx</c> and <c>Rdata.rdb</c>.</param>
    /// <exception cref="InvalidDataException">The object is missing or empty.</exception>
    public static Novel MobyDick(string folder)
    {
        var parts = RLazyLoadDb.Open(folder).ReadStrings("mobydick");
        var all = string.Join('\n', parts.Select(p => p ?? "")).TrimStart('\uFEFF').Replace("\r\n", "\n", StringComparison.Ordinal);
        if (all.Trim().Length == 0) throw new InvalidDataException($"{folder}: 'mobydick' is empty");
        return new Novel("Moby Dick", StripGutenberg(all));
    }

    private static readonly string[] EndMarkers = ["*** END OF", "End of Project Gutenberg", "End of the Project Gutenberg"];

    /// <summary>The text between "*** START OF …" and the end marker ("*** END OF …", or "End of (the) Project Gutenberg …" in older e-texts); the whole text when they are absent.</summary>
    public static string StripGutenberg(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int start = text.IndexOf("*** START OF", StringComparison.OrdinalIgnoreCase);
        if (start >= 0)
        {
            int lineEnd = text.IndexOf('\n', start);
            start = lineEnd < 0 ? text.Length : lineEnd + 1;
        }
        else
        {
            start = 0;
        }

        // Older e-texts close with "End of Project Gutenberg's …" before the licence, newer ones with "*** END OF".
        int end = text.Length;
        foreach (var marker in EndMarkers)
        {
            int at = text.IndexOf(marker, start, StringComparison.OrdinalIgnoreCase);
            if (at >= 0) end = Math.Min(end, at);
        }

        return text[start..end].Trim();
    }
}
