// Demonstrations for behaviour cloning: the scripted expert's episodes recorded as (image, instruction, action) steps.
// Two kinds of noise, kept apart:
//  - execution noise (DART, Laskey et al. 2017): the executed move is the expert's plus Gaussian noise proportional to
//    its length, so the data visits states slightly off the expert's path and shows how to recover; the recorded
//    expert action is still the clean one;
//  - label noise: the action the policy is trained on is the expert's plus Gaussian noise, and a few percent of labels
//    are outliers (a uniformly random action), like a human teleoperator's jitter and slips.
using System.Text;
using System.Text.Json;
using Lineage.Text.Determinism;
using Lineage.Text.IO;

namespace Lineage.Robotics.Sim;

/// <summary>One recorded step.</summary>
/// <param name="Episode">Episode index in the set.</param>
/// <param name="Kind">Task kind.</param>
/// <param name="Instruction">The instruction text.</param>
/// <param name="Image">The observation: Size × Size × 3 RGB bytes.</param>
/// <param name="State">The robot's state at the step (<see cref="Tabletop.State"/>).</param>
/// <param name="Expert">The expert's clean action.</param>
/// <param name="Label">The training label (the expert's action plus label noise, or an outlier).</param>
public sealed record DemoStep(int Episode, TaskKind Kind, string Instruction, byte[] Image, float[] State, TableAction Expert, TableAction Label);

/// <summary>How demonstrations are collected.</summary>
/// <param name="EpisodesPerKind">Episodes of each task kind.</param>
/// <param name="ExecutionNoise">Std of the executed move's noise, as a fraction of the move's length (DART).</param>
/// <param name="LabelNoise">Std of the label noise on dx and dy, pixels.</param>
/// <param name="OutlierRate">Share of labels replaced by a uniformly random action.</param>
/// <param name="Seed">Seeds scenes and noise.</param>
public sealed record CollectionSettings(int EpisodesPerKind = 100, double ExecutionNoise = 0.2, double LabelNoise = 0.3, double OutlierRate = 0.04, int Seed = 0)
{
    /// <summary>Returns these settings, or throws naming the bad field.</summary>
    public CollectionSettings Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(EpisodesPerKind, 1, nameof(EpisodesPerKind));
        if (!(ExecutionNoise >= 0)) throw new ArgumentOutOfRangeException(nameof(ExecutionNoise), ExecutionNoise, "must be ≥ 0");
        if (!(LabelNoise >= 0)) throw new ArgumentOutOfRangeException(nameof(LabelNoise), LabelNoise, "must be ≥ 0");
        if (!(OutlierRate is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(OutlierRate), OutlierRate, "must be in [0, 1]");
        return this;
    }
}

/// <summary>A set of recorded demonstration steps, with the table they were recorded on.</summary>
public sealed class Demonstrations
{
    private const string Magic = "LVLADEMO";
    private const int Version = 1;

