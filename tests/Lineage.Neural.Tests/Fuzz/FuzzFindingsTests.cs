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
}
