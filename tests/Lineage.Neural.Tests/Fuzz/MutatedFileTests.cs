using CsCheck;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Foundations;
using Lineage.Neural.Transformers;
using Lineage.Tests.Fuzz;
using TorchSharp;

namespace Lineage.Neural.Tests.Fuzz;

/// <summary>
/// Issue 29's property test per reader, for the model files: a valid safetensors file, checkpoint and GPT-2 folder,
/// mutated thousands of times (<see cref="Mutations"/>). The only outcomes allowed are a load or the reader's own
/// <see cref="InvalidDataException"/>: never a libtorch exception, an out-of-range index, an overflow or an allocation
/// sized by the file.
/// </summary>
public sealed class MutatedFileTests : IDisposable
{
    private const int Cases = 1000;
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-fuzz-").FullName;

    public MutatedFileTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void Sample(byte[] valid, string path, System.Action load, int cases = Cases) =>
        Mutations.Of(valid).Sample(bytes =>
        {
            File.WriteAllBytes(path, bytes);
            try
            {
                load();
            }
            catch (InvalidDataException)
            {
                // the reader's own error: a clean refusal
            }
        }, iter: cases, threads: 1, seed: "0N0XIzNsQ0O2");

    [Fact]
    public void Safetensors_OnlyLoadsOrRefuses()
    {
        var path = Path.Combine(_dir, "w.safetensors");
        using (var a = torch.arange(6, dtype: torch.float32).reshape(2, 3))
        using (var b = torch.tensor(new long[] { 7, 8 }))
            Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["a"] = a, ["b"] = b }, new Dictionary<string, string> { ["format"] = "pt" });
        Sample(File.ReadAllBytes(path), path, () =>
        {
            foreach (var t in Safetensors.Load(path).Values) t.Dispose();
            _ = Safetensors.Metadata(path);
        });
    }

    [Fact]
    public void Checkpoint_OnlyLoadsOrRefuses()
    {
        var path = Path.Combine(_dir, "c.ckpt");
        using var model = new Mlp(MlpConfig.Tiny);
        Checkpoint.Save(path, model, null, new CheckpointInfo(3, "{\"note\":1}"));
        Sample(File.ReadAllBytes(path), path, () => _ = Checkpoint.Load(path, model, null), cases: 300);
    }

    [Fact]
    public void GptFolder_ConfigAndWeights_OnlyLoadOrRefuse()
    {
        torch.manual_seed(1);
        using (var gpt = new Gpt(new GptConfig(VocabSize: 20, ContextLength: 8, Layers: 1, Heads: 2, Dim: 4, Dropout: 0))) gpt.Save(_dir);
        foreach (var name in new[] { "config.json", "model.safetensors" })
        {
            var path = Path.Combine(_dir, name);
            var valid = File.ReadAllBytes(path);
            Sample(valid, path, () =>
            {
                using var loaded = Gpt.Load(_dir);
            }, cases: 400);
            File.WriteAllBytes(path, valid);
        }
    }
}
