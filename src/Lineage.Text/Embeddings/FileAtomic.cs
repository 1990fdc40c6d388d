using Lineage.Text.IO;

namespace Lineage.Text.Embeddings;

/// <summary>Writes a vector or checkpoint file atomically, refusing a missing output folder instead of creating it.</summary>
internal static class FileAtomic
{
    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/> through <see cref="AtomicFile"/>; the folder must exist.</summary>
    /// <exception cref="DirectoryNotFoundException">The output folder does not exist.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"{path}: the output folder {dir} does not exist.");
        }

        AtomicFile.Write(path, write);
    }
}
