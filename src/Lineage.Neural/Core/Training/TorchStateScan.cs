using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Core.Training;

/// <summary>
/// Walks TorchSharp's own serialisation of a module's state (and of an Adam or AdamW optimiser's) without allocating
/// anything the file sizes, so a damaged checkpoint is refused with its byte offset before TorchSharp reads it.
/// TorchSharp's <c>Module.load</c> allocates <c>new long[rank]</c> for each tensor's shape from a LEB128 number in the
/// file, and Adam's optional tensor is created with the file's shape before it is compared: afl-fuzz found a 30-byte change
/// that asked for more than 1 GiB there. The format (TorchSharp 0.107, <c>Module.save</c>, <c>Tensor.Save</c>,
/// <c>Optimizer.save_state_dict</c>): a LEB128 entry count; per entry a .NET string key, then the tensor: LEB128 dtype,
/// LEB128 rank, LEB128 dimensions, the raw little-endian elements.
/// </summary>
internal static class TorchStateScan
{
    private const int MaxRank = 16;

    /// <summary>
    /// Checks the module state at the reader's position against <paramref name="model"/>'s state dictionary (the same
    /// names, each once, the same dtypes and shapes) and that every tensor's bytes lie before <paramref name="end"/>;
    /// leaves the reader after the state. Throws <see cref="InvalidDataException"/> naming the byte and the problem.
    /// </summary>
    public static void Module(BinaryReader r, nn.Module model, long end, string path)
    {
        var expected = model.state_dict();
        long at = r.BaseStream.Position;
        long count = Leb(r, end, path);
        if (count != expected.Count)
            throw Damaged(path, at, $"the saved weights hold {count} tensors, this model {expected.Count}");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < count; i++)
        {
            at = r.BaseStream.Position;
            var key = r.ReadString();
            if (!expected.TryGetValue(key, out var tensor))
                throw Damaged(path, at, $"the saved weights name a tensor '{Printable(key)}' this model does not have");
            if (!seen.Add(key)) throw Damaged(path, at, $"the saved weights hold '{Printable(key)}' twice");
            Tensor(r, end, path, key, tensor.dtype, tensor.shape);
        }
    }

    /// <summary>
    /// Checks an optimiser state written by TorchSharp's <c>save_state_dict</c> at the reader's position: for Adam and AdamW
    /// every field (finite hyper-parameters, a non-negative step, moment tensors shaped like their parameters, in the file);
    /// for another optimiser only its name. Leaves the reader after the state (Adam, AdamW) or at its start (others).
    /// </summary>
    public static void Optimizer(BinaryReader r, OptimizerHelper optimizer, long end, string path)
    {
        long start = r.BaseStream.Position;
        var name = r.ReadString();
        string own = optimizer.GetType().Name;
        if (name != own) throw Damaged(path, start, $"the optimiser state is {Printable(name)}'s, this run uses {own}");
        if (optimizer is not (Adam or AdamW))
        {
            r.BaseStream.Position = start;
            return;
        }
        var parameters = optimizer.parameters().ToList();
        var sd = optimizer.state_dict();
        long at = r.BaseStream.Position;
        long groups = Leb(r, end, path), states = Leb(r, end, path);
        if (groups != sd.Options.Count || states != sd.State.Count || states != parameters.Count)
            throw Damaged(path, at, $"the optimiser state holds {groups} groups and {states} states, this run {sd.Options.Count} and {sd.State.Count}");
        for (long g = 0; g < groups; g++)
        {
            at = r.BaseStream.Position;
            // initial and current learning rate, beta1, beta2, eps, weight decay; then amsgrad and maximize.
            for (int k = 0; k < 6; k++)
            {
                double v = r.ReadDouble();
                if (!double.IsFinite(v) || v < 0) throw Damaged(path, at + 8 * k, $"optimiser hyper-parameter {v} is not a finite non-negative number");
            }
            ReadBool(r, path);
            ReadBool(r, path);
        }
        for (int s = 0; s < states; s++)
        {
            at = r.BaseStream.Position;
            if (r.ReadInt64() < 0) throw Damaged(path, at, "the optimiser's step count is negative");
            var p = parameters[s];
            string what = $"optimiser state {s}";
            Tensor(r, end, path, what, p.dtype, p.shape);
            Tensor(r, end, path, what, p.dtype, p.shape);
            if (ReadBool(r, path)) Tensor(r, end, path, what, p.dtype, p.shape);
        }
    }

    // One tensor: dtype, rank, dimensions, data; the data is skipped, never read.
    private static void Tensor(BinaryReader r, long end, string path, string name, ScalarType dtype, long[] shape)
    {
        long at = r.BaseStream.Position;
        long type = Leb(r, end, path);
        if (type != (long)dtype) throw Damaged(path, at, $"tensor '{Printable(name)}' is saved as dtype {type}, the model's is {dtype}");
        at = r.BaseStream.Position;
        long rank = Leb(r, end, path);
        if (rank > MaxRank) throw Damaged(path, at, $"tensor '{Printable(name)}' claims {rank} dimensions");
        var dims = new long[rank];
        for (int d = 0; d < rank; d++) dims[d] = Leb(r, end, path);
        if (!dims.AsSpan().SequenceEqual(shape))
            throw Damaged(path, at, $"tensor '{Printable(name)}' is saved as [{string.Join(", ", dims)}], the model's is [{string.Join(", ", shape)}]");
        long bytes = ElementSize(dtype);
        foreach (var d in shape) bytes *= d;    // the model's own shape: no overflow
        at = r.BaseStream.Position;
        if (bytes > end - at) throw Damaged(path, at, $"tensor '{Printable(name)}' needs {bytes} bytes, {Math.Max(0, end - at)} are left: the checkpoint is truncated");
        r.BaseStream.Position = at + bytes;
    }

    // TorchSharp's LEB128 (7 bits a byte, low first), bounded: at most 9 bytes (63 bits), so it never wraps negative.
    private static long Leb(BinaryReader r, long end, string path)
    {
        long at = r.BaseStream.Position, value = 0;
        for (int i = 0; ; i++)
        {
            if (r.BaseStream.Position >= end) throw new EndOfStreamException();
            byte b = r.ReadByte();
            if (i == 8 && b > 0x7F || i > 8) throw Damaged(path, at, "a number in the saved state is longer than 63 bits");
            value |= (long)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return value;
        }
    }

    private static bool ReadBool(BinaryReader r, string path)
    {
        long at = r.BaseStream.Position;
        return r.ReadByte() switch
        {
            0 => false,
            1 => true,
            var b => throw Damaged(path, at, $"a flag in the optimiser state is {b}, not 0 or 1"),
        };
    }

    private static long ElementSize(ScalarType t) => t switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => throw new NotSupportedException($"dtype {t} in a checkpoint"),
    };

    private static InvalidDataException Damaged(string path, long at, string problem) =>
        new($"{path}: byte {at}: {problem}: the checkpoint is damaged or is not this model's");

    // Names come from the file: shown short, control characters escaped.
    private static string Printable(string s) => Safetensors.Clip(s);
}
