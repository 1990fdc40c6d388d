// Grounding the instruction's objects in the image with the VLA's own CLIP, in the manner of MOO (Stone et al. 2023,
// "Open-World Object Manipulation using Pre-trained Vision-Language Models", arXiv:2303.00905): a pretrained
// vision-language model finds where the objects the instruction names are, and the policy reads those places.
// Our CLIP was pretrained on captioned one-object scenes, so it scores a scene well only when it shows one object: each
// frame is seen through windows (everything outside a window painted with the table's colour), each window gets CLIP's
// image embedding, and each phrase of the instruction ("red apple", or a category such as "animal") gets CLIP's text
// embedding averaged over every pretraining caption that fits it (prompt ensembling, Radford et al. 2021, §3.1.4).
// A softmax over the windows at CLIP's own temperature gives each phrase an expected position (a soft arg-max).
namespace Lineage.Robotics.Sim;

/// <summary>An object name the VLA's CLIP was pretrained on, with its category.</summary>
public sealed record ObjectName(string Name, string Category);

/// <summary>The phrases of an instruction that the grounding step looks for, and the captions that describe them.</summary>
public static class Grounding
{
    /// <summary>Phrases grounded per instruction: the object acted on and, for "next to", the reference object.</summary>
    public const int Roles = 2;

    /// <summary>Numbers per role in the grounding features: x, y (fractions of the table), the best window's cosine, present (1/0).</summary>
    public const int FeaturesPerRole = 4;

    /// <summary>The object names of the sprites (the names and categories of the pretraining captions).</summary>
    public static IReadOnlyList<ObjectName> Names(IEnumerable<Sprite> sprites)
    {
        ArgumentNullException.ThrowIfNull(sprites);
        return [.. sprites.Select(s => new ObjectName(s.Name.ToLowerInvariant(), s.Category.ToLowerInvariant())).Distinct()];
    }

    /// <summary>
    /// The phrases of <paramref name="text"/>, at most <see cref="Roles"/>, in the order the text names them: every known
    /// object name it contains (longest names first, so "red apple" wins over "apple"), or, when it names none, the
    /// categories it mentions ("the leftmost animal"). Each phrase is the set of known objects it can mean.
    /// </summary>
    public static IReadOnlyList<ObjectName[]> Phrases(string text, IReadOnlyList<ObjectName> known)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(known);
        string t = " " + string.Join(' ', text.ToLowerInvariant().Split([' ', ',', '.', '!', '?', ';', ':'], StringSplitOptions.RemoveEmptyEntries)) + " ";
        var found = new List<(int At, ObjectName[] Set)>();
        var taken = new bool[t.Length];
        foreach (var o in known.OrderByDescending(o => o.Name.Length))
        {
            for (int at = t.IndexOf(" " + o.Name + " ", StringComparison.Ordinal); at >= 0; at = t.IndexOf(" " + o.Name + " ", at + 1, StringComparison.Ordinal))
            {
                if (taken[at + 1]) continue;
                for (int k = 0; k < o.Name.Length; k++) taken[at + 1 + k] = true;
                found.Add((at, [o]));
            }
        }

        if (found.Count == 0)
        {
            foreach (var category in known.Select(o => o.Category).Distinct())
            {
                int at = t.IndexOf(" " + category + " ", StringComparison.Ordinal);
                if (at >= 0) found.Add((at, [.. known.Where(o => o.Category == category)]));
            }
        }

        return [.. found.OrderBy(f => f.At).Take(Roles).Select(f => f.Set)];
    }

    /// <summary>Every pretraining caption (<see cref="SceneText.Caption"/>) of the objects in a phrase, at each of the table's regions.</summary>
    public static IReadOnlyList<string> Captions(IReadOnlyList<ObjectName> phrase)
    {
        ArgumentNullException.ThrowIfNull(phrase);
        return [.. phrase.SelectMany(o => SceneText.Regions.Select(r => SceneText.Caption(o.Name, o.Category, r)))];
    }
}
