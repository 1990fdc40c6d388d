using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Foundations;
using TorchSharp;

namespace Lineage.Neural.Tests.Core;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-ckpt-").FullName;

    public CheckpointTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SaveLoad_RoundTripsWeightsStepAndMetadata()
    {
        torch.manual_seed(1);
        using var a = new Mlp(MlpConfig.Tiny);
        var path = Path.Combine(_dir, "a.ckpt");
        Checkpoint.Save(path, a, null, new CheckpointInfo(7, "{\"note\":1}"));
        torch.manual_seed(2);
        using var b = new Mlp(MlpConfig.Tiny);
        var info = Checkpoint.Load(path, b, null);
        Assert.Equal(7, info.Step);
        Assert.Equal("{\"note\":1}", info.Metadata);
        using var x = torch.rand(3, 16);
        a.eval(); b.eval();
        using var ya = a.forward(x);
        using var yb = b.forward(x);
        Assert.True(ya.allclose(yb, rtol: 0, atol: 0), "loaded weights differ");
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));    // the temporary file was renamed away
    }

    [Fact]
    public void Load_Truncated_ThrowsNamingTheFile()
    {
        using var model = new Mlp(MlpConfig.Tiny);
        var path = Path.Combine(_dir, "t.ckpt");
        Checkpoint.Save(path, model, null, new CheckpointInfo(1, "{}"));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.ThrowsAny<InvalidDataException>(() => Checkpoint.Load(path, model, null));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NotACheckpoint_ThrowsNamingTheFile()
    {
        var path = Path.Combine(_dir, "junk.ckpt");
        File.WriteAllText(path, "hello, I am not a checkpoint");
        using var model = new Mlp(MlpConfig.Tiny);
        var e = Assert.ThrowsAny<InvalidDataException>(() => Checkpoint.Load(path, model, null));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WeightsOfAnotherShape_ThrowsNamingTheFile()
    {
        using var small = new Mlp(MlpConfig.Tiny);
        using var big = new Mlp(MlpConfig.Tiny with { Hidden = 9 });
        var path = Path.Combine(_dir, "s.ckpt");
        Checkpoint.Save(path, small, null, new CheckpointInfo(1, "{}"));
        var e = Assert.ThrowsAny<Exception>(() => Checkpoint.Load(path, big, null));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AFlippedByte_IsRefusedByTheChecksum_NotResumed()
    {
        // Issue 29: a flipped byte in a checkpoint used to resume silently with damaged weights.
        using var model = new Mlp(MlpConfig.Tiny);
        var path = Path.Combine(_dir, "f.ckpt");
        Checkpoint.Save(path, model, null, new CheckpointInfo(3, "{}"));
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length * 2 / 3] ^= 0x10; // inside the weights
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, null));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Peek(path));
    }

    [Fact]
    public void Load_AVersion1FileWithAHugeRngLength_IsAClearError()
    {
        // Issue 29: a resume checkpoint whose RNG length was 0x7FFFFFF0 asked for a 2 GB array.
        var path = Path.Combine(_dir, "rng.ckpt");
        using (var w = new BinaryWriter(File.Create(path)))
        {
            w.Write("LINEAGE-CKPT");
            w.Write(1);          // version 1: no checksum trailer
            w.Write(5L);         // step
            w.Write("{}");       // metadata
            w.Write(0x7FFFFFF0); // RNG state length
            w.Write(new byte[64]);
        }

        using var model = new Mlp(MlpConfig.Tiny);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, null));
        Assert.Contains("RNG state claims 2147483632 bytes", e.Message, StringComparison.Ordinal);
        Assert.Equal(5, Checkpoint.Peek(path).Step);
    }
}
