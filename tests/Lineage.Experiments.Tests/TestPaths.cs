using Lineage.Data.Catalog;

namespace Lineage.Experiments.Tests;

/// <summary>Where the checkout, the data cache and the scripts are, for tests.</summary>
internal static class TestPaths
{
    public static string Repository => DataStore.RepositoryRoot() ?? throw new InvalidOperationException("tests must run inside the Lineage checkout");

    public static string DataRoot => DataStore.DefaultRoot();

    /// <summary>True when the data set is in the cache and intact (CI fetches it before the tests).</summary>
    public static bool Has(DatasetSpec spec) => new DataStore(DataRoot).Check(spec).State == DatasetState.Ok;

    /// <summary>Chromium on PATH; when run-tests found or installed it, its absence is a failure, not a skip.</summary>
    public static string? Chromium()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .SelectMany(dir => new[] { "chromium", "chromium-browser", "google-chrome" }.Select(name => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
        if (found is null && Environment.GetEnvironmentVariable("LINEAGE_REQUIRE_CHROMIUM") == "1")
            throw new InvalidOperationException("LINEAGE_REQUIRE_CHROMIUM=1 but no Chromium on PATH");
        return found;
    }

    /// <summary>Runs a program, returning its exit code and output.</summary>
    public static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["COLUMNS"] = "200";
        using var p = System.Diagnostics.Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 2 minutes"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>A temporary folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("lineage-exp-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
