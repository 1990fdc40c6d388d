// A simulated tabletop for vision-language-action policies (RT-2 / OpenVLA style), pure C# and deterministic with a
// seed. No registry reachable from this project has real robot trajectories, so the robot data is simulated; the
// objects are real images (Twemoji sprites in the tour; anything with a name and a category here).
//
// Top-down 2-D table of Size × Size pixels. The gripper is a point with an open/closed state; an action moves it by
// (dx, dy) pixels (each clipped to ±MaxStep) and sets the gripper (closed when grip > 0.5). Closing within GraspRadius
// of an object's centre picks the nearest one up and it moves with the gripper until the gripper opens; moving the open
// gripper into an object pushes it along. Success is decided by the simulator from the state, never by a model.
namespace Lineage.Robotics.Sim;

/// <summary>An object's look and its real names: an RGBA image (rows of RGBA bytes, side × side) with a caption.</summary>
/// <param name="Name">What instructions call it ("red apple").</param>
/// <param name="Category">Its category ("Food &amp; Drink").</param>
/// <param name="Subcategory">Its sub-category ("food-fruit").</param>
/// <param name="Side">Pixels per side.</param>
/// <param name="Rgba">Side × side × 4 bytes, row-major.</param>
public sealed record Sprite(string Name, string Category, string Subcategory, int Side, byte[] Rgba)
{
    /// <summary>Checks the pixel buffer's size.</summary>
    public Sprite Validate() =>
        Side > 0 && Rgba is { } px && px.Length == Side * Side * 4 ? this
            : throw new ArgumentException($"sprite '{Name}': {Rgba?.Length ?? 0} bytes of pixels, expected {Side} × {Side} × 4 = {Side * Side * 4}");
}

/// <summary>Table and physics sizes.</summary>
/// <param name="Size">Image side in pixels.</param>
/// <param name="ObjectSize">Side of a drawn object in pixels.</param>
/// <param name="MinObjects">Fewest objects on the table.</param>
/// <param name="MaxObjects">Most objects on the table.</param>
/// <param name="MaxStep">Largest move per step, pixels per axis (actions are clipped to ±MaxStep).</param>
/// <param name="GraspRadius">A closing gripper picks up an object whose centre is this close.</param>
/// <param name="MaxSteps">Steps before an episode ends unfinished.</param>
public sealed record TabletopConfig(int Size = 96, int ObjectSize = 16, int MinObjects = 2, int MaxObjects = 5, float MaxStep = 6f, float GraspRadius = 6f, int MaxSteps = 60)
{
    /// <summary>Returns this, or throws naming the bad field.</summary>
    public TabletopConfig Validate()
    {
        if (Size < 4 * ObjectSize) throw new ArgumentOutOfRangeException(nameof(Size), Size, $"must be at least 4 × ObjectSize ({4 * ObjectSize})");
        if (ObjectSize < 2) throw new ArgumentOutOfRangeException(nameof(ObjectSize), ObjectSize, "must be ≥ 2");
        if (MinObjects < 1 || MaxObjects < MinObjects || MaxObjects > 8) throw new ArgumentOutOfRangeException(nameof(MaxObjects), $"need 1 ≤ MinObjects ≤ MaxObjects ≤ 8, got {MinObjects}, {MaxObjects}");
        if (!(MaxStep > 0)) throw new ArgumentOutOfRangeException(nameof(MaxStep), MaxStep, "must be > 0");
        if (!(GraspRadius > 0)) throw new ArgumentOutOfRangeException(nameof(GraspRadius), GraspRadius, "must be > 0");
        if (MaxSteps < 1) throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "must be ≥ 1");
        return this;
    }
}

/// <summary>An action: gripper move in pixels and gripper command (closed when &gt; 0.5).</summary>
public readonly record struct TableAction(float Dx, float Dy, float Grip);

/// <summary>An object on the table (position = centre, pixels).</summary>
public sealed record TableObject(int Id, Sprite Sprite, float X, float Y);

/// <summary>The kinds of instruction.</summary>
public enum TaskKind
{
    /// <summary>"pick up the {name}": done when it is held.</summary>
    PickUp,
    /// <summary>"move the {name} to the {corner}": done when it rests (released) in that corner.</summary>
    MoveToCorner,
    /// <summary>"put the {name} next to the {other}": done when it rests beside the other object.</summary>
    PlaceNextTo,
    /// <summary>"push the leftmost {category} right": done when that object has moved right by a third of the table.</summary>
    PushRight,
}

