using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Lineage.Text.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Core;

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw little-endian data. Writes float32 and int64; reads F32, F16, BF16 (as
/// float32) and I64. No code runs on load, unlike pickle.
/// </summary>
public static class Safetensors
{
    /// <summary>Writes the tensors (and string metadata) to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var blobs = new List<byte[]>();
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }

            long offset = 0;
            foreach (var name in names)
            {
                var t = tensors[name].detach().cpu().contiguous();
                byte[] bytes = t.dtype switch
                {
                    ScalarType.Float32 => Bytes(t.data<float>().ToArray()),
                    ScalarType.Int64 => Bytes(t.data<long>().ToArray()),
                    _ => throw new ArgumentException($"Tensor '{name}' is {t.dtype}; only float32 and int64 are written.", nameof(tensors)),
                };
                w.WriteStartObject(name);
                w.WriteString("dtype", t.dtype == ScalarType.Float32 ? "F32" : "I64");
                w.WriteStartArray("shape");
                foreach (var d in t.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes.Length;
                blobs.Add(bytes);
            }

            w.WriteEndObject();
        }

        // Pad the header with spaces to a multiple of 8 bytes, as the reference writer does.
        var json = header.ToArray().ToList();
        while (json.Count % 8 != 0) json.Add((byte)' ');
        AtomicFile.Write(path, s =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Count);
            s.Write(length);
            s.Write(json.ToArray());
            foreach (var b in blobs) s.Write(b);
        });
    }

    /// <summary>Reads every tensor of a safetensors file (float types as float32).</summary>
    /// <exception cref="InvalidDataException">A truncated file, a bad header, or a tensor whose bytes do not match its dtype and shape; the message names the file and the tensor.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: {bytes.Length} bytes, too short for a safetensors header.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > (ulong)(bytes.Length - 8) || n > 100_000_000) throw new InvalidDataException($"{path}: the header claims {n} bytes; the file has {bytes.Length - 8} after the length (truncated?).");
        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the header is not valid JSON ({e.Message}).", e);
        }

        var data = bytes.AsSpan(8 + (int)n);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (header)
        {
            foreach (var entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__") continue;
                try
                {
                    var dtype = entry.Value.GetProperty("dtype").GetString();
                    var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                    var range = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                    long count = shape.Aggregate(1L, (a, b) => a * b);
                    int size = dtype switch { "F32" => 4, "F16" or "BF16" => 2, "I64" => 8, _ => throw new InvalidDataException($"dtype '{dtype}' is not supported") };
                    if (range.Length != 2 || range[0] < 0 || range[1] > data.Length || range[1] - range[0] != count * size)
                    {
                        throw new InvalidDataException($"bytes [{string.Join(", ", range)}] do not hold {count} × {size} bytes within the {data.Length} data bytes");
                    }

                    var raw = data[(int)range[0]..(int)range[1]];
                    result[entry.Name] = dtype switch
                    {
                        "F32" => tensor(ToArray<float>(raw), shape),
                        "I64" => tensor(ToArray<long>(raw), shape),
                        "F16" => tensor(ToArray<Half>(raw).Select(h => (float)h).ToArray(), shape),
                        _ => tensor(ToArray<ushort>(raw).Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray(), shape),
                    };
                }
                catch (Exception e) when (e is InvalidDataException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    foreach (var t in result.Values) t.Dispose();
                    throw new InvalidDataException($"{path}: tensor '{entry.Name}': {e.Message}", e);
                }
            }
        }

        return result;
    }

    /// <summary>The string metadata of a safetensors file (empty when it has none).</summary>
    public static Dictionary<string, string> Metadata(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> length = stackalloc byte[8];
        stream.ReadExactly(length);
        var json = new byte[BinaryPrimitives.ReadUInt64LittleEndian(length)];
        stream.ReadExactly(json);
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("__metadata__", out var m)
            ? m.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
            : [];
    }

    private static byte[] Bytes<T>(T[] values) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static T[] ToArray<T>(ReadOnlySpan<byte> raw) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(raw).ToArray();
}
