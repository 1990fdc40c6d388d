using Lineage.Neural.Action;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Multimodal;
using Lineage.Robotics.Sim;
using Lineage.Text.Determinism;
using static TorchSharp.torch;

namespace Lineage.Experiments.Robotics;

/// <summary>
/// The steps the VLA experiment and <c>lineage vla</c> share: the text tokenizer, CLIP pretraining on captioned scenes,
/// scene questions, and the evaluation scenes (held-out scenes of seen objects, pick-ups of unseen objects, paraphrases).
/// </summary>
public static class VlaRecipe
{
    /// <summary>The text towers' tokenizer: the words of 2000 scene captions, the instruction and question templates and every answer.</summary>
    public static CaptionTokenizer Tokenizer(TabletopConfig table, IReadOnlyList<Sprite> sprites, int seed)
    {
        var rng = new Random(seed);
        var captions = Enumerable.Range(0, 2000).Select(_ => SceneText.CaptionedScene(table, sprites, rng).Caption).ToList();
        return CaptionTokenizer.Build([.. captions, string.Join(' ', SceneText.TemplateWords), .. SceneText.Answers(sprites)]);
    }

    /// <summary>The dual encoder's config for these settings.</summary>
    public static DualEncoderConfig ClipConfig(VlaSettings s, CaptionTokenizer tokenizer, ContrastiveObjective objective = ContrastiveObjective.Clip)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new DualEncoderConfig(s.Vision, new TextConfig(tokenizer.VocabSize, s.Context, s.TextDim, s.TextLayers, 4), s.EmbedDim, objective);
    }

    /// <summary>The VLA's config for these settings over the dual encoder's towers.</summary>
    /// <param name="s">The settings.</param>
    /// <param name="encoders">The dual encoder's config.</param>
    /// <param name="answers">One-token answers.</param>
    /// <param name="head">Token or continuous head.</param>
    /// <param name="loss">The continuous head's loss.</param>
    /// <param name="freezeVision">Keep the image tower fixed.</param>
    /// <param name="grounding">Ground the instruction's objects with the dual encoder (<see cref="VlaConfig.Grounding"/>).</param>
    public static VlaConfig ModelConfig(VlaSettings s, DualEncoderConfig encoders, int answers, ActionHead head, RegressionLoss loss, bool freezeVision, bool grounding = false)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new VlaConfig(encoders, s.Dim, s.Layers, 4, Merge: 2, Answers: answers, Head: head, Loss: loss, FreezeVision: freezeVision, VisionLayer: s.VisionLayer, Grounding: grounding);
    }

    /// <summary>
    /// Image-text pretraining (the stand-in for web data): a fixed set of captioned one-object scenes of every sprite,
    /// rendered once and kept as uint8; each step draws its batch from the step number. Adam at 1e-3 with 50 warm-up
    /// steps and a cosine decay: at a constant 2e-3 with no warm-up the loss stayed at ln 64 (chance) for some seeds
    /// and caption top-1 reached 16% at best; with the schedule every seed tried learned (41–44%).
    /// </summary>
    public static StepHistory PretrainClip(DualEncoder clip, CaptionTokenizer tokenizer, TabletopConfig table, IReadOnlyList<Sprite> sprites, VlaSettings s, int seed,
        string? checkpoint, bool resume = false, IProgress<StepReport>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(s);
        var rng = new Random(StableSeed.Of(seed, 77));
        var pairs = Enumerable.Range(0, s.ClipScenes).Select(_ => SceneText.CaptionedScene(table, sprites, rng)).ToList();
        using var frames = VlaPolicy.Frames([.. pairs.Select(p => p.Scene.Render())], table.Size);
        using var ids = tokenizer.EncodeBatch([.. pairs.Select(p => p.Caption)], s.Context);
        return ContrastiveTrainer.Train(clip, step =>
        {
            var pick = new Random(StableSeed.Of(seed, 78, step));
            var index = tensor(Enumerable.Range(0, s.ClipBatch).Select(_ => (long)pick.Next(pairs.Count)).ToArray());
            return (VlaPolicy.ToFloat(frames.index_select(0, index)), ids.index_select(0, index));
        }, new StepTrainingOptions(s.ClipSteps, 1e-3, GradClip: 1.0, CheckpointPath: checkpoint, CheckpointEvery: 100, Resume: resume && checkpoint is not null,
            WarmupSteps: 50, CosineDecay: true),
            progress: progress, cancellation: cancellation);
    }

    /// <summary>Top-1 accuracy of picking the right caption among 64 for held-out captioned scenes.</summary>
    public static double CaptionAccuracy(DualEncoder clip, CaptionTokenizer tokenizer, TabletopConfig table, IReadOnlyList<Sprite> sprites, int context, int seed)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(tokenizer);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        clip.eval();
        var rng = new Random(StableSeed.Of(seed, 31337));
        var pairs = Enumerable.Range(0, 64).Select(_ => SceneText.CaptionedScene(table, sprites, rng)).ToList();
        var logits = clip.forward(VlaPolicy.ImageBatch([.. pairs.Select(p => p.Scene.Render())], table.Size), tokenizer.EncodeBatch([.. pairs.Select(p => p.Caption)], context));
        var best = logits.argmax(1).data<long>().ToArray();
        return Enumerable.Range(0, pairs.Count).Count(i => pairs[(int)best[i]].Caption == pairs[i].Caption) / (double)pairs.Count;
    }

    /// <summary>Scene questions with their answers' indices in <paramref name="answers"/>.</summary>
    public static List<SceneQuestion> Questions(TabletopConfig table, IReadOnlyList<Sprite> pool, IReadOnlyList<TaskKind> kinds, IReadOnlyList<string> answers, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentNullException.ThrowIfNull(answers);
        var index = answers.Select((a, i) => (a, i)).ToDictionary(p => p.a, p => p.i, StringComparer.Ordinal);
        var rng = new Random(StableSeed.Of(seed, 555));
        var list = new List<SceneQuestion>(count);
        for (int i = 0; i < count; i++)
        {
            var scene = Tabletop.Random(table, pool, kinds[i % kinds.Count], StableSeed.Of(seed, 556, i));
            var (q, a) = SceneText.Ask(scene, rng);
            list.Add(new SceneQuestion(scene.Render(), scene.State(), q, index[a]));
        }

        return list;
    }

    /// <summary>Share of 400 held-out scene questions the policy answers right.</summary>
    public static double QuestionAccuracy(VlaPolicy policy, TabletopConfig table, IReadOnlyList<Sprite> pool, IReadOnlyList<TaskKind> kinds, int seed)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var qs = Questions(table, pool, kinds, policy.Answers, 400, seed + 1);
        var said = policy.Answer(qs);
        return Enumerable.Range(0, qs.Count).Count(i => said[i] == policy.Answers[qs[i].Answer]) / (double)qs.Count;
    }

    /// <summary>The task kinds a table is for: pick-ups only on a single-object table (reach and grasp), all four otherwise.</summary>
    public static TaskKind[] Kinds(TabletopConfig table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return table.MaxObjects == 1 ? [TaskKind.PickUp] : Enum.GetValues<TaskKind>();
    }

    /// <summary>Held-out scenes of each kind (seeds no demonstration uses), <paramref name="perKind"/> of each.</summary>
    public static Tabletop[] Scenes(TabletopConfig table, IReadOnlyList<Sprite> pool, IReadOnlyList<TaskKind> kinds, int perKind, int seed) =>
        [.. kinds.SelectMany(k => Enumerable.Range(0, perKind).Select(e => Tabletop.Random(table, pool, k, StableSeed.Of(seed, 424242, (int)k, e))))];

    /// <summary>Pick-up scenes whose target is an unseen object (the other objects are seen ones).</summary>
    public static Tabletop[] UnseenScenes(TabletopConfig table, IReadOnlyList<Sprite> seen, IReadOnlyList<Sprite> unseen, int n, int seed)
    {
        ArgumentNullException.ThrowIfNull(seen);
        ArgumentNullException.ThrowIfNull(unseen);
        var scenes = new List<Tabletop>();
        var names = unseen.Select(u => u.Name).ToHashSet(StringComparer.Ordinal);
        for (int e = 0; scenes.Count < n; e++)
        {
            var pool = seen.Append(unseen[e % unseen.Count]).ToList();
            var sim = Tabletop.Random(table, pool, TaskKind.PickUp, StableSeed.Of(seed, 737373, e));
            if (names.Contains(sim.Objects[sim.Task.Target].Sprite.Name)) scenes.Add(sim);
        }

        return [.. scenes];
    }

    /// <summary>The same scenes with "pick up" written as "grab", a word no demonstration used.</summary>
    public static Tabletop[] Paraphrased(IReadOnlyList<Tabletop> scenes)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        return [.. scenes.Select(s => Tabletop.FromScene(s.Config, s.Objects, s.Task with { Text = s.Task.Text.Replace("pick up", "grab", StringComparison.Ordinal) }, s.GripperX, s.GripperY, s.Closed))];
    }
}
