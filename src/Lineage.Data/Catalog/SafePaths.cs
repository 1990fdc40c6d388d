using System.Globalization;
using System.Text;

namespace Lineage.Data.Catalog;

/// <summary>
/// Checks shared by the manifest, the cache check and the archive readers: relative paths that stay inside their folder,
/// and text from files or archives made printable before it goes into a message.
/// </summary>
internal static class SafePaths
{
    /// <summary>The text on one line with control characters (escape sequences, NUL, line breaks, …) as <c>\uXXXX</c>.</summary>
    internal static string Escape(string? text)
    {
        if (text is null) return "";
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
            {
                sb.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Why <paramref name="path"/> is not a safe relative path ('/'-separated, no empty, "." or ".." segment, not rooted,
    /// no backslash, colon or control character), or null when it is one.
    /// </summary>
    internal static string? Problem(string? path)
    {
        if (string.IsNullOrEmpty(path)) return "an empty path";
        if (path.Length > 1024) return "a path longer than 1024 characters";
        if (path[0] == '/' || Path.IsPathRooted(path)) return "an absolute path";
        foreach (var c in path)
        {
            if (char.IsControl(c)) return "a control character in the path";
            if (c is '\\' or ':') return $"a '{c}' in the path";
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0) return "an empty path segment";
            if (segment is "." or "..") return $"a '{segment}' segment";
        }

        return null;
    }

    /// <summary>The full path of <paramref name="relative"/> under <paramref name="root"/>, checked to stay inside it.</summary>
    /// <exception cref="InvalidDataException">The path is not a safe relative path; the message starts with <paramref name="what"/>.</exception>
    internal static string Inside(string root, string relative, string what)
    {
        if (Problem(relative) is { } problem)
            throw new InvalidDataException($"{what}: '{Escape(relative)}' is refused ({problem}; it could reach outside {root}).");
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
            throw new InvalidDataException($"{what}: '{Escape(relative)}' is refused (it lies outside {root}).");
        return full;
    }

    /// <summary>
    /// Every file system entry under <paramref name="root"/> by '/'-separated relative path, without following symbolic links:
    /// a link (to a file or a folder) is listed as itself and never entered.
    /// </summary>
    internal static IEnumerable<(string Relative, FileSystemInfo Info)> Walk(string root)
    {
        var pending = new Stack<(DirectoryInfo Dir, string Prefix)>();
        pending.Push((new DirectoryInfo(root), ""));
        while (pending.Count > 0)
        {
            var (dir, prefix) = pending.Pop();
            foreach (var info in dir.EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
            {
                var relative = prefix + info.Name;
                yield return (relative, info);
                if (info is DirectoryInfo sub && info.LinkTarget is null) pending.Push((sub, relative + "/"));
            }
        }
    }

    /// <summary>True when the entry is a symbolic link (or another reparse point).</summary>
    internal static bool IsLink(FileSystemInfo info) =>
        info.LinkTarget is not null || info.Attributes.HasFlag(FileAttributes.ReparsePoint);
}
