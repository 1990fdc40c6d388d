namespace Lineage.Robotics.Sim;

/// <summary>
/// A scripted expert that solves every tabletop task from the simulator's state: it travels with the gripper closed
/// (so it pushes nothing on the way), opens and closes on the target to grasp it, carries it to the goal and opens; to
/// push, it comes to the target's left with the gripper closed, opens, and moves right.
/// </summary>
public static class TabletopExpert
{
    /// <summary>The expert's next action.</summary>
    /// <exception cref="InvalidOperationException">The task names nothing on the table.</exception>
    public static TableAction Act(Tabletop sim)
    {
        ArgumentNullException.ThrowIfNull(sim);
        var task = sim.Task;
        if (task.Target < 0) throw new InvalidOperationException($"'{task.Text}' names no object on the table; the expert cannot solve it.");
        var target = sim.Objects[task.Target];
        var c = sim.Config;
        if (task.Kind == TaskKind.PushRight)
        {
            float sx = target.X - c.GraspRadius - 1, sy = target.Y;
            bool behind = Tabletop.Distance(sim.GripperX, sim.GripperY, sx, sy) < 1f || (!sim.Closed && Math.Abs(sim.GripperY - target.Y) < 1f && sim.GripperX < target.X);
            if (!behind) return Toward(sim, sx, sy, grip: 1);
            if (sim.Closed) return new TableAction(0, 0, 0);                           // open in place, then push
            return new TableAction(c.MaxStep, 0, 0);
        }

        if (sim.Held != task.Target)
        {
            if (sim.Held >= 0) return new TableAction(0, 0, 0);                         // holding the wrong thing: drop it
            if (Tabletop.Distance(sim.GripperX, sim.GripperY, target.X, target.Y) > 0.5f) return Toward(sim, target.X, target.Y, grip: 1);
            return new TableAction(0, 0, sim.Closed ? 0 : 1);                            // open, then close on it
        }

        if (task.Kind == TaskKind.PickUp) return new TableAction(0, 0, 1);
        var (gx, gy) = Goal(sim);
        if (Tabletop.Distance(sim.GripperX, sim.GripperY, gx, gy) > 0.5f) return Toward(sim, gx, gy, grip: 1);
        return new TableAction(0, 0, 0);                                                 // release at the goal
    }

    /// <summary>Where the expert puts the target: the corner's point, or beside the anchor on the side with room.</summary>
    public static (float X, float Y) Goal(Tabletop sim)
    {
        ArgumentNullException.ThrowIfNull(sim);
        var task = sim.Task;
        if (task.Kind == TaskKind.MoveToCorner) return sim.CornerPoint(task.Corner);
        var anchor = sim.Objects[task.Anchor];
        float offset = 1.2f * sim.Config.ObjectSize;
        return (anchor.X + (anchor.X < sim.Config.Size / 2f ? offset : -offset), anchor.Y);
    }

    /// <summary>Runs the expert to the end of the episode; returns the recorded (image, action) steps.</summary>
    public static List<(byte[] Image, TableAction Action)> Demonstrate(Tabletop sim)
    {
        ArgumentNullException.ThrowIfNull(sim);
        var steps = new List<(byte[], TableAction)>();
        while (!sim.Finished)
        {
            var image = sim.Render();
            var action = Act(sim);
            steps.Add((image, action));
            sim.Step(action);
        }

        return steps;
    }

    private static TableAction Toward(Tabletop sim, float x, float y, float grip)
    {
        float m = sim.Config.MaxStep;
        return new TableAction(Math.Clamp(x - sim.GripperX, -m, m), Math.Clamp(y - sim.GripperY, -m, m), grip);
    }
}

/// <summary>
/// RT-1/RT-2/OpenVLA's action tokens: each action dimension clipped to [lo, hi] and cut into 256 uniform bins; a bin
/// decodes to its centre, so the error of a dimension is at most half a bin (hi − lo) / 512.
/// </summary>
public sealed class ActionTokenizer
{
    /// <summary>Bins per dimension.</summary>
    public const int Bins = 256;

    private readonly float[] _lo;
    private readonly float[] _hi;

