using System.Buffers.Binary;
using System.Text;
using Lineage.Neural.Core;
using TorchSharp;

namespace Lineage.Neural.Tests.Core;

/// <summary>
/// The safetensors reader against hostile files (issue 29): every malformed header is an <see cref="InvalidDataException"/>
/// naming the file, never a stack trace from JSON, libtorch or an allocation sized by the file.
/// </summary>
public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-st-").FullName;

    public SafetensorsTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        return Raw(json, dataBytes);
    }

    private string Raw(byte[] json, int dataBytes)
    {
        var path = Path.Combine(_dir, $"{Guid.NewGuid():N}.safetensors");
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void SaveLoad_RoundTrips_AndMetadataReadsTheHeaderOnly()
    {
        var path = Path.Combine(_dir, "ok.safetensors");
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = torch.tensor(new long[] { 7, 8 });
        Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["a"] = a, ["b"] = b }, new Dictionary<string, string> { ["format"] = "pt" });
        var back = Safetensors.Load(path);
        Assert.Equal(a.data<float>().ToArray(), back["a"].data<float>().ToArray());
        Assert.Equal([2L, 3L], back["a"].shape);
        Assert.Equal([7L, 8L], back["b"].data<long>().ToArray());
        foreach (var t in back.Values) t.Dispose();
        Assert.Equal("pt", Safetensors.Metadata(path)["format"]);
    }

    [Theory]
    [InlineData("""[1, 2, 3]""", 0, "a JSON array, not an object")]
    [InlineData("\"just a string\"", 0, "a JSON string, not an object")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [-1, 2], "data_offsets": [0, 8]}}""", 8, "negative dimension")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}}""", 8, "needs more than the 8 data bytes")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [9223372036854775807, 9223372036854775807], "data_offsets": [0, 8]}}""", 8, "tensor 'w'")]
    [InlineData("""{"w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}""", 8, "dtype 'F64' is not supported")]
    [InlineData("""{"w": {"dtype": 4, "shape": [1], "data_offsets": [0, 4]}}""", 4, "dtype is not a string")]
    [InlineData("""{"w": {"dtype": "F32", "shape": ["2"], "data_offsets": [0, 8]}}""", 8, "shape holds \"2\", not an integer")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 8]}}""", 8, "not an integer")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}}""", 12, "do not hold 2 × 4 bytes")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}""", 8, "do not hold")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}""", 12, "overlap another tensor's")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}""", 12, "leave a gap after byte 4")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}""", 8, "names 'a' twice")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}""", 9, "the file has 9 after the header")]
    [InlineData("""{"__metadata__": {"format": 3}}""", 0, "not a string")]
    [InlineData("""{"w": [1, 2]}""", 0, "the entry is a JSON array")]
    [InlineData("""{"w": {"shape": [1], "data_offsets": [0, 4]}}""", 4, "tensor 'w'")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]""", 4, "not valid UTF-8 JSON")]
    public void MalformedHeader_IsAClearError(string header, int dataBytes, string expected)
    {
        var path = File(header, dataBytes);
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => Safetensors.Metadata(path));
    }

    [Fact]
    public void InvalidUtf8Key_IsAClearError()
    {
        var json = Encoding.UTF8.GetBytes("""{"XX": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}""");
        json[2] = 0xC3; // a lead byte followed by an ASCII byte: not UTF-8
        json[3] = 0x28;
        var path = Raw(json, 4);
        Assert.Contains("not valid UTF-8 JSON", Assert.Throws<InvalidDataException>(() => Safetensors.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderLengthBeyondTheFile_IsRefusedBeforeAllocating()
    {
        // Issue 29: Metadata used to allocate the header length as given (here 2^62 bytes).
        var path = Path.Combine(_dir, "huge.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 62);
        System.IO.File.WriteAllBytes(path, bytes);
        Assert.Contains("the header claims", Assert.Throws<InvalidDataException>(() => Safetensors.Metadata(path)).Message, StringComparison.Ordinal);
        Assert.Contains("the header claims", Assert.Throws<InvalidDataException>(() => Safetensors.Load(path)).Message, StringComparison.Ordinal);
        System.IO.File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<InvalidDataException>(() => Safetensors.Metadata(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFolderOrAMissingFile_IsAClearError()
    {
        Assert.Contains("is a folder", Assert.Throws<InvalidDataException>(() => Safetensors.Load(_dir)).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => Safetensors.Load(Path.Combine(_dir, "none.safetensors")));
    }

    [Fact]
    public void ControlCharactersInNames_AreEscapedInTheMessage()
    {
        var path = File("{\"bad\\u001b[31m\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 8);
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.DoesNotContain('\u001b', e.Message);
        Assert.Contains("bad\\u001b[31m", e.Message, StringComparison.Ordinal);
    }
}
