using Lineage.Neural.Action;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Multimodal;
using Lineage.Neural.Vision;
using Lineage.Robotics.Sim;
using Lineage.Robotics.Sim.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Action;

public class VlaTests
{
    private static readonly TabletopConfig Table = new(Size: 64, ObjectSize: 16, MinObjects: 2, MaxObjects: 3, MaxStep: 8, GraspRadius: 6, MaxSteps: 30);

    private static CaptionTokenizer Tokenizer() => CaptionTokenizer.Build(
        [string.Join(' ', SceneText.TemplateWords), .. TestSprites.Pool.Select(p => p.Name + " " + p.Category), .. SceneText.Regions]);

    private static VlaConfig Config(CaptionTokenizer text, ActionHead head = ActionHead.Tokens, int answers = 0, int patch = 16) => new(
        new DualEncoderConfig(new VitConfig(ImageSize: 64, Channels: 3, Patch: patch, Dim: 16, Layers: 1, Heads: 2, MlpRatio: 2, Classes: 0),
            new TextConfig(text.VocabSize, Context: 12, Dim: 16, Layers: 1, Heads: 2), 16),
        Dim: 16, Layers: 1, Heads: 2, Merge: 2, Answers: answers, Head: head);

    private static VlaPolicy Policy(ActionHead head = ActionHead.Tokens, int seed = 1)
    {
        var text = Tokenizer();
        var answers = SceneText.Answers(TestSprites.Pool);
        Seeding.Seed(seed);
        return new VlaPolicy(new Vla(Config(text, head, answers.Count)), text, Table, answers);
    }

    private static Demonstrations Demos(int episodes = 2, int seed = 0) =>
        Demonstrations.Collect(Table, TestSprites.Pool, Enum.GetValues<TaskKind>(), new CollectionSettings(episodes, Seed: seed));

    [Fact]
    public void Forward_Shapes_TokenLossFinite_PredictionsAreBins()
    {
        var policy = Policy();
        var m = policy.Model;
        using var images = rand(3, 3, 64, 64);
        using var state = rand(3, 4);
        using var ids = policy.Instructions(["pick up the cat", "push the leftmost food right", "move the dog to the top left"]);
        using var logits = m.forward(images, state, ids, full(3, 2, VlaConfig.Bos, dtype: ScalarType.Int64));
        Assert.Equal(new long[] { 3, 2, m.Config.VocabSize }, logits.shape);
        Assert.Equal(4, m.Config.ImageTokens);                                    // 4 × 4 patches merged 2 × 2
        Assert.Equal(4 + 1 + 12 + 1 + 3, m.Config.Context);                     // image, state, instruction, [BOS], actions
        using var loss = m.TokenLoss(images, state, ids, tensor(new long[] { 3, 4, 5, 100, 200, 258, 3, 3, 3 }, [3, 3]));
        Assert.True(double.IsFinite(loss.item<float>()));
        Assert.InRange(loss.item<float>(), 0, 2 * Math.Log(m.Config.VocabSize));
        using var bins = m.PredictBins(images, state, ids);
        Assert.Equal(new long[] { 3, 3 }, bins.shape);
        Assert.All(bins.data<long>().ToArray(), b => Assert.InRange(b, 0, 255));
    }

