using Lineage.Neural.Action;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Multimodal;
using Lineage.Neural.Vision;
using Lineage.Robotics.Sim;
using Lineage.Robotics.Sim.Tests;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Action;

public class GroundingTests
{
    private static readonly TabletopConfig Table = new(Size: 64, ObjectSize: 16, MinObjects: 2, MaxObjects: 3, MaxStep: 8, GraspRadius: 6, MaxSteps: 20);

    private static readonly IReadOnlyList<ObjectName> Names = Grounding.Names(TestSprites.Pool);

    private static CaptionTokenizer Tokenizer() => CaptionTokenizer.Build(
        [string.Join(' ', SceneText.TemplateWords), .. TestSprites.Pool.Select(p => p.Name + " " + p.Category.ToLowerInvariant()), .. SceneText.Regions]);

    private static VlaConfig Config(CaptionTokenizer text, int answers = 0) => new(
        new DualEncoderConfig(new VitConfig(ImageSize: 64, Channels: 3, Patch: 16, Dim: 16, Layers: 1, Heads: 2, MlpRatio: 2, Classes: 0),
            new TextConfig(text.VocabSize, Context: 12, Dim: 16, Layers: 1, Heads: 2), 16),
        Dim: 16, Layers: 1, Heads: 2, Merge: 2, Answers: answers, Grounding: true, GroundWindow: 24, GroundStride: 8);

