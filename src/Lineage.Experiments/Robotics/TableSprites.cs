using Lineage.Data.Catalog;
using Lineage.Data.Images;
using Lineage.Robotics.Sim;

namespace Lineage.Experiments.Robotics;

/// <summary>
/// The tabletop's objects: real Twemoji drawings of everyday things in four groups of ten, each with its Unicode name
/// ("red apple") and a one-word category ("fruit") that instructions and questions use. The vegetables are the group
/// held out of all action data (they appear only in the image-text pretraining).
/// </summary>
public static class TableSprites
{
    /// <summary>Category word → Unicode names of its emoji.</summary>
    public static IReadOnlyList<(string Category, string[] Names)> Groups { get; } =
    [
        ("animal", ["CAT", "DOG", "PIG", "COW", "HORSE", "RABBIT", "MOUSE", "MONKEY", "ELEPHANT", "TIGER"]),
        ("fruit", ["RED APPLE", "BANANA", "GRAPES", "LEMON", "STRAWBERRY", "CHERRIES", "PEAR", "PEACH", "WATERMELON", "PINEAPPLE"]),
        ("vehicle", ["BICYCLE", "AUTOMOBILE", "BUS", "TAXI", "AMBULANCE", "FIRE ENGINE", "POLICE CAR", "TRACTOR", "MOTORCYCLE", "RACING CAR"]),
        ("vegetable", ["CARROT", "POTATO", "BROCCOLI", "AUBERGINE", "CUCUMBER", "ONION", "GARLIC", "HOT PEPPER", "AVOCADO", "EAR OF MAIZE"]),
    ];

    /// <summary>The category no action data contains.</summary>
    public const string HeldOutCategory = "vegetable";

    /// <summary>The sprites action data may show (every category but <see cref="HeldOutCategory"/>).</summary>
    public static List<Sprite> Seen(IEnumerable<Sprite> sprites) => [.. sprites.Where(p => p.Category != HeldOutCategory)];

    /// <summary>The sprites of <see cref="HeldOutCategory"/>, seen only in the image-text pretraining.</summary>
    public static List<Sprite> Unseen(IEnumerable<Sprite> sprites) => [.. sprites.Where(p => p.Category == HeldOutCategory)];

    /// <summary>Loads every sprite of <see cref="Groups"/> from the Twemoji cache, resized to <paramref name="side"/> pixels with transparency.</summary>
    /// <exception cref="InvalidDataException">An emoji of the list is missing from the data set.</exception>
    public static IReadOnlyList<Sprite> Load(ExperimentContext context, int side)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Load(context.Require(DataCatalog.Twemoji), side);
    }

    /// <summary>Loads the sprites from a Twemoji cache folder.</summary>
    public static IReadOnlyList<Sprite> Load(string twemojiFolder, int side)
    {
        var byName = Twemoji.Read(twemojiFolder).GroupBy(e => e.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var sprites = new List<Sprite>();
        foreach (var (category, names) in Groups)
        {
            foreach (var name in names)
            {
                if (!byName.TryGetValue(name, out var e)) throw new InvalidDataException($"{twemojiFolder}: the emoji '{name}' the tabletop uses is missing from emoji.json.");
                sprites.Add(new Sprite(name.ToLowerInvariant(), category, e.Subcategory, side, ImageLoader.LoadRgba(Twemoji.ImagePath(twemojiFolder, e.Image), side)).Validate());
            }
        }

        return sprites;
    }
}
