using Lineage.Neural.Action;
using Lineage.Neural.Multimodal;
using Lineage.Robotics.Sim;
using Lineage.Text.Determinism;

namespace Lineage.Experiments.Robotics;

/// <summary>
/// The settings-side steps the VLA experiment and <c>lineage vla</c> share: the text tokenizer, the dual encoder's and the
/// VLA's configs for a <see cref="VlaSettings"/>, and the evaluation scenes (held-out scenes of seen objects, pick-ups of
/// unseen objects, paraphrases). The recipes themselves are in src/Lineage.Neural/Action: VlaPretraining (the dual
/// encoder on captioned scenes), VlaTraining (the policy, and the curriculum's scene questions), VlaEvaluation.
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
