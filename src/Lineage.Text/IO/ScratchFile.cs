namespace Lineage.Text.IO;

/// <summary>
/// Scratch files for work that does not fit in memory: created in a folder the caller picks (beside its output, which
/// has room for what becomes the output), deleted when closed, and on Unix without a name from the start, so that not
/// even a killed process leaves one behind.
/// </summary>
public static class ScratchFile
{
    /// <summary>A new scratch file in <paramref name="folder"/>, open for reading and writing.</summary>
    public static FileStream Create(string folder, string purpose)
    {
        var path = Path.Combine(folder, $".lineage-{purpose}-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Delete, 1 << 16, FileOptions.DeleteOnClose);
        if (!OperatingSystem.IsWindows()) File.Delete(path);
        return stream;
    }

    /// <summary>
    /// Where the scratch files of a command writing <paramref name="output"/> go: its folder (made if missing, as the
    /// output's write would make it), or the temporary folder for a device such as /dev/null.
    /// </summary>
    public static string FolderFor(string output)
    {
        var full = Path.GetFullPath(output);
        if (AtomicFile.IsDevice(full)) return Path.GetTempPath();
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        return folder;
    }
}
