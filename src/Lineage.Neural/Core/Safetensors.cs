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

    /// <summary>The largest header the readers accept (the reference implementation's limit is 100 MB).</summary>
    public const int MaxHeaderBytes = 100_000_000;

    /// <summary>One tensor's entry in the header, validated.</summary>
    private sealed record Entry(string Name, string DType, long[] Shape, long Start, long End);

    /// <summary>Reads every tensor of a safetensors file (float types as float32).</summary>
    /// <exception cref="InvalidDataException">A truncated file, a bad header, or a tensor whose bytes do not match its dtype and shape; the message names the file and the tensor.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        var bytes = ReadFile(path);
        var (entries, _, dataStart) = ParseHeader(path, bytes, bytes.LongLength);
        var data = bytes.AsSpan((int)dataStart);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            var raw = data[(int)e.Start..(int)e.End];
            result[e.Name] = e.DType switch
            {
                "F32" => tensor(ToArray<float>(raw), e.Shape),
                "I64" => tensor(ToArray<long>(raw), e.Shape),
                "F16" => tensor(ToArray<Half>(raw).Select(h => (float)h).ToArray(), e.Shape),
                _ => tensor(ToArray<ushort>(raw).Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray(), e.Shape),
            };
        }

        return result;
    }

    /// <summary>The string metadata of a safetensors file (empty when it has none); reads the header only.</summary>
    /// <exception cref="InvalidDataException">A bad header; the message names the file.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static Dictionary<string, string> Metadata(string path)
    {
        var (head, length) = ReadHeaderBytes(path);
        return ParseHeader(path, head, length).Metadata;
    }

    /// <summary>Each tensor's shape, from the header alone (nothing else is read), after the same checks as <see cref="Load"/>.</summary>
    /// <exception cref="InvalidDataException">A bad header; the message names the file.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static Dictionary<string, long[]> Shapes(string path)
    {
        var (head, length) = ReadHeaderBytes(path);
        return ParseHeader(path, head, length).Entries.ToDictionary(e => e.Name, e => e.Shape, StringComparer.Ordinal);
    }

    private static (byte[] Head, long FileLength) ReadHeaderBytes(string path)
    {
        using var stream = Open(path);
        Span<byte> length = stackalloc byte[8];
        if (stream.ReadAtLeast(length, 8, throwOnEndOfStream: false) < 8)
            throw new InvalidDataException($"{path}: {stream.Length} bytes, too short for a safetensors header.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(length);
        CheckHeaderLength(path, n, stream.Length);
        var head = new byte[8 + (int)n];
        length.CopyTo(head);
        stream.ReadExactly(head.AsSpan(8));
        return (head, stream.Length);
    }

    private static FileStream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: is a folder, not a safetensors file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such safetensors file.", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    private static byte[] ReadFile(string path)
    {
        using var stream = Open(path);
        if (stream.Length > Array.MaxLength)
            throw new InvalidDataException($"{path}: {stream.Length:N0} bytes, more than this reader loads at once ({Array.MaxLength:N0}).");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static void CheckHeaderLength(string path, ulong n, long fileLength)
    {
        if (n > (ulong)Math.Max(0, fileLength - 8) || n > MaxHeaderBytes)
            throw new InvalidDataException($"{path}: the header claims {n} bytes; the file has {Math.Max(0, fileLength - 8)} after the length (truncated, or not a safetensors file).");
    }

    /// <summary>
    /// Parses and checks the header in <paramref name="bytes"/> (the length word and the JSON at least): the root is an
    /// object; each tensor has a known dtype, a shape of non-negative dimensions whose product does not overflow, and
    /// data_offsets that hold exactly its bytes; names are unique; the tensors' ranges, in order, tile the data area
    /// with no gap or overlap (the format's rule); metadata values are strings.
    /// </summary>
    private static (List<Entry> Entries, Dictionary<string, string> Metadata, long DataStart) ParseHeader(string path, byte[] bytes, long fileLength)
    {
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: {bytes.Length} bytes, too short for a safetensors header.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        CheckHeaderLength(path, n, fileLength);
        long dataStart = 8 + (long)n, dataLength = fileLength - dataStart;
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        }
        catch (Exception e) when (e is JsonException or ArgumentException or DecoderFallbackException)
        {
            throw new InvalidDataException($"{path}: the header is not valid UTF-8 JSON ({e.Message}).", e);
        }

        using (header)
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: the header is a JSON {header.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object of tensors.");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                foreach (var property in header.RootElement.EnumerateObject())
                {
                    // Reading the name decodes it: invalid UTF-8 fails here (InvalidOperationException), caught below.
                    var name = property.Name;
                    if (!seen.Add(name))
                        throw new InvalidDataException($"{path}: the header names '{Clip(name)}' twice.");
                    try
                    {
                        if (name == "__metadata__")
                        {
                            foreach (var m in Object(property.Value, "__metadata__").EnumerateObject())
                                metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw new InvalidDataException($"metadata value '{Clip(m.Name)}' is a JSON {m.Value.ValueKind.ToString().ToLowerInvariant()}, not a string");
                            continue;
                        }

                        entries.Add(ParseEntry(property, dataLength));
                    }
                    catch (Exception e) when (e is InvalidDataException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
                    {
                        throw new InvalidDataException($"{path}: tensor '{Clip(name)}': {e.Message}", e);
                    }
                }
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidDataException($"{path}: the header is not valid UTF-8 JSON ({e.Message}).", e);
            }
        }

        // The data area is the tensors' bytes, in order, nothing else.
        long at = 0;
        foreach (var e in entries.OrderBy(e => e.Start).ThenBy(e => e.End))
        {
            if (e.Start != at)
                throw new InvalidDataException(e.Start < at
                    ? $"{path}: tensor '{Clip(e.Name)}': bytes [{e.Start}, {e.End}) overlap another tensor's (which ends at {at})."
                    : $"{path}: tensor '{Clip(e.Name)}': bytes [{e.Start}, {e.End}) leave a gap after byte {at} of the data.");
            at = e.End;
        }

        if (at != dataLength)
            throw new InvalidDataException($"{path}: the tensors cover {at} data bytes, but the file has {dataLength} after the header (truncated, or extra bytes).");
        return (entries, metadata, dataStart);
    }

    private static Entry ParseEntry(JsonProperty property, long dataLength)
    {
        var value = Object(property.Value, "the entry");
        var dtypeElement = value.GetProperty("dtype");
        var dtype = dtypeElement.ValueKind == JsonValueKind.String ? dtypeElement.GetString()! : throw new InvalidDataException("dtype is not a string");
        int size = dtype switch { "F32" => 4, "F16" or "BF16" => 2, "I64" => 8, _ => throw new InvalidDataException($"dtype '{Clip(dtype)}' is not supported (F32, F16, BF16, I64)") };
        var shape = Integers(value.GetProperty("shape"), "shape");
        if (shape.Any(d => d < 0)) throw new InvalidDataException($"shape [{string.Join(", ", shape)}] has a negative dimension");
        long count = 1;
        foreach (var d in shape)
        {
            count = checked(count * d);
            if (count > dataLength) throw new InvalidDataException($"shape [{string.Join(", ", shape)}] needs more than the {dataLength} data bytes");
        }

        var range = Integers(value.GetProperty("data_offsets"), "data_offsets");
        if (range.Length != 2 || range[0] < 0 || range[1] < range[0] || range[1] > dataLength || range[1] - range[0] != checked(count * size))
            throw new InvalidDataException($"data_offsets [{string.Join(", ", range)}] do not hold {count} × {size} bytes within the {dataLength} data bytes");
        return new Entry(property.Name, dtype, shape, range[0], range[1]);
    }

    private static JsonElement Object(JsonElement e, string what) =>
        e.ValueKind == JsonValueKind.Object ? e : throw new InvalidDataException($"{what} is a JSON {e.ValueKind.ToString().ToLowerInvariant()}, not an object");

    private static long[] Integers(JsonElement e, string what)
    {
        if (e.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{what} is not a JSON array");
        return [.. e.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var v) ? v : throw new InvalidDataException($"{what} holds {Clip(d.GetRawText())}, not an integer"))];
    }

    // Names and values from a damaged file may be long or hold control characters: show them short and escaped.
    internal static string Clip(string s)
    {
        var shown = s.Length <= 80 ? s : s[..80] + "…";
        return string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    private static byte[] Bytes<T>(T[] values) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static T[] ToArray<T>(ReadOnlySpan<byte> raw) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(raw).ToArray();
}
