namespace Lineage.Experiments;

/// <summary>A progress bar of the tour (the CLI draws it with Spectre.Console).</summary>
public interface IProgressTask : IDisposable
{
    /// <summary>Sets the bar's value (out of the total it was started with) and optionally its status text.</summary>
    void Report(double value, string? status = null);
}

/// <summary>Where experiments report progress and messages; no console dependency in the library.</summary>
public interface ITourProgress
{
    /// <summary>Starts a bar.</summary>
    /// <param name="description">What it counts ("epoch 1/5").</param>
    /// <param name="total">Value at completion.</param>
    IProgressTask Start(string description, double total);

    /// <summary>A line of text for the user.</summary>
    void Log(string message);
}

/// <summary>Progress that goes nowhere (tests, --quiet).</summary>
public sealed class SilentProgress : ITourProgress
{
    /// <summary>The one instance.</summary>
    public static readonly SilentProgress Instance = new();

    /// <inheritdoc />
    public IProgressTask Start(string description, double total) => new NoTask();

    /// <inheritdoc />
    public void Log(string message) { }

    private sealed class NoTask : IProgressTask
    {
        public void Report(double value, string? status = null) { }
        public void Dispose() { }
    }
}