/// <summary>One instruction with its resolved objects (−1: the instruction names nothing on the table).</summary>
/// <param name="Kind">What to do.</param>
/// <param name="Text">The instruction as written.</param>
/// <param name="Target">The object to act on, or −1.</param>
/// <param name="Anchor">The other object (PlaceNextTo), or −1.</param>
/// <param name="Corner">0 top left, 1 top right, 2 bottom left, 3 bottom right (MoveToCorner).</param>
public sealed record TableTask(TaskKind Kind, string Text, int Target, int Anchor = -1, int Corner = 0)
{
    /// <summary>The corners' names, by index.</summary>
    public static IReadOnlyList<string> Corners { get; } = ["top left", "top right", "bottom left", "bottom right"];
}

/// <summary>The simulator: a scene, a gripper, a task; step it with actions and read images and success.</summary>
public sealed class Tabletop
{
    private readonly List<TableObject> _objects;
    private readonly float _startX;

    private Tabletop(TabletopConfig config, List<TableObject> objects, TableTask task, float gripperX, float gripperY, bool closed)
    {
        Config = config;
        _objects = objects;
        Task = task;
        (GripperX, GripperY) = (gripperX, gripperY);
        Closed = closed;
        _startX = task.Target >= 0 ? objects[task.Target].X : 0;
    }

    /// <summary>Sizes.</summary>
    public TabletopConfig Config { get; }

    /// <summary>The objects, by id.</summary>
    public IReadOnlyList<TableObject> Objects => _objects;

    /// <summary>The instruction.</summary>
    public TableTask Task { get; }

    /// <summary>Gripper position, pixels.</summary>
    public float GripperX { get; private set; }

    /// <summary>Gripper position, pixels.</summary>
    public float GripperY { get; private set; }

    /// <summary>Whether the gripper is closed.</summary>
    public bool Closed { get; private set; }

    /// <summary>The held object's id, or −1.</summary>
    public int Held { get; private set; } = -1;

    /// <summary>Steps taken.</summary>
    public int Steps { get; private set; }

    /// <summary>Action components clipped so far (out-of-range actions are clipped and counted).</summary>
    public int ClippedActions { get; private set; }

    /// <summary>Whether the task is done (decided from the state).</summary>
    public bool Success => Task.Target >= 0 && Done();

    /// <summary>Whether the episode is over (success or out of steps).</summary>
    public bool Finished => Success || Steps >= Config.MaxSteps;

    /// <summary>
    /// A random scene of <paramref name="pool"/>'s sprites (distinct names, non-overlapping) and a random task of
    /// <paramref name="kind"/> over them, from <paramref name="seed"/> alone.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer distinct sprites than objects needed.</exception>
    public static Tabletop Random(TabletopConfig config, IReadOnlyList<Sprite> pool, TaskKind kind, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(pool);
        config.Validate();
        var rng = new Random(seed);
        var distinct = pool.GroupBy(s => s.Name).Select(g => g.First()).ToList();
        // A scene whose task is already done at the start (the target already in its corner, already beside the other
        // object) is drawn again from the same generator.
        for (int draw = 0; ; draw++)
        {
            var scene = Draw(config, distinct, kind, rng);
            if (!scene.Success || draw >= 100) return scene;
        }
    }

    private static Tabletop Draw(TabletopConfig config, List<Sprite> distinct, TaskKind kind, Random rng)
    {
        int count = rng.Next(Math.Max(config.MinObjects, kind == TaskKind.PlaceNextTo ? 2 : 1), config.MaxObjects + 1);
        if (distinct.Count < count) throw new ArgumentException($"the sprite pool has {distinct.Count} distinct names; a scene needs {count}", nameof(distinct));
        var sprites = distinct.OrderBy(_ => rng.Next()).Take(count).Select(s => s.Validate()).ToList();
        var objects = new List<TableObject>();
        float margin = config.ObjectSize, min = 1.5f * config.ObjectSize;
        foreach (var s in sprites)
        {
            for (int attempt = 0; ; attempt++)
            {
                float x = margin + (float)rng.NextDouble() * (config.Size - 2 * margin), y = margin + (float)rng.NextDouble() * (config.Size - 2 * margin);
                if (kind == TaskKind.PushRight && objects.Count == 0) x = margin + (float)rng.NextDouble() * (config.Size / 3f - margin);
                if (objects.All(o => Distance(o.X, o.Y, x, y) >= min) || attempt > 200)
                {
                    objects.Add(new TableObject(objects.Count, s, x, y));
                    break;
                }
            }
        }

        var task = MakeTask(kind, objects, rng);
        float gx = (float)rng.NextDouble() * config.Size, gy = (float)rng.NextDouble() * config.Size;
        return new Tabletop(config, objects, task, gx, gy, closed: true);   // starts closed: closing on an object is what grasps it
    }

