namespace Lineage.Fuzz;

/// <summary>
/// The per-process folder where inputs are written for readers that only take a path: /dev/shm/lineage-fuzz/TARGET-PID
/// (memory, so an execution costs no disk write). tools/fuzz.sh removes /dev/shm/lineage-fuzz/TARGET-* after a run.
/// </summary>
internal static class Scratch
{
    private static string? _dir;

    /// <summary>The target, for the folder's name.</summary>
    public static string Name { get; set; } = "fuzz";

    public static string Dir => _dir ??= Create();

    private static string Create()
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var dir = Path.Combine(root, "lineage-fuzz", $"{Name}-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static string PathOf(string name) => Path.Combine(Dir, name);

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="name"/> in the folder and returns its path.</summary>
    public static string Write(string name, byte[] bytes)
    {
        var path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>An empty folder <paramref name="name"/> (emptied if it was there).</summary>
    public static string FreshFolder(string name)
    {
        var path = PathOf(name);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete()
    {
        if (_dir is not null && Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        _dir = null;
    }
}
