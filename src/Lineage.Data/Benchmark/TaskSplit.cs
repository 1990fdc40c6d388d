// The fixed, seeded train/test split of a benchmark task, and its JSON file in the cache.
// Each stratum (a class, or the whole set for retrieval) is ordered by SHA-256(seed:id) and its first share becomes the
// test split, so the split depends on the seed and the ids alone: the same on every run and machine, whatever order the
// files were listed in, stratified so that every class is in both halves.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lineage.Text.IO;

namespace Lineage.Data.Benchmark;

/// <summary>A task's split: the ids (documents, not passages) in each half and the seed that drew it.</summary>
/// <param name="Task">The task's id (<c>spam</c>, <c>brown-genres</c>, <c>libreoffice-retrieval</c>).</param>
/// <param name="Seed">The seed of <see cref="Stratified"/>.</param>
/// <param name="TestFraction">The share of each stratum held out.</param>
/// <param name="Train">Training ids, in ordinal order.</param>
/// <param name="Test">Held-out ids, in ordinal order.</param>
public sealed record TaskSplit(string Task, int Seed, double TestFraction, IReadOnlyList<string> Train, IReadOnlyList<string> Test)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Splits <paramref name="items"/> (id, stratum) by stratum: in each, the ids ordered by <see cref="Key"/>(seed, id),
    /// the first round(n × f) held out, at least one and at most n − 1 when the stratum has two or more ids.
    /// </summary>
    /// <exception cref="ArgumentException">An id occurs twice, or no id is given.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="testFraction"/> is not in (0, 1).</exception>
    public static TaskSplit Stratified(string task, int seed, double testFraction, IEnumerable<(string Id, string Stratum)> items)
    {
        ArgumentException.ThrowIfNullOrEmpty(task);
        ArgumentNullException.ThrowIfNull(items);
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must be between 0 and 1 (exclusive).");
        var list = items.ToList();
        if (list.Count == 0) throw new ArgumentException("No ids to split.", nameof(items));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, _) in list)
        {
            if (!seen.Add(id)) throw new ArgumentException($"Id '{id}' occurs twice.", nameof(items));
        }

        var train = new List<string>();
        var test = new List<string>();
        foreach (var stratum in list.GroupBy(i => i.Stratum, StringComparer.Ordinal))
        {
            var ordered = stratum.Select(i => i.Id).OrderBy(id => Key(seed, id)).ThenBy(id => id, StringComparer.Ordinal).ToList();
            int n = ordered.Count;
            int held = (int)Math.Round(n * testFraction, MidpointRounding.AwayFromZero);
            if (n >= 2) held = Math.Clamp(held, 1, n - 1);
            test.AddRange(ordered.Take(held));
            train.AddRange(ordered.Skip(held));
        }

        train.Sort(StringComparer.Ordinal);
        test.Sort(StringComparer.Ordinal);
        return new TaskSplit(task, seed, testFraction, train, test);
    }

    /// <summary>An id's place in the seeded order: the first 8 bytes of SHA-256(UTF-8 "seed:id"), big-endian.</summary>
    public static ulong Key(int seed, string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{seed}:{id}")), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>Whether both splits hold the same ids as <paramref name="other"/>'s, with the same task, seed and fraction.</summary>
    public bool SameAs(TaskSplit other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Task == other.Task && Seed == other.Seed && TestFraction.Equals(other.TestFraction)
               && Train.SequenceEqual(other.Train, StringComparer.Ordinal) && Test.SequenceEqual(other.Test, StringComparer.Ordinal);
    }

    /// <summary>
    /// Writes this split to <paramref name="path"/> (atomically) when the file is absent; when it is present, reads it and
    /// checks that it holds exactly this split (recomputed from the data), so a task never runs on a split other than its file's.
    /// </summary>
    /// <returns>True when the file was written, false when it was there and agreed.</returns>
    /// <exception cref="InvalidDataException">The file is not a split, or holds another one; the message names the file.</exception>
    public bool WriteOrVerify(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Indented));
            return true;
        }

        TaskSplit? stored;
        try
        {
            stored = JsonSerializer.Deserialize<TaskSplit>(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a task split ({e.Message})", e);
        }

        if (stored is null || stored.Task is null || stored.Train is null || stored.Test is null)
            throw new InvalidDataException($"{path}: not a task split (task, seed, test fraction, train and test ids)");
        if (!SameAs(stored))
        {
            throw new InvalidDataException(
                $"{path}: holds another split of '{stored.Task}' (seed {stored.Seed}, {stored.Train.Count} train / {stored.Test.Count} test ids) " +
                $"than the one recomputed from the data (seed {Seed}, {Train.Count} / {Test.Count}); the data changed or the file was edited — delete it to write the new split");
        }

        return false;
    }
}
