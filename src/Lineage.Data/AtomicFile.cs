namespace Lineage.Data;

/// <summary>
/// Writes files so that a reader (or a crash, or Ctrl-C) never sees half of one. Forwards to
/// <see cref="Lineage.Text.IO.AtomicFile"/>, which lives in the lowest library so that every library can use it.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes through a stream callback into a temporary file, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write) => Lineage.Text.IO.AtomicFile.Write(path, write);

    /// <summary>Writes text (UTF-8, no BOM) atomically.</summary>
    public static void WriteAllText(string path, string text) => Lineage.Text.IO.AtomicFile.WriteAllText(path, text);

    /// <summary>Writes bytes atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes) => Lineage.Text.IO.AtomicFile.WriteAllBytes(path, bytes);
}
