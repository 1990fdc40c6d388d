namespace Lineage.Text.IO;

/// <summary>
/// Writes files so that a reader (or a crash, or Ctrl-C) never sees half of one: the content goes to a
/// temporary file in the same folder (so the rename stays on one file system), is flushed to disk, and the
/// temporary file is then renamed over the target. On any failure the temporary file is removed and the
/// previous content of the target, if any, is left as it was. The one implementation for every library
/// (this is the lowest one).
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes through a stream callback, then renames into place.</summary>
    /// <param name="path">Target file.</param>
    /// <param name="write">Writes the whole content to the stream it is given.</param>
    /// <param name="createFolder">Create the target's folder when it is missing (default); false refuses a missing
    /// folder instead (a mistyped output path should fail, not leave files somewhere new).</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="createFolder"/> is false and the folder does not exist.</exception>
    public static void Write(string path, Action<Stream> write, bool createFolder = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        if (IsDevice(full))
        {
            // /dev/null, /dev/stdout, a pipe as /dev/fd/N: written as they are. A rename would put a regular file in
            // the device's place (and, as root, succeed).
            using var device = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            write(device);
            return;
        }

        var dir = Path.GetDirectoryName(full)!;
        if (createFolder)
        {
            Directory.CreateDirectory(dir);
        }
        else if (!Directory.Exists(dir))
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
            FolderSync.Flush(dir);
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    /// <summary>Whether <paramref name="fullPath"/> names a device rather than a file: on Unix, a path under /dev/.</summary>
    public static bool IsDevice(string fullPath) => !OperatingSystem.IsWindows() && fullPath.StartsWith("/dev/", StringComparison.Ordinal);

    /// <summary>Renames <paramref name="source"/> over <paramref name="target"/> (one file system: atomic), then flushes the target's folder.</summary>
    public static void MoveOver(string source, string target)
    {
        File.Move(source, target, overwrite: true);
        FolderSync.Flush(Path.GetDirectoryName(Path.GetFullPath(target))!);
    }

    /// <summary>Writes text (UTF-8, no BOM) atomically; the folder is created if needed.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, s =>
        {
            using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true);
            w.Write(text);
        });
    }

    /// <summary>Writes bytes atomically; the folder is created if needed.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Removes a leftover temporary file; a failure to remove it must not hide the error that left it.</summary>
    private static void DeleteQuietly(string temp)
    {
        try
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        catch (IOException)
        {
            // Still open elsewhere or the folder went away: nothing better to do than leave it.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
    }
}

/// <summary>
/// Multi-file outputs (a model folder: config, weights, tokenizer) replaced as a whole: everything is written into a
/// staging folder beside the target, and only then swapped in, so a crash or Ctrl-C before the swap leaves the previous
/// folder untouched, and one during the swap leaves either it or the new one complete (the old copy is kept under a
/// hidden name until the new one is in place).
/// </summary>
public static class AtomicFolder
{
    /// <summary>The staging folder of <paramref name="target"/>: a hidden sibling, so a rename stays on one file system.</summary>
    public static string StagingOf(string target, string purpose = "staging")
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        var full = Path.GetFullPath(target).TrimEnd(Path.DirectorySeparatorChar);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{purpose}");
    }

    /// <summary>Moves <paramref name="staging"/> into <paramref name="target"/>'s place, replacing what was there.</summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="staging"/> does not exist.</exception>
    public static void Replace(string staging, string target)
    {
        ArgumentException.ThrowIfNullOrEmpty(staging);
        ArgumentException.ThrowIfNullOrEmpty(target);
        if (!Directory.Exists(staging)) throw new DirectoryNotFoundException($"{staging}: no staged folder to move into {target}.");
        var full = Path.GetFullPath(target).TrimEnd(Path.DirectorySeparatorChar);
        string? old = null;
        if (Directory.Exists(full))
        {
            old = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.old-{Environment.ProcessId}-{Guid.NewGuid():N}");
            Directory.Move(full, old);
        }

        try
        {
            Directory.Move(staging, full);
            FolderSync.Flush(Path.GetDirectoryName(full)!);
        }
        catch
        {
            if (old is not null && !Directory.Exists(full)) Directory.Move(old, full);
            throw;
        }

        if (old is not null)
        {
            try
            {
                Directory.Delete(old, recursive: true);
            }
            catch (IOException)
            {
                // The new folder is in place; a leftover hidden copy of the old one is harmless.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}

/// <summary>
/// Flushes a folder's entries to disk after a rename into it (POSIX: <c>fsync</c> on the folder), so that after a power
/// cut the new name is there, not only the data. Best effort: where the call is not available nothing is done.
/// </summary>
internal static partial class FolderSync
{
    private const int ReadOnly = 0;          // O_RDONLY
    private const int Directory = 0x10000;   // O_DIRECTORY on Linux (x86-64 and arm64)

    /// <summary>fsync(2) on <paramref name="folder"/>; errors are ignored (the rename itself has happened).</summary>
    public static void Flush(string folder)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            int fd = Open(folder, ReadOnly | Directory);
            if (fd < 0) return;
            _ = Fsync(fd);
            _ = Close(fd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not a glibc system: the rename is still atomic, only its durability across a power cut is not forced.
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "open", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