    /// <summary>A scene with the given objects, task and gripper (open unless <paramref name="closed"/>); see <see cref="TaskParser"/> to read a task from text.</summary>
    public static Tabletop FromScene(TabletopConfig config, IReadOnlyList<TableObject> objects, TableTask task, float gripperX, float gripperY, bool closed = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(objects);
        ArgumentNullException.ThrowIfNull(task);
        config.Validate();
        return new Tabletop(config, [.. objects], task, gripperX, gripperY, closed);
    }

    /// <summary>Applies one action; returns whether the episode is finished.</summary>
    public bool Step(TableAction action)
    {
        float dx = Clip(action.Dx), dy = Clip(action.Dy);
        float grip = action.Grip;
        if (float.IsNaN(grip) || grip < 0 || grip > 1) { ClippedActions++; grip = float.IsNaN(grip) ? 0 : Math.Clamp(grip, 0, 1); }
        bool close = grip > 0.5f;
        float size = Config.Size - 1;
        float nx = Math.Clamp(GripperX + dx, 0, size), ny = Math.Clamp(GripperY + dy, 0, size);
        if (Held < 0 && !close)
        {
            // The open gripper pushes what it runs into (the step's grip command applies first: closing and moving in the
            // same step pushes nothing).
            foreach (var o in _objects.ToArray())
            {
                float d = Distance(o.X, o.Y, nx, ny);
                if (d < Config.GraspRadius && (dx != 0 || dy != 0))
                {
                    float len = MathF.Sqrt(dx * dx + dy * dy);
                    float push = Config.GraspRadius - d;
                    Move(o.Id, o.X + dx / len * push + dx, o.Y + dy / len * push + dy);
                }
            }
        }

        (GripperX, GripperY) = (nx, ny);
        if (Held >= 0) Move(Held, nx, ny);
        if (close && !Closed && Held < 0)
        {
            var nearest = _objects.Select(o => (o, d: Distance(o.X, o.Y, nx, ny))).Where(p => p.d <= Config.GraspRadius).OrderBy(p => p.d).FirstOrDefault();
            if (nearest.o is not null)
            {
                Held = nearest.o.Id;
                Move(Held, nx, ny);
            }
        }
        else if (!close)
        {
            Held = -1;
        }

        Closed = close;
        Steps++;
        return Finished;
    }

    /// <summary>The table's colour (RGB), a light wood.</summary>
    public static IReadOnlyList<byte> TableColour { get; } = [222, 196, 150];

    /// <summary>The scene as an RGB image: Size × Size × 3 bytes, row-major (the table, the objects, the gripper on top).</summary>
    public byte[] Render()
    {
        int n = Config.Size;
        var image = new byte[n * n * 3];
        for (int i = 0; i < n * n; i++) { image[3 * i] = TableColour[0]; image[3 * i + 1] = TableColour[1]; image[3 * i + 2] = TableColour[2]; }
        foreach (var o in _objects.Where(o => o.Id != Held)) Draw(image, o);
        if (Held >= 0) Draw(image, _objects[Held]);
        // The gripper: two dark jaws, apart when open, together when closed on nothing, and blue around a held object (so
        // that "closed on the object, holding it" and "closed beside it, not holding" look different to a policy).
        int gx = (int)MathF.Round(GripperX), gy = (int)MathF.Round(GripperY), gap = Held >= 0 ? 3 : Closed ? 1 : 5;
        var (r, g, b) = Held >= 0 ? ((byte)30, (byte)60, (byte)220) : ((byte)40, (byte)40, (byte)60);
        for (int t = -4; t <= 4; t++)
        {
            Put(image, gx - gap, gy + t, r, g, b);
            Put(image, gx + gap, gy + t, r, g, b);
        }

        for (int t = -gap; t <= gap; t++) Put(image, gx + t, gy - 4, r, g, b);
        return image;
    }

    /// <summary>Numbers in <see cref="State"/>.</summary>
    public const int StateDims = 4;

    /// <summary>
    /// The robot's own state, as a policy with proprioception reads it: gripper x and y as fractions of the table,
    /// 1 when closed, 1 when holding an object (<see cref="StateDims"/> numbers).
    /// </summary>
    public float[] State() => [GripperX / Config.Size, GripperY / Config.Size, Closed ? 1 : 0, Held >= 0 ? 1 : 0];