    [Fact]
    public void VisionLayer_ReadsThatLayersPatchTokens_OutOfRangeIsAnError()
    {
        var text = Tokenizer();
        Seeding.Seed(3);
        using var last = new Vla(Config(text));
        using var first = new Vla(Config(text) with { VisionLayer = 0 });
        first.LoadEncoders(ToDual(last));
        using var images = rand(2, 3, 64, 64);
        int n = last.Config.Encoders.Vision.Patches;
        using (no_grad())
        {
            Assert.True(last.ImageFeatures(images).allclose(last.VisionModel.Encode(images).narrow(1, 1, n)));
            Assert.True(first.ImageFeatures(images).allclose(last.VisionModel.Embed(images).narrow(1, 1, n)));
            Assert.True(last.VisionModel.Hidden(images, 1).allclose(last.VisionModel.Encode(images)));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => last.VisionModel.Hidden(images, 2));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => (Config(text) with { VisionLayer = 2 }).Validate());
        Assert.Equal("VisionLayer", e.ParamName);
    }

    [Fact]
    public void OutputLayer_IsUntied_AndImageTokensCarryTheirPosition()
    {
        var policy = Policy();
        var m = policy.Model;
        var names = m.named_parameters().Select(p => p.name).ToList();
        Assert.Contains("lm_head.weight", names);
        Assert.Contains("embed_tokens.weight", names);
        using var ids = policy.Instructions(["pick up the cat"]);
        using var noGrad = no_grad();
        var c = m.Config.Encoders;
        var (prefix, _) = m.PrefixFromFeatures(zeros(1, c.Vision.Patches, c.Vision.Dim), zeros(1, 4), m.TextFeatures(ids), ids);
        var image = prefix[0].narrow(0, 0, m.Config.ImageTokens);                 // same (zero) content, different places
        for (int i = 1; i < m.Config.ImageTokens; i++) Assert.False(image[i].allclose(image[0]), $"image token {i} equals token 0");
    }

    private static DualEncoder ToDual(Vla vla)
    {
        var dual = new DualEncoder(vla.Config.Encoders);
        dual.VisionModel.load_state_dict(vla.VisionModel.state_dict());
        dual.TextModel.load_state_dict(vla.TextModel.state_dict());
        return dual;
    }

    [Fact]
    public void FrozenTowers_GetNoGradient_TheDecoderDoes()
    {
        var policy = Policy();
        var m = policy.Model;
        using var images = rand(2, 3, 64, 64);
        using var ids = policy.Instructions(["pick up the cat", "pick up the dog"]);
        using var loss = m.TokenLoss(images, rand(2, 4), ids, tensor(new long[] { 10, 20, 30, 40, 50, 60 }, [2, 3]));
        loss.backward();
        Assert.All(m.VisionModel.parameters(), p => Assert.Null(p.grad));
        Assert.All(m.TextModel.parameters(), p => Assert.Null(p.grad));
        Assert.Contains(m.named_parameters(), p => p.name.StartsWith("layers.", StringComparison.Ordinal) && p.parameter.grad is not null);
    }

    [Fact]
    public void BinsAndTokens_MapBothWays_NonActionTokenIsAClearError()
    {
        Assert.Equal([3L, 258L], Vla.BinsToTokens([0, 255]));
        Assert.Equal([0, 255], Vla.TokensToBins([3L, 258L]));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Vla.TokensToBins([3L, 1L]));
        Assert.Contains("not an action token", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Vla.BinsToTokens([256]));
        var tok = ActionTokenizer.ForTabletop(Table);
        var n = tok.Normalize([8f, -8f, 0.5f]);
        Assert.Equal([1f, -1f, 0f], n);
        Assert.Equal([8f, -8f, 0.5f], tok.Denormalize(n));
        Assert.Equal([8f, -8f, 1f], tok.Denormalize([5f, -5f, 9f]));                   // out of range: clipped
    }

    [Fact]
    public void Training_LowersTheLoss_OnAFewDemonstrations()
    {
        var policy = Policy();
        var demos = Demos(episodes: 1);
        var history = policy.Train(demos, null, new VlaTrainingOptions(Steps: 40, Batch: 16, LearningRate: 3e-3));
        Assert.True(history.Losses.Take(5).Average() > history.Losses.TakeLast(5).Average() + 0.5,
            $"loss {history.Losses.Take(5).Average():0.00} → {history.Losses.TakeLast(5).Average():0.00}");
    }

    [Fact]
    public void ContinuousHead_AndCurriculum_Train()
    {
        var demos = Demos(episodes: 1);
        foreach (var loss in Enum.GetValues<RegressionLoss>())
        {
            var text = Tokenizer();
            var answers = SceneText.Answers(TestSprites.Pool);
            var policy = new VlaPolicy(new Vla(Config(text, ActionHead.Continuous, answers.Count) with { Loss = loss }), text, Table, answers);
            var history = policy.Train(demos, null, new VlaTrainingOptions(Steps: 5, Batch: 8));
            Assert.All(history.Losses, l => Assert.True(double.IsFinite(l)));
            var act = policy.Act([demos.Steps[0].Image], [demos.Steps[0].State], [demos.Steps[0].Instruction])[0];
            Assert.InRange(act.Dx, -Table.MaxStep, Table.MaxStep);
        }

        var qPolicy = Policy();
        var rng = new Random(3);
        var index = qPolicy.Answers.Select((a, i) => (a, i)).ToDictionary(p => p.a, p => p.i);
        var questions = Enumerable.Range(0, 20).Select(i =>
        {
            var scene = Tabletop.Random(Table, TestSprites.Pool, TaskKind.PickUp, i);
            var (q, a) = SceneText.Ask(scene, rng);
            return new SceneQuestion(scene.Render(), scene.State(), q, index[a]);
        }).ToList();
        var h = qPolicy.Train(demos, questions, new VlaTrainingOptions(Steps: 6, Batch: 8, QuestionSteps: 3));
        Assert.Equal(6, h.Losses.Count);
        Assert.Equal(20, qPolicy.Answer(questions).Length);
        Assert.Throws<ArgumentException>(() => qPolicy.Train(demos, null, new VlaTrainingOptions(Steps: 6, QuestionSteps: 3)));
    }

    [Fact]
    public void NanLoss_StopsTraining_AndKeepsTheLastGoodCheckpoint()
    {
        var policy = Policy();
        var demos = Demos(episodes: 1);
        var dir = Directory.CreateTempSubdirectory("vla-nan").FullName;
        var checkpoint = Path.Combine(dir, "checkpoint.bin");
        policy.Train(demos, null, new VlaTrainingOptions(Steps: 3, Batch: 4, CheckpointPath: checkpoint));
        var good = File.ReadAllBytes(checkpoint);
        using (no_grad())
        {
            foreach (var (name, p) in policy.Model.named_parameters())
                if (name.StartsWith("norm.", StringComparison.Ordinal)) p.fill_(float.NaN);
        }

        var e = Assert.Throws<TrainingDivergedException>(() => policy.Train(demos, null, new VlaTrainingOptions(Steps: 6, Batch: 4, CheckpointPath: checkpoint, Resume: false)));
        Assert.Equal(checkpoint, e.LastCheckpoint);
        Assert.Equal(good, File.ReadAllBytes(checkpoint));
    }

    [Fact]
    public void ClosedLoop_InstructionNamingNothingOnTheTable_StillGivesValidActions()
    {
        var policy = Policy();
        var sim = Tabletop.Random(Table, TestSprites.Pool, TaskKind.PickUp, 5);
        var missing = Tabletop.FromScene(Table, sim.Objects, new TableTask(TaskKind.PickUp, "pick up the unicorn", -1), 20, 20);
        var normal = Tabletop.Random(Table, TestSprites.Pool, TaskKind.MoveToCorner, 6);
        var frames = 0;
        var outcomes = policy.RunEpisodes([missing, normal], frame: (_, _) => frames++);
        Assert.False(outcomes[0].Success);
        Assert.Equal(Table.MaxSteps, outcomes[0].Steps);
        Assert.Equal(0, outcomes[0].Clipped);                                   // decoded bins are always in range
        Assert.True(frames >= outcomes.Sum(o => o.Steps));
    }

    [Fact]
    public void ModelFolder_RoundTrips_AndMismatchedWeightsNameTheTensor()
    {
        var policy = Policy(seed: 7);
        var dir = Directory.CreateTempSubdirectory("vla-folder").FullName;
        VlaFolder.Save(dir, policy);
        Assert.True(File.Exists(Path.Combine(dir, "config.json")) && File.Exists(Path.Combine(dir, "model.safetensors")));
        var loaded = VlaFolder.Load(dir);
        var demos = Demos(episodes: 1);
        var images = demos.Steps.Take(5).Select(s => s.Image).ToList();
        var texts = demos.Steps.Take(5).Select(s => s.Instruction).ToList();
        var states = demos.Steps.Take(5).Select(s => s.State).ToList();
        Assert.Equal(policy.Act(images, states, texts), loaded.Act(images, states, texts));

        // Another vision encoder (patch 8 instead of 16) saved over the config of this one.
        var text = Tokenizer();
        var other = new VlaPolicy(new Vla(Config(text, answers: policy.Answers.Count, patch: 8) with { Merge = 4 }), text, Table, policy.Answers);
        var otherDir = Directory.CreateTempSubdirectory("vla-other").FullName;
        VlaFolder.Save(otherDir, other);
        File.Copy(Path.Combine(dir, "config.json"), Path.Combine(otherDir, "config.json"), overwrite: true);
        var e = Assert.Throws<InvalidDataException>(() => VlaFolder.Load(otherDir));
        Assert.Contains("vision_model.", e.Message, StringComparison.Ordinal);

        // A vocabulary of another size.
        File.WriteAllText(Path.Combine(dir, "vocab.json"), "[\"cat\"]");
        Assert.Throws<InvalidDataException>(() => VlaFolder.Load(dir));
    }

    [Fact]
    public void Training_OnNoDemonstrations_IsAnError() =>
        Assert.Throws<ArgumentException>(() => Policy().Train(new Demonstrations(Table, []), null, new VlaTrainingOptions(Steps: 2)));

    [Fact]
    public void Wilson_Interval_OfNoTrials_IsEverything_OfHalf_IsAboutTenPointsEachSide()
    {
        Assert.Equal((0.0, 1.0), Proportion.Wilson(0, 0));
        var (lo, hi) = Proportion.Wilson(50, 100);
        Assert.InRange(lo, 0.40, 0.41);
        Assert.InRange(hi, 0.59, 0.60);
    }
}
