// Text about tabletop scenes, every answer computed from the simulator's state:
//  - captions of one-object scenes ("a red apple, a fruit, at the top left"), the image-text pairs our CLIP/SigLIP is
//    pretrained on before any action data (the stand-in for RT-2's web image-text data);
//  - questions with one-token answers (which object is leftmost, where is the banana, how many animals, is the cat left
//    of the dog, is the gripper open), the curriculum's first stage.
namespace Lineage.Robotics.Sim;

/// <summary>Captions and questions about tabletop scenes.</summary>
public static class SceneText
{
    /// <summary>The nine regions of the table, row by row.</summary>
    public static IReadOnlyList<string> Regions { get; } = ["top left", "top", "top right", "left", "centre", "right", "bottom left", "bottom", "bottom right"];

    /// <summary>The words of the instruction templates and questions (so a text tokenizer built on captions knows them).</summary>
    public static IReadOnlyList<string> TemplateWords { get; } =
    [
        "pick", "up", "the", "move", "to", "put", "next", "push", "leftmost", "right", "left", "top", "bottom",
        "what", "is", "object", "rightmost", "where", "category", "how", "many", "are", "there", "gripper", "open", "of",
    ];

    /// <summary>The region a point is in (thirds of the table).</summary>
    public static string Region(TabletopConfig table, float x, float y)
    {
        ArgumentNullException.ThrowIfNull(table);
        int col = Math.Clamp((int)(3 * x / table.Size), 0, 2), row = Math.Clamp((int)(3 * y / table.Size), 0, 2);
        return Regions[3 * row + col];
    }

    /// <summary>A one-object scene (sprite at a random place, gripper open somewhere else) and its caption.</summary>
    public static (Tabletop Scene, string Caption) CaptionedScene(TabletopConfig table, IReadOnlyList<Sprite> pool, Random rng)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(rng);
        var sprite = pool[rng.Next(pool.Count)];
        float m = table.ObjectSize;
        float x = m + (float)rng.NextDouble() * (table.Size - 2 * m), y = m + (float)rng.NextDouble() * (table.Size - 2 * m);
        var obj = new TableObject(0, sprite, x, y);
        var scene = Tabletop.FromScene(table, [obj], new TableTask(TaskKind.PickUp, "", 0), (float)rng.NextDouble() * table.Size, (float)rng.NextDouble() * table.Size);
        return (scene, Caption(sprite.Name, sprite.Category, Region(table, x, y)));
    }

    /// <summary>The caption of a one-object scene: "a red apple, a fruit, at the top left".</summary>
    public static string Caption(string name, string category, string region)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(category);
        return $"a {name.ToLowerInvariant()}, a {category.ToLowerInvariant()}, at the {region}";
    }

    /// <summary>Every answer a question can have (one token each in the VLA): names, categories, regions, counts, yes/no.</summary>
    public static IReadOnlyList<string> Answers(IReadOnlyList<Sprite> pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return
        [
            .. pool.Select(s => s.Name.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal),
            .. pool.Select(s => s.Category.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal),
            .. Regions, "0", "1", "2", "3", "4", "5", "yes", "no",
        ];
    }

    /// <summary>A random question about <paramref name="scene"/> and its answer, read from the state.</summary>
    public static (string Question, string Answer) Ask(Tabletop scene, Random rng)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(rng);
        var objects = scene.Objects;
        var o = objects[rng.Next(objects.Count)];
        string name = o.Sprite.Name.ToLowerInvariant();
        switch (rng.Next(6))
        {
            case 0:
                return ("what is the leftmost object", objects.MinBy(p => p.X)!.Sprite.Name.ToLowerInvariant());
            case 1:
                return ("what is the rightmost object", objects.MaxBy(p => p.X)!.Sprite.Name.ToLowerInvariant());
            case 2:
                return ($"where is the {name}", Region(scene.Config, o.X, o.Y));
            case 3:
                return ($"what category is the {name}", o.Sprite.Category.ToLowerInvariant());
            case 4:
            {
                var category = objects[rng.Next(objects.Count)].Sprite.Category;
                return ($"how many {category.ToLowerInvariant()} are there", objects.Count(p => p.Sprite.Category == category).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            default:
            {
                if (objects.Count < 2) return ("is the gripper open", scene.Closed ? "no" : "yes");
                var other = objects.Where(p => p.Id != o.Id).ElementAt(rng.Next(objects.Count - 1));
                return ($"is the {name} left of the {other.Sprite.Name.ToLowerInvariant()}", o.X < other.X ? "yes" : "no");
            }
        }
    }
}
