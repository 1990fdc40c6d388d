using Lineage.Text.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Core.Training;

/// <summary>What a checkpoint carries besides the weights.</summary>
/// <param name="Step">Training progress (steps or epochs, as the trainer counts).</param>
/// <param name="Metadata">Trainer-defined JSON (history, options), opaque here.</param>
public sealed record CheckpointInfo(long Step, string Metadata);

/// <summary>
/// One file holding model weights, optimiser state, libtorch's RNG state and the trainer's progress,
/// written atomically (temporary file, then rename) so a crash or Ctrl-C mid-write leaves the previous
/// checkpoint intact. Format: "LINEAGE-CKPT", version, step, metadata, RNG state, TorchSharp module
/// state, optional optimiser state; from version 2 a SHA-256 trailer (<see cref="ChecksummedFile"/>), checked before
/// anything is read, so a damaged checkpoint is refused instead of resumed. Version 1 files (no trailer) still load.
/// </summary>
public static class Checkpoint
{
    private const string Magic = "LINEAGE-CKPT";
    private const int Version = 2;

    // libtorch's CPU generator state is 5,056 bytes; anything far larger is damage, not state.
    private const int MaxRngBytes = 1 << 20;

    // libtorch's CPU generator state (CPUGeneratorImpl::set_state): a THGeneratorState of 5,048 bytes (seed u64, left i32,
    // seeded i32, next u64, 624 × u64 Mersenne words, three doubles and an int for the normal cache), optionally followed
    // by the float normal cache (5,056 bytes in all, what get_rng_state gives). libtorch refuses another size or an invalid
    // Mersenne Twister position with a C++ exception that TorchSharp does not catch: the process aborts ("terminate called
    // ... Invalid mt19937 state", found by afl-fuzz). So it is checked here first.
    private static string? RngStateProblem(byte[] state)
    {
        const int Words = 624;
        if (state.Length is not (5048 or 5056)) return $"{state.Length} bytes, not 5,056";
        int left = BitConverter.ToInt32(state, 8), seeded = BitConverter.ToInt32(state, 12);
        uint next = (uint)BitConverter.ToUInt64(state, 16);
        if (seeded == 0) return "not seeded";
        if (left is < 1 or > Words) return $"position {left} outside 1..{Words}";
        return next > Words ? $"next word {next} outside 0..{Words}" : null;
    }

    /// <summary>Saves a checkpoint atomically.</summary>
    public static void Save(string path, nn.Module model, OptimizerHelper? optimizer, CheckpointInfo info)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(info);
        using var rng = torch.random.get_rng_state();
        var rngBytes = rng.data<byte>().ToArray();
        ChecksummedFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            w.Write(Version);
            w.Write(info.Step);
            w.Write(info.Metadata);
            w.Write(rngBytes.Length);
            w.Write(rngBytes);
            model.save(w);
            w.Write(optimizer is not null);
            optimizer?.save_state_dict(w);
        });
    }

    /// <summary>Reads a checkpoint's step and metadata without loading weights (to check it before loading).</summary>
    /// <exception cref="FileNotFoundException">No checkpoint at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">Not a checkpoint, a newer version, or truncated.</exception>
    public static CheckpointInfo Peek(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no checkpoint", path);
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream);
        try
        {
            return ReadHeader(r, path).Info;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: checkpoint is truncated", e);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{path}: not a Lineage checkpoint, or damaged ({e.Message})", e);
        }
        catch (IOException e) when (e.GetType() == typeof(IOException))
        {
            // BinaryReader.ReadString on a negative string length ("invalid string length"), here or in TorchSharp's load.
            throw new InvalidDataException($"{path}: not a Lineage checkpoint, or damaged ({e.Message})", e);
        }
    }

    // Magic, version (refusing newer ones; from version 2 the checksum is verified here, before the rest is parsed),
    // step and metadata: the part Peek and Load share. Returns where the content ends.
    private static (CheckpointInfo Info, long ContentEnd) ReadHeader(BinaryReader r, string path)
    {
        if (r.BaseStream.Length < 16 || r.ReadString() != Magic) throw new InvalidDataException($"{path}: not a Lineage checkpoint");
        var version = r.ReadInt32();
        if (version > Version) throw new InvalidDataException($"{path}: checkpoint version {version} is newer than this Lineage reads ({Version})");
        long end = version >= 2 ? ChecksummedFile.Verify(path, "checkpoint") : r.BaseStream.Length;
        return (new CheckpointInfo(r.ReadInt64(), r.ReadString()), end);
    }

    // A trained weight is never NaN or infinite (the trainers stop on a non-finite loss), so one is damage.
    private static string? NonFinite(nn.Module model)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var (name, p) in model.named_parameters())
            if (!torch.isfinite(p).all().ToBoolean()) return name;
        return null;
    }

    /// <summary>Loads a checkpoint into <paramref name="model"/> (and <paramref name="optimizer"/>), restoring the RNG.</summary>
    /// <exception cref="FileNotFoundException">No checkpoint at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">Not a checkpoint, a newer version, or weights that do not fit the model.</exception>
    public static CheckpointInfo Load(string path, nn.Module model, OptimizerHelper? optimizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no checkpoint", path);
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream);
        try
        {
            var (info, end) = ReadHeader(r, path);
            int rngLength = r.ReadInt32();
            if (rngLength is < 0 or > MaxRngBytes || rngLength > end - stream.Position)
                throw new InvalidDataException($"{path}: byte {stream.Position - 4}: the RNG state claims {rngLength} bytes: the checkpoint is damaged");
            long rngAt = stream.Position;
            var rngBytes = r.ReadBytes(rngLength);
            if (RngStateProblem(rngBytes) is { } problem)
                throw new InvalidDataException($"{path}: byte {rngAt}: the RNG state is not one libtorch accepts ({problem}): the checkpoint is damaged");
            // TorchSharp's reader allocates what the file's numbers say before comparing them with the model, so the state
            // is walked first, allocating nothing (TorchStateScan), and only then handed to Module.load.
            long weightsAt = stream.Position;
            TorchStateScan.Module(r, model, end, path);
            long optimizerAt = stream.Position;
            bool hasOptimizer = r.ReadBoolean();
            if (hasOptimizer && optimizer is not null) TorchStateScan.Optimizer(r, optimizer, end, path);
            stream.Position = weightsAt;
            try
            {
                model.load(r, strict: true);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{path}: the saved weights do not fit this model ({e.Message})", e);
            }
            if (NonFinite(model) is { } name)
                throw new InvalidDataException($"{path}: weight '{name}' holds NaN or infinity: the checkpoint is damaged");
            stream.Position = optimizerAt + 1;
            if (hasOptimizer && optimizer is not null) optimizer.load_state_dict(r);
            using var rng = torch.tensor(rngBytes, dtype: ScalarType.Byte);
            torch.random.set_rng_state(rng);
            return info;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: checkpoint is truncated", e);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{path}: not a Lineage checkpoint, or damaged ({e.Message})", e);
        }
        catch (IOException e) when (e.GetType() == typeof(IOException))
        {
            // BinaryReader.ReadString on a negative string length ("invalid string length"), here or in TorchSharp's load.
            throw new InvalidDataException($"{path}: not a Lineage checkpoint, or damaged ({e.Message})", e);
        }
    }
}