    /// <summary>A set of steps.</summary>
    /// <exception cref="ArgumentException">An image of the wrong size.</exception>
    public Demonstrations(TabletopConfig table, IReadOnlyList<DemoStep> steps)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(steps);
        Table = table.Validate();
        int bytes = table.Size * table.Size * 3;
        foreach (var s in steps)
        {
            if (s.Image.Length != bytes) throw new ArgumentException($"episode {s.Episode}: an image of {s.Image.Length} bytes; the table's images have {bytes}.", nameof(steps));
            if (s.State.Length != Tabletop.StateDims) throw new ArgumentException($"episode {s.Episode}: a state of {s.State.Length} numbers; expected {Tabletop.StateDims}.", nameof(steps));
        }
        Steps = steps;
    }

    /// <summary>The table.</summary>
    public TabletopConfig Table { get; }

    /// <summary>The steps, episode by episode.</summary>
    public IReadOnlyList<DemoStep> Steps { get; }

    /// <summary>Episodes in the set.</summary>
    public int Episodes => Steps.Count == 0 ? 0 : Steps.Select(s => s.Episode).Distinct().Count();

    /// <summary>Share of labels that are outliers (differ from the expert by more than a quarter of the range).</summary>
    public double OutlierShare() =>
        Steps.Count == 0 ? 0 : Steps.Count(s => Math.Abs(s.Label.Dx - s.Expert.Dx) > Table.MaxStep / 2 || Math.Abs(s.Label.Dy - s.Expert.Dy) > Table.MaxStep / 2 || (s.Label.Grip > 0.5f) != (s.Expert.Grip > 0.5f)) / (double)Steps.Count;

    /// <summary>Runs the expert on random scenes of each kind and records every step.</summary>
    /// <param name="table">Table sizes.</param>
    /// <param name="pool">Sprites the scenes are drawn from.</param>
    /// <param name="kinds">Task kinds (episodes of each).</param>
    /// <param name="settings">Episodes and noise.</param>
    /// <param name="progress">Told the episodes done.</param>
    /// <param name="cancellation">Stops between episodes.</param>
    public static Demonstrations Collect(TabletopConfig table, IReadOnlyList<Sprite> pool, IReadOnlyList<TaskKind> kinds, CollectionSettings settings,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (kinds.Count == 0) throw new ArgumentException("No task kinds to collect.", nameof(kinds));
        var steps = new List<DemoStep>();
        int episode = 0;
        for (int e = 0; e < settings.EpisodesPerKind; e++)
        {
            foreach (var kind in kinds)
            {
                cancellation.ThrowIfCancellationRequested();
                var sim = Tabletop.Random(table, pool, kind, StableSeed.Of(settings.Seed, (int)kind, e));
                var rng = new Random(StableSeed.Of(settings.Seed, (int)kind, e, 1));
                while (!sim.Finished)
                {
                    var expert = TabletopExpert.Act(sim);
                    steps.Add(new DemoStep(episode, kind, sim.Task.Text, sim.Render(), sim.State(), expert, NoisyLabel(expert, table, settings, rng)));
                    float len = MathF.Sqrt(expert.Dx * expert.Dx + expert.Dy * expert.Dy);
                    float sigma = (float)settings.ExecutionNoise * len;
                    sim.Step(expert with { Dx = expert.Dx + sigma * Gaussian(rng), Dy = expert.Dy + sigma * Gaussian(rng) });
                }

                episode++;
                progress?.Report(episode);
            }
        }

        return new Demonstrations(table, steps);
    }

    /// <summary>Writes the set atomically (a versioned binary file).</summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write(Version);
            w.Write(JsonSerializer.Serialize(Table));
            w.Write(Steps.Count);
            foreach (var s in Steps)
            {
                w.Write(s.Episode);
                w.Write((int)s.Kind);
                w.Write(s.Instruction);
                w.Write(s.Image);
                foreach (float x in s.State) w.Write(x);
                foreach (var a in new[] { s.Expert, s.Label })
                {
                    w.Write(a.Dx);
                    w.Write(a.Dy);
                    w.Write(a.Grip);
                }
            }
        });
    }

    /// <summary>The largest scene side a demonstrations file may declare.</summary>
    public const int MaxSide = 1024;

    /// <summary>Reads a set written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Not such a file, a future version, truncated, or empty (the message names the file).</exception>
    public static Demonstrations Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Demonstrations file not found: {path}", path);
        try
        {
            using var stream = File.OpenRead(path);
            using var r = new BinaryReader(stream, Encoding.UTF8);
            if (Encoding.ASCII.GetString(r.ReadBytes(Magic.Length)) != Magic) throw new InvalidDataException($"{path}: not a demonstrations file (written by lineage vla collect).");
            int version = r.ReadInt32();
            if (version != Version) throw new InvalidDataException($"{path}: format version {version}; this build reads version {Version}.");
            var table = JsonSerializer.Deserialize<TabletopConfig>(r.ReadString()) ?? throw new InvalidDataException($"{path}: no table settings.");
            int count = r.ReadInt32();
            if (count <= 0) throw new InvalidDataException($"{path}: the file holds no steps (an empty episode set).");
            if (table.Size is < 1 or > MaxSide) throw new InvalidDataException($"{path}: table size {table.Size}; a scene is 1 to {MaxSide} pixels a side.");
            int bytes = table.Size * table.Size * 3;
            // Each step holds at least its image, the state and two actions: bound the count by the file before allocating.
            long least = bytes + 4L * (2 + Tabletop.StateDims + 6) + 1;
            if (count > (stream.Length - stream.Position) / least)
                throw new InvalidDataException($"{path}: the header declares {count} steps of at least {least} bytes, more than the file holds: truncated or damaged.");
            var steps = new List<DemoStep>(count);
            for (int i = 0; i < count; i++)
            {
                int episode = r.ReadInt32();
                var kind = (TaskKind)r.ReadInt32();
                if (!Enum.IsDefined(kind)) throw new InvalidDataException($"{path}: step {i} has an unknown task kind {(int)kind}.");
                string text = r.ReadString();
                var image = r.ReadBytes(bytes);
                if (image.Length != bytes) throw new EndOfStreamException();
                var state = new float[Tabletop.StateDims];
                for (int k = 0; k < state.Length; k++) state[k] = r.ReadSingle();
                var expert = new TableAction(r.ReadSingle(), r.ReadSingle(), r.ReadSingle());
                var label = new TableAction(r.ReadSingle(), r.ReadSingle(), r.ReadSingle());
                if (!state.All(float.IsFinite) || !new[] { expert.Dx, expert.Dy, expert.Grip, label.Dx, label.Dy, label.Grip }.All(float.IsFinite))
                    throw new InvalidDataException($"{path}: step {i} holds a NaN or infinite state or action: damaged.");
                steps.Add(new DemoStep(episode, kind, text, image, state, expert, label));
            }

            return new Demonstrations(table, steps);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: the file is truncated.", e);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: bad table settings ({e.Message}).", e);
        }
        catch (ArgumentException e)
        {
            // The table settings' own validation (TabletopConfig), reached while they are read.
            throw new InvalidDataException($"{path}: bad table settings ({e.Message}).", e);
        }
        catch (FormatException e)
        {
            // A length prefix of a string that is not one: BinaryReader's FormatException.
            throw new InvalidDataException($"{path}: damaged ({e.Message}).", e);
        }
    }

    private static TableAction NoisyLabel(TableAction expert, TabletopConfig table, CollectionSettings s, Random rng)
    {
        float m = table.MaxStep;
        if (rng.NextDouble() < s.OutlierRate)
            return new TableAction((float)(rng.NextDouble() * 2 - 1) * m, (float)(rng.NextDouble() * 2 - 1) * m, rng.Next(2));
        float n = (float)s.LabelNoise;
        return expert with { Dx = Math.Clamp(expert.Dx + n * Gaussian(rng), -m, m), Dy = Math.Clamp(expert.Dy + n * Gaussian(rng), -m, m) };
    }

    private static float Gaussian(Random rng) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
}