    [Fact]
    public void Ground_EqualsWindowByWindowClip_SoftArgMaxAtItsTemperature()
    {
        var text = Tokenizer();
        Seeding.Seed(5);
        using var dual = new DualEncoder(Config(text).Encoders);
        using var vla = new Vla(Config(text));
        vla.LoadEncoders(dual);
        dual.eval();
        vla.eval();
        using var noGrad = no_grad();
        using var image = rand(1, 3, 64, 64);
        using var fill = tensor(new[] { 0.8f, 0.7f, 0.6f });
        using var ids = text.EncodeBatch(["a cat, a animals, at the top"], 12);
        using var phrase = dual.EncodeTexts(ids);                                             // (1, E)
        Assert.True(vla.EmbedTexts(ids).allclose(phrase, 1e-5, 1e-6));

        // Reference: paint everything outside each window, encode, soft arg-max by hand.
        const int w = 24, stride = 8, per = (64 - w) / stride + 1;
        var sims = new List<float>();
        var centres = new List<(float X, float Y)>();
        for (int r = 0; r < per; r++)
        {
            for (int c = 0; c < per; c++)
            {
                var view = fill.reshape(1, 3, 1, 1).expand(1, 3, 64, 64).clone();
                view[.., .., TensorIndex.Slice(r * stride, r * stride + w), TensorIndex.Slice(c * stride, c * stride + w)] =
                    image[.., .., TensorIndex.Slice(r * stride, r * stride + w), TensorIndex.Slice(c * stride, c * stride + w)];
                sims.Add(dual.EncodeImages(view).matmul(phrase.t()).item<float>());
                centres.Add(((c * stride + w / 2f) / 64, (r * stride + w / 2f) / 64));
            }
        }

        float scale = dual.Scale.item<float>();
        var weights = sims.Select(x => Math.Exp(scale * (x - sims.Max()))).ToArray();
        double total = weights.Sum();
        double ex = centres.Select((p, i) => p.X * weights[i]).Sum() / total, ey = centres.Select((p, i) => p.Y * weights[i]).Sum() / total;

        using var phrases = cat([phrase.unsqueeze(1), zeros(1, 1, phrase.shape[1])], 1);     // the second role absent
        using var present = tensor(new[] { 1f, 0f }, [1, 2]);
        var got = vla.Ground(image, phrases, present, fill).data<float>().ToArray();
        Assert.Equal(Grounding.Roles * Grounding.FeaturesPerRole, got.Length);
        Assert.Equal(ex, got[0], 4);
        Assert.Equal(ey, got[1], 4);
        Assert.Equal(sims.Max(), got[2], 4);
        Assert.Equal(1f, got[3]);
        Assert.All(got.Skip(4), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Config_GroundingNeedsFrozenTowers_AndThePrefixNeedsItsFeatures()
    {
        var text = Tokenizer();
        var e = Assert.Throws<ArgumentException>(() => (Config(text) with { FreezeVision = false }).Validate());
        Assert.Equal("Grounding", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => (Config(text) with { GroundWindow = 65 }).Validate());
        Assert.Equal(Config(text).Context, (Config(text) with { Grounding = false }).Context + 1);

        Seeding.Seed(2);
        using var vla = new Vla(Config(text));
        using var plain = new Vla(Config(text) with { Grounding = false });
        using var images = rand(2, 3, 64, 64);
        using var state = rand(2, 4);
        using var ids = text.EncodeBatch(["pick up the cat", "pick up the dog"], 12);
        Assert.Equal("grounding", Assert.Throws<ArgumentException>(() => vla.Prefix(images, state, ids)).ParamName);
        Assert.Throws<ArgumentException>(() => vla.Prefix(images, state, ids, zeros(2, 3)));
        Assert.Throws<ArgumentException>(() => plain.Prefix(images, state, ids, zeros(2, 8)));
        var (tokens, _) = vla.Prefix(images, state, ids, zeros(2, 8));
        var (fewer, _) = plain.Prefix(images, state, ids);
        Assert.Equal(fewer.shape[1] + 1, tokens.shape[1]);
        Assert.Throws<InvalidOperationException>(() => plain.EmbedTexts(ids));
    }

    [Fact]
    public void GroundingPolicy_Trains_RunsEpisodes_AndItsFolderRoundTrips()
    {
        var text = Tokenizer();
        var answers = SceneText.Answers(TestSprites.Pool);
        Seeding.Seed(4);
        var model = new Vla(Config(text, answers.Count));
        Assert.Throws<ArgumentException>(() => new VlaPolicy(model, text, Table, answers));      // a grounding policy needs its object names
        var policy = new VlaPolicy(model, text, Table, answers, Names);
        var demos = Demonstrations.Collect(Table, TestSprites.Pool, Enum.GetValues<TaskKind>(), new CollectionSettings(1, Seed: 3));
        var questions = Enumerable.Range(0, 8).Select(i =>
        {
            var scene = Tabletop.Random(Table, TestSprites.Pool, TaskKind.PickUp, 100 + i);
            var (q, a) = SceneText.Ask(scene, new Random(i));
            return new SceneQuestion(scene.Render(), scene.State(), q, answers.ToList().IndexOf(a));
        }).ToList();
        var history = policy.Train(demos, questions, new VlaTrainingOptions(Steps: 6, Batch: 8, LearningRate: 1e-3, QuestionSteps: 2, Seed: 1));
        Assert.Equal(6, history.Losses.Count);
        Assert.All(history.Losses, l => Assert.True(double.IsFinite(l)));

        // A text that names nothing grounds to zeros; one that names something does not.
        var frame = demos.Steps[0].Image;
        using var g = policy.GroundingFeatures([frame, frame], ["what is the leftmost object", "pick up the cat"])!;
        Assert.All(g[0].data<float>().ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(1f, g[1, 3].item<float>());

        var scenes = Enumerable.Range(0, 4).Select(i => Tabletop.Random(Table, TestSprites.Pool, (TaskKind)(i % 4), 50 + i)).ToList();
        var outcomes = policy.RunEpisodes(scenes);
        Assert.Equal(4, outcomes.Length);
        Assert.All(outcomes, o => Assert.InRange(o.Steps, 1, Table.MaxSteps));

        var dir = Directory.CreateTempSubdirectory("vla-grounding").FullName;
        VlaFolder.Save(dir, policy);
        var loaded = VlaFolder.Load(dir);
        Assert.Equal(Names, loaded.Objects);
        var steps = demos.Steps.Take(6).ToList();
        Assert.Equal(policy.Act([.. steps.Select(s => s.Image)], [.. steps.Select(s => s.State)], [.. steps.Select(s => s.Instruction)]),
            loaded.Act([.. steps.Select(s => s.Image)], [.. steps.Select(s => s.State)], [.. steps.Select(s => s.Instruction)]));
        File.Delete(Path.Combine(dir, "objects.json"));
        Assert.Contains("objects.json", Assert.Throws<InvalidDataException>(() => VlaFolder.Load(dir)).Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(dir, "objects.json"), "{ not json");
        Assert.Contains("objects.json", Assert.Throws<InvalidDataException>(() => VlaFolder.Load(dir)).Message, StringComparison.Ordinal);
    }
}
