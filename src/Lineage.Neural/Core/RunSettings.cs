using System.Text.Json;
using Lineage.Data.Catalog;

namespace Lineage.Neural.Core;

/// <summary>
/// The settings of one run, from the global command-line options: built once by the CLI, applied once
/// (<see cref="TorchRuntime.Apply"/>: libtorch loaded, its thread count set), carried by an experiment's context, and
/// handed to a tour chapter's process as JSON (<see cref="ToJson"/>, <see cref="FromJson"/>).
/// </summary>
/// <remarks>
/// <para><see cref="Threads"/>: <c>--threads 0</c>, and the default, mean one thread per core
/// (<see cref="Environment.ProcessorCount"/>); the count is resolved when the settings are made, so a chapter's process
/// gets the number itself. A command or experiment that measures better on fewer threads caps it
/// (<see cref="WithThreadCap"/>) and says why where it declares the cap; a cap never raises the count.</para>
/// <para>There is no device setting: the library runs on TorchSharp-cpu.</para>
/// </remarks>
public sealed record RunSettings
{
    /// <summary>The seed when none is given (<c>--seed</c>).</summary>
    public const int DefaultSeed = 1337;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The devices a run may name (<c>--device</c>).</summary>
    public static IReadOnlyList<string> Devices { get; } = ["cpu"];

    private readonly int threads = Environment.ProcessorCount;
    private readonly string device = "cpu";

    /// <summary>Seed for every random generator (<c>--seed</c>).</summary>
    public int Seed { get; init; } = DefaultSeed;

    /// <summary>
    /// Threads for libtorch and the parallel passes of text code (<c>--threads</c>), always at least 1: setting 0 gives one
    /// per core (<see cref="Environment.ProcessorCount"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 0.</exception>
    public int Threads
    {
        get => threads;
        init => threads = ThreadCount(value);
    }

    /// <summary>The device tensors live on (<c>--device</c>); only <c>cpu</c> (see the remarks).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not one of <see cref="Devices"/>.</exception>
    public string Device
    {
        get => device;
        init => device = DeviceName(value);
    }

    /// <summary>The data cache folder, resolved (<c>--data</c>, else <c>$LINEAGE_DATA</c>, else the checkout's or the user's cache).</summary>
    public string DataRoot { get; init; } = DataStore.DefaultRoot();

    /// <summary>Where results go (<c>--out</c>); each command says what it puts there.</summary>
    public string Output { get; init; } = "out";

    /// <summary>No progress bars; only results and errors (<c>--quiet</c>).</summary>
    public bool Quiet { get; init; }

    /// <summary>The thread count that <paramref name="threads"/> asks for: itself, or one per core for 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is negative.</exception>
    public static int ThreadCount(int threads) => threads switch
    {
        0 => Environment.ProcessorCount,
        > 0 => threads,
        // No parameter name or value in the exception: its message is the one line a user sees.
        _ => throw new ArgumentOutOfRangeException(null, $"--threads must be 0 (one per core) or a positive count, not {threads}."),
    };

    /// <summary>The device <paramref name="name"/> names, lower-cased, when this build has it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not one of <see cref="Devices"/>.</exception>
    public static string DeviceName(string? name)
    {
        var lower = (name ?? "cpu").Trim().ToLowerInvariant();
        return Devices.Contains(lower)
            ? lower
            // No parameter name or value in the exception: its message is the one line a user sees.
            : throw new ArgumentOutOfRangeException(null,
                $"--device {name}: this build runs on TorchSharp-cpu, whose only device is 'cpu' (no CUDA backend is installed).");
    }

    /// <summary>These settings with at most <paramref name="cap"/> threads (0 or less: no cap); a cap never raises the count.</summary>
    public RunSettings WithThreadCap(int cap) => cap > 0 && cap < Threads ? this with { Threads = cap } : this;

    /// <summary>The settings as one line of JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Settings written by <see cref="ToJson"/>; absent fields keep their defaults.</summary>
    /// <exception cref="InvalidDataException">Not settings JSON; the message says what is wrong.</exception>
    public static RunSettings FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<RunSettings>(json, Json) ?? throw new InvalidDataException("Run settings JSON is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Run settings are not valid JSON: {e.Message}", e);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"Run settings: {e.Message}", e);
        }
    }
}
