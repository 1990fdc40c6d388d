using Lineage.Neural.Core;
using Lineage.Neural.Foundations;
using Lineage.Neural.Transformers;
using TorchSharp;

namespace Lineage.Fuzz;

/// <summary>
/// The tiny models the neural targets read into: a GPT-2, a BERT and a T5 folder (valid weights, so config.json mutations
/// get as far as the preflight and the build) and an MLP for training checkpoints. Made once per process, seeded.
/// </summary>
internal static class TinyModels
{
    public static readonly Lazy<(string Gpt, string Bert, string T5)> Folders = new(Create);

    public static readonly Lazy<Mlp> Classifier = new(() =>
    {
        TorchRuntime.Initialize();
        torch.manual_seed(1);
        return new Mlp(MlpConfig.Tiny);
    });

    private static (string Gpt, string Bert, string T5) Create()
    {
        TorchRuntime.Initialize();
        torch.manual_seed(1);
        string gpt = Scratch.FreshFolder("gpt"), bert = Scratch.FreshFolder("bert"), t5 = Scratch.FreshFolder("t5");
        using (var g = new Gpt(new GptConfig(VocabSize: 20, ContextLength: 8, Layers: 1, Heads: 2, Dim: 4, Dropout: 0))) g.Save(gpt);
        using (var b = new Bert(new BertConfig(20, MaxLength: 8, Layers: 1, Heads: 2, Dim: 4, Dropout: 0))) b.Save(bert);
        using (var t = new T5(new T5Config(20, Layers: 1, Heads: 2, Dim: 4, Hidden: 8, Dropout: 0, Buckets: 4, MaxDistance: 8))) t.Save(t5);
        return (gpt, bert, t5);
    }

    /// <summary>The three valid config.json files, as seeds.</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Configs()
    {
        var (gpt, bert, t5) = Folders.Value;
        return
        [
            ("gpt2.json", File.ReadAllBytes(Path.Combine(gpt, HfCheckpoint.ConfigName))),
            ("bert.json", File.ReadAllBytes(Path.Combine(bert, HfCheckpoint.ConfigName))),
            ("t5.json", File.ReadAllBytes(Path.Combine(t5, HfCheckpoint.ConfigName))),
        ];
    }
}
