namespace Lineage.Text.IO;

/// <summary>Text from a bad file, made safe to quote in an error message.</summary>
internal static class Printable
{
    /// <summary><paramref name="s"/> cut to <paramref name="max"/> characters (with "…"), each control character shown as '?'.</summary>
    public static string Clip(string? s, int max) =>
        s is null ? "" : string.Concat((s.Length <= max ? s : s[..max] + "…").Select(c => char.IsControl(c) ? '?' : c));
}