    /// <summary>Distance between two points.</summary>
    public static float Distance(float x1, float y1, float x2, float y2) => MathF.Sqrt((x1 - x2) * (x1 - x2) + (y1 - y2) * (y1 - y2));

    /// <summary>The centre of corner <paramref name="corner"/>'s goal region.</summary>
    public (float X, float Y) CornerPoint(int corner)
    {
        float lo = Config.ObjectSize, hi = Config.Size - 1 - Config.ObjectSize;
        return (corner % 2 == 0 ? lo : hi, corner < 2 ? lo : hi);
    }

    private bool Done()
    {
        var t = _objects[Task.Target];
        float s = Config.ObjectSize;
        switch (Task.Kind)
        {
            case TaskKind.PickUp:
                return Held == Task.Target;
            case TaskKind.MoveToCorner:
            {
                var (cx, cy) = CornerPoint(Task.Corner);
                return Held != Task.Target && Distance(t.X, t.Y, cx, cy) <= s;
            }
            case TaskKind.PlaceNextTo:
            {
                var a = _objects[Task.Anchor];
                float d = Distance(t.X, t.Y, a.X, a.Y);
                return Held != Task.Target && d <= 1.6f * s && d >= 0.75f * s;
            }
            default:
                return Held != Task.Target && t.X - _startX >= Config.Size / 3f;
        }
    }

    private static TableTask MakeTask(TaskKind kind, List<TableObject> objects, Random rng)
    {
        int target = rng.Next(objects.Count);
        string name = objects[target].Sprite.Name.ToLowerInvariant();
        switch (kind)
        {
            case TaskKind.PickUp:
                return new TableTask(kind, $"pick up the {name}", target);
            case TaskKind.MoveToCorner:
            {
                int corner = rng.Next(4);
                return new TableTask(kind, $"move the {name} to the {TableTask.Corners[corner]}", target, Corner: corner);
            }
            case TaskKind.PlaceNextTo:
            {
                int anchor = (target + 1 + rng.Next(objects.Count - 1)) % objects.Count;
                return new TableTask(kind, $"put the {name} next to the {objects[anchor].Sprite.Name.ToLowerInvariant()}", target, anchor);
            }
            default:
            {
                // The leftmost object of the first object's category (placed in the left third of the table).
                var category = objects[0].Sprite.Category;
                var leftmost = objects.Where(o => o.Sprite.Category == category).OrderBy(o => o.X).First();
                return new TableTask(kind, $"push the leftmost {category.ToLowerInvariant()} right", leftmost.Id);
            }
        }
    }

    private float Clip(float v)
    {
        if (float.IsNaN(v)) { ClippedActions++; return 0; }
        if (v > Config.MaxStep) { ClippedActions++; return Config.MaxStep; }
        if (v < -Config.MaxStep) { ClippedActions++; return -Config.MaxStep; }
        return v;
    }

    private void Move(int id, float x, float y)
    {
        float lo = Config.ObjectSize / 2f, hi = Config.Size - 1 - Config.ObjectSize / 2f;
        _objects[id] = _objects[id] with { X = Math.Clamp(x, lo, hi), Y = Math.Clamp(y, lo, hi) };
    }

    private void Draw(byte[] image, TableObject o)
    {
        int side = Config.ObjectSize, src = o.Sprite.Side;
        int left = (int)MathF.Round(o.X - side / 2f), top = (int)MathF.Round(o.Y - side / 2f);
        for (int y = 0; y < side; y++)
        {
            for (int x = 0; x < side; x++)
            {
                // Nearest-neighbour scaling of the sprite; alpha-composited over the table.
                int sx = x * src / side, sy = y * src / side, p = (sy * src + sx) * 4;
                int a = o.Sprite.Rgba[p + 3];
                if (a == 0) continue;
                int ix = left + x, iy = top + y;
                if (ix < 0 || iy < 0 || ix >= Config.Size || iy >= Config.Size) continue;
                int q = (iy * Config.Size + ix) * 3;
                for (int c = 0; c < 3; c++) image[q + c] = (byte)((o.Sprite.Rgba[p + c] * a + image[q + c] * (255 - a)) / 255);
            }
        }
    }

    private void Put(byte[] image, int x, int y, byte r, byte g, byte b)
    {
        if (x < 0 || y < 0 || x >= Config.Size || y >= Config.Size) return;
        int q = (y * Config.Size + x) * 3;
        (image[q], image[q + 1], image[q + 2]) = (r, g, b);
    }
}
