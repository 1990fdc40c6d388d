namespace Lineage.Experiments;

/// <summary>An <see cref="IProgress{T}"/> that calls back on the reporting thread, at once
/// (<see cref="Progress{T}"/> would post to the thread pool, out of order).</summary>
/// <typeparam name="T">Report type.</typeparam>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
