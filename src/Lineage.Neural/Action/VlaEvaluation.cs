// Closed-loop evaluation of a VlaPolicy in the tabletop simulator: every episode run to the end, all stepping together
// in batches, with the simulator deciding success; the open-loop action error against the expert; Wilson intervals of
// success rates. The tour's chapter and `lineage vla eval|play` both call these.
// Lineage: the evaluation beside its model (Vla.cs, VlaPolicy.cs); training is in VlaTraining.cs.
// Shapes: E episodes, B batch (256 episodes step together).
using Lineage.Neural.Core;
using Lineage.Robotics.Sim;
using static TorchSharp.torch;

namespace Lineage.Neural.Action;

/// <summary>One closed-loop episode's outcome.</summary>
public sealed record EpisodeOutcome(TaskKind Kind, string Instruction, bool Success, int Steps, int Clipped);

/// <summary>Closed-loop episodes and action error of a <see cref="VlaPolicy"/>.</summary>
public static class VlaEvaluation
{
    /// <summary>
    /// Runs every scene to the end with this policy, all episodes stepping together in batches; the simulator decides
    /// success. <paramref name="frame"/>, when given, is told each episode's frames (episode index, frame).
    /// </summary>
    public static EpisodeOutcome[] RunEpisodes(this VlaPolicy policy, IReadOnlyList<Tabletop> scenes, int batch = 256, Action<int, byte[]>? frame = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(scenes);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1, nameof(batch));
        // Each episode's instruction is grounded once, in its first frame.
        using var grounding = policy.Model.Config.Grounding ? policy.GroundInChunks([.. scenes.Select(s => s.Render())], [.. scenes.Select(s => s.Task.Text)]) : null;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            var live = Enumerable.Range(0, scenes.Count).Where(i => !scenes[i].Finished).ToList();
            if (live.Count == 0) break;
            foreach (var chunk in live.Chunk(batch))
            {
                var images = chunk.Select(i => scenes[i].Render()).ToList();
                if (frame is not null) for (int j = 0; j < chunk.Length; j++) frame(chunk[j], images[j]);
                using var rows = tensor(chunk.Select(i => (long)i).ToArray());
                using var g = grounding?.index_select(0, rows);
                var actions = NoGcRegion.Run(() => policy.ActNow(images, [.. chunk.Select(i => scenes[i].State())], [.. chunk.Select(i => scenes[i].Task.Text)], g));
                for (int j = 0; j < chunk.Length; j++) scenes[chunk[j]].Step(actions[j]);
            }
        }

        if (frame is not null) for (int i = 0; i < scenes.Count; i++) frame(i, scenes[i].Render());
        return [.. scenes.Select(s => new EpisodeOutcome(s.Task.Kind, s.Task.Text, s.Success, s.Steps, s.ClippedActions))];
    }

    /// <summary>Mean absolute error against the expert's clean actions on demonstration steps: dx and dy in pixels, and the share of wrong gripper commands.</summary>
    public static (double MoveError, double GripError) ActionError(this VlaPolicy policy, IReadOnlyList<DemoStep> steps, int batch = 256)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0) throw new ArgumentException("No steps to measure the action error on.", nameof(steps));
        double move = 0, grip = 0;
        using var grounding = policy.Model.Config.Grounding ? policy.GroundInChunks(VlaPolicy.EpisodeStarts(steps), [.. steps.Select(s => s.Instruction)]) : null;
        int offset = 0;
        foreach (var chunk in steps.Chunk(batch))
        {
            using var g = grounding?.narrow(0, offset, chunk.Length);
            var acts = NoGcRegion.Run(() => policy.ActNow([.. chunk.Select(s => s.Image)], [.. chunk.Select(s => s.State)], [.. chunk.Select(s => s.Instruction)], g));
            offset += chunk.Length;
            for (int i = 0; i < chunk.Length; i++)
            {
                move += (Math.Abs(acts[i].Dx - chunk[i].Expert.Dx) + Math.Abs(acts[i].Dy - chunk[i].Expert.Dy)) / 2;
                grip += (acts[i].Grip > 0.5f) != (chunk[i].Expert.Grip > 0.5f) ? 1 : 0;
            }
        }

        return (move / steps.Count, grip / steps.Count);
    }

    /// <summary>Share of 400 held-out scene questions the policy answers right.</summary>
    public static double QuestionAccuracy(VlaPolicy policy, TabletopConfig table, IReadOnlyList<Sprite> pool, IReadOnlyList<TaskKind> kinds, int seed)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var qs = VlaTraining.Questions(table, pool, kinds, policy.Answers, 400, seed + 1);
        var said = policy.Answer(qs);
        return Enumerable.Range(0, qs.Count).Count(i => said[i] == policy.Answers[qs[i].Answer]) / (double)qs.Count;
    }
}

/// <summary>Confidence intervals of a success rate.</summary>
public static class Proportion
{
    /// <summary>The Wilson score interval (95% by default) of <paramref name="successes"/> out of <paramref name="n"/>.</summary>
    public static (double Low, double High) Wilson(int successes, int n, double z = 1.959964)
    {
        if (n <= 0) return (0, 1);
        double p = (double)successes / n, z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
