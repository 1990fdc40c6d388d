namespace Lineage.Text.Embeddings;

/// <summary>Writes a file through a temporary sibling and a rename, so readers never see half a file.</summary>
internal static class FileAtomic
{
    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>; the folder must exist.</summary>
    /// <exception cref="DirectoryNotFoundException">The output folder does not exist.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"{path}: the output folder {dir} does not exist.");
        }

        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
