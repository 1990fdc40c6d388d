using System.Security.Cryptography;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Foundations;
using Lineage.Text.IO;

namespace Lineage.Neural.Tests.Fuzz;

/// <summary>
/// What afl-fuzz found in the model-file readers (tools/fuzz.sh, docs/reliability.md "Fuzzing"), each as the smallest file
/// that shows it. The checkpoint target appends a valid SHA-256 trailer to each input, so these files pass the checksum:
/// a crafted file, or a writer's bug; the reader must still refuse them with its own error.
/// </summary>
public sealed class FuzzFindingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-fuzz-findings-").FullName;

    public FuzzFindingsTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Signed(byte[] content) => [.. content, .. "LNSHA256"u8.ToArray(), .. SHA256.HashData(content)];

    [Fact]
    public void Checkpoint_ANegativeStringLength_IsRefused_NotAnIOException()
    {
        // afl-fuzz: the metadata string's 7-bit length decoded to -805,306,369; BinaryReader threw IOException.
        var path = Path.Combine(_dir, "c.ckpt");
        using var model = new Mlp(MlpConfig.Tiny);
        Checkpoint.Save(path, model, null, new CheckpointInfo(3, "{\"note\":1}"));
        var content = File.ReadAllBytes(path)[..^ChecksummedFile.TrailerLength];
        int metadataAt = 1 + "LINEAGE-CKPT".Length + 4 + 8;    // magic string, version, step
        byte[] negative = [0xFF, 0xFF, 0xFF, 0xFF, 0x0C];        // 0xCFFFFFFF
        negative.CopyTo(content, metadataAt);
        File.WriteAllBytes(path, Signed(content));

        var load = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, null));
        Assert.StartsWith(path, load.Message, StringComparison.Ordinal);
        Assert.Contains("damaged", load.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Peek(path));
    }

    [Theory]
    [InlineData(8, 0, "position 0 outside 1..624")]              // the Mersenne Twister position
    [InlineData(12, 0, "not seeded")]
    [InlineData(16, 625, "next word 625 outside 0..624")]
    public void Checkpoint_AnRngStateLibtorchRefuses_IsRefused_BeforeLibtorchAbortsTheProcess(int offset, int value, string problem)
    {
        // afl-fuzz: torch.random.set_rng_state threw a C++ c10::Error ("Invalid mt19937 state") that nothing catches:
        // "terminate called", the process died.
        var path = Path.Combine(_dir, "c.ckpt");
        using var model = new Mlp(MlpConfig.Tiny);
        Checkpoint.Save(path, model, null, new CheckpointInfo(3, "{\"note\":1}"));
        var content = File.ReadAllBytes(path)[..^ChecksummedFile.TrailerLength];
        int metadataAt = 1 + "LINEAGE-CKPT".Length + 4 + 8;
        int rngAt = metadataAt + 1 + content[metadataAt] + 4;    // the metadata string, then the state's length
        BitConverter.GetBytes(value).CopyTo(content, rngAt + offset);
        File.WriteAllBytes(path, Signed(content));

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, null));
        Assert.Contains($"byte {rngAt}: the RNG state is not one libtorch accepts ({problem})", e.Message, StringComparison.Ordinal);
    }

    // Where the module state starts in a checkpoint Save wrote with metadata "{\"note\":1}": after the magic, version,
    // step, metadata, the RNG state's length and its 5,056 bytes.
    private static int WeightsAt(byte[] content)
    {
        int metadataAt = 1 + "LINEAGE-CKPT".Length + 4 + 8;
        int rngLengthAt = metadataAt + 1 + content[metadataAt];
        return rngLengthAt + 4 + BitConverter.ToInt32(content, rngLengthAt);
    }

    private (string Path, byte[] Content, int TensorAt) Saved(Mlp model, TorchSharp.Modules.AdamW? optimizer = null)
    {
        var path = Path.Combine(_dir, "c.ckpt");
        Checkpoint.Save(path, model, optimizer, new CheckpointInfo(3, "{\"note\":1}"));
        var content = File.ReadAllBytes(path)[..^ChecksummedFile.TrailerLength];
        int at = WeightsAt(content);
        Assert.True(content[at] < 0x80);                        // the entry count, one LEB128 byte
        int keyAt = at + 1;                                     // the first key: a 7-bit length, then UTF-8
        return (path, content, keyAt + 1 + content[keyAt]);     // the first tensor: dtype, rank, dimensions, data
    }

    [Fact]
    public void Checkpoint_ATensorRankSizedByTheFile_IsRefused_BeforeTorchSharpAllocatesIt()
    {
        // afl-fuzz: TorchSharp's Module.load allocates new long[rank] from the file's LEB128 before it compares the
        // shape with the model's: a changed rank asked for more than the 1 GiB heap limit (OutOfMemoryException).
        using var model = new Mlp(MlpConfig.Tiny);
        var (path, content, tensorAt) = Saved(model);
        byte[] huge = [0x80, 0x80, 0x80, 0x80, 0x08];           // 2^31 dimensions
        byte[] crafted = [.. content[..(tensorAt + 1)], .. huge, .. content[(tensorAt + 2)..]];
        File.WriteAllBytes(path, Signed(crafted));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, null));
        Assert.Contains($"byte {tensorAt + 1}: tensor", e.Message, StringComparison.Ordinal);
        Assert.Contains("claims 2147483648 dimensions", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20, "the refusal allocated what the file asked for");
    }

    [Theory]
    [InlineData("shape")]
    [InlineData("name")]
    [InlineData("data")]
    public void Checkpoint_WeightsThatDoNotFitTheModel_AreRefused_WithTheByte(string damage)
    {
        using var model = new Mlp(MlpConfig.Tiny);
        var (path, content, tensorAt) = Saved(model);
        byte[] crafted = damage switch
        {
            "shape" => Patched(content, tensorAt + 2, (byte)(content[tensorAt + 2] + 1)),   // first dimension + 1
            "name" => Patched(content, tensorAt - 1, (byte)'#'),                              // the key's last character
            _ => content[..(tensorAt + 40)],                                                   // cut inside the first tensor
        };
        File.WriteAllBytes(path, Signed(crafted));

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, null));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(damage switch { "shape" => "is saved as [", "name" => "this model does not have", _ => "truncated" }, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checkpoint_ANaNWeight_IsRefused_WithItsName()
    {
        using var model = new Mlp(MlpConfig.Tiny);
        var (path, content, tensorAt) = Saved(model);
        int rank = content[tensorAt + 1], dataAt = tensorAt + 2;
        for (int d = 0; d < rank; d++) while (content[dataAt++] >= 0x80) { }
        BitConverter.GetBytes(float.NaN).CopyTo(content, dataAt);
        File.WriteAllBytes(path, Signed(content));

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, null));
        Assert.Contains("holds NaN or infinity", e.Message, StringComparison.Ordinal);
        Assert.Contains(model.named_parameters().First().name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checkpoint_WithAdamW_RoundTrips_AndADamagedHyperParameterIsRefused()
    {
        using var model = new Mlp(MlpConfig.Tiny);
        using var optimizer = TorchSharp.torch.optim.AdamW(model.parameters(), lr: 1e-3);
        using (var loss = model.forward(TorchSharp.torch.ones(2, MlpConfig.Tiny.Inputs)).sum()) loss.backward();
        optimizer.step();
        var (path, content, _) = Saved(model, optimizer);
        Assert.Equal(3, Checkpoint.Load(path, model, optimizer).Step);

        // The optimiser's name follows the weights; its first double is the initial learning rate.
        var name = "AdamW"u8.ToArray();
        int nameAt = content.AsSpan().LastIndexOf([(byte)name.Length, .. name]);
        int firstDouble = nameAt + 1 + name.Length + 2;         // the two LEB128 counts
        BitConverter.GetBytes(double.NaN).CopyTo(content, firstDouble);
        File.WriteAllBytes(path, Signed(content));
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, optimizer));
        Assert.Contains($"byte {firstDouble}: optimiser hyper-parameter NaN", e.Message, StringComparison.Ordinal);
    }

    private static byte[] Patched(byte[] content, int at, byte value)
    {
        var copy = (byte[])content.Clone();
        copy[at] = value;
        return copy;
    }
}