    /// <summary>A tokenizer for the ranges [lo_k, hi_k] of each dimension.</summary>
    /// <exception cref="ArgumentException">Different lengths, or a range that is empty.</exception>
    public ActionTokenizer(IReadOnlyList<float> lo, IReadOnlyList<float> hi)
    {
        ArgumentNullException.ThrowIfNull(lo);
        ArgumentNullException.ThrowIfNull(hi);
        if (lo.Count != hi.Count || lo.Count == 0) throw new ArgumentException($"{lo.Count} lower and {hi.Count} upper bounds; need the same positive number.");
        for (int k = 0; k < lo.Count; k++)
            if (!(hi[k] > lo[k])) throw new ArgumentException($"dimension {k}: range [{lo[k]}, {hi[k]}] is empty.");
        (_lo, _hi) = ([.. lo], [.. hi]);
    }

    /// <summary>The tabletop's (dx, dy, grip) with dx, dy in ±MaxStep and grip in [0, 1].</summary>
    public static ActionTokenizer ForTabletop(TabletopConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new ActionTokenizer([-config.MaxStep, -config.MaxStep, 0], [config.MaxStep, config.MaxStep, 1]);
    }

    /// <summary>Action dimensions.</summary>
    public int Dimensions => _lo.Length;

    /// <summary>Bin of each dimension (values outside the range are clipped; NaN becomes the range's middle).</summary>
    public int[] Encode(IReadOnlyList<float> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (action.Count != Dimensions) throw new ArgumentException($"an action of {action.Count} values; this tokenizer has {Dimensions} dimensions.", nameof(action));
        var bins = new int[Dimensions];
        for (int k = 0; k < Dimensions; k++)
        {
            float v = float.IsNaN(action[k]) ? (_lo[k] + _hi[k]) / 2 : Math.Clamp(action[k], _lo[k], _hi[k]);
            bins[k] = Math.Min(Bins - 1, (int)((v - _lo[k]) / (_hi[k] - _lo[k]) * Bins));
        }

        return bins;
    }

    /// <summary>The centre of each dimension's bin.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A bin outside 0–255 (a token that is not an action token).</exception>
    public float[] Decode(IReadOnlyList<int> bins)
    {
        ArgumentNullException.ThrowIfNull(bins);
        if (bins.Count != Dimensions) throw new ArgumentException($"{bins.Count} bins; this tokenizer has {Dimensions} dimensions.", nameof(bins));
        var action = new float[Dimensions];
        for (int k = 0; k < Dimensions; k++)
        {
            if (bins[k] is < 0 or >= Bins) throw new ArgumentOutOfRangeException(nameof(bins), bins[k], $"dimension {k}: not an action bin (0–{Bins - 1})");
            action[k] = _lo[k] + (bins[k] + 0.5f) * (_hi[k] - _lo[k]) / Bins;
        }

        return action;
    }

    /// <summary>The action scaled to [−1, 1] per dimension (clipped to the range first), as a continuous head predicts it.</summary>
    public float[] Normalize(IReadOnlyList<float> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (action.Count != Dimensions) throw new ArgumentException($"an action of {action.Count} values; this tokenizer has {Dimensions} dimensions.", nameof(action));
        var x = new float[Dimensions];
        for (int k = 0; k < Dimensions; k++)
            x[k] = float.IsNaN(action[k]) ? 0 : 2 * (Math.Clamp(action[k], _lo[k], _hi[k]) - _lo[k]) / (_hi[k] - _lo[k]) - 1;
        return x;
    }

    /// <summary>Back from [−1, 1] to the action's units (values outside [−1, 1] are clipped).</summary>
    public float[] Denormalize(IReadOnlyList<float> normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        if (normalized.Count != Dimensions) throw new ArgumentException($"{normalized.Count} values; this tokenizer has {Dimensions} dimensions.", nameof(normalized));
        var a = new float[Dimensions];
        for (int k = 0; k < Dimensions; k++)
            a[k] = _lo[k] + (Math.Clamp(float.IsNaN(normalized[k]) ? 0 : normalized[k], -1, 1) + 1) / 2 * (_hi[k] - _lo[k]);
        return a;
    }

    /// <summary>The largest decoding error of dimension <paramref name="k"/> for values inside its range: half a bin.</summary>
    public float MaxError(int k) => (_hi[k] - _lo[k]) / (2 * Bins);
}
