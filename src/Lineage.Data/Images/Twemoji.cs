using System.Text.Json;

namespace Lineage.Data.Images;

/// <summary>One emoji: its name (the Unicode CLDR name), category, sub-category and image file.</summary>
/// <param name="Name">Upper-case Unicode name ("RED APPLE").</param>
/// <param name="ShortNames">Short names (<c>apple</c>).</param>
/// <param name="Category">One of 10 categories ("Food &amp; Drink").</param>
/// <param name="Subcategory">One of about 100 sub-categories ("food-fruit").</param>
/// <param name="Image">Image file name, <c>&lt;codepoints&gt;.png</c>.</param>
public sealed record Emoji(string Name, IReadOnlyList<string> ShortNames, string Category, string Subcategory, string Image)
{
    /// <summary>The caption the multimodal models read: name, category and sub-category in lower case ("red apple. food &amp; drink, food fruit").</summary>
    public string Caption => $"{Name.ToLowerInvariant()}. {Category.ToLowerInvariant()}, {Subcategory.Replace('-', ' ')}";
}

/// <summary>
/// The emoji-datasource packages (iamcal/emoji-data) as cached by the catalogue: <c>emoji.json</c> and the 64 × 64 PNG of
/// every emoji in <c>64/</c>. The Twitter set (Twemoji) and the Google set (Noto) draw the same emoji, so a caption has two
/// images. Skin-tone variants are not listed (their images are kept in the cache; their captions would repeat the base's).
/// </summary>
public static class Twemoji
{
    /// <summary>The emoji of the package cached in <paramref name="folder"/> that have an image there, in the package's sort order.</summary>
    /// <exception cref="InvalidDataException"><c>emoji.json</c> is missing or malformed (the message names the file).</exception>
    public static IReadOnlyList<Emoji> Read(string folder)
    {
        var path = Path.Combine(folder, "emoji.json");
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: missing; fetch the data set again (lineage data fetch).");
        var list = new List<(int Order, Emoji Emoji)>();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                var image = e.GetProperty("image").GetString()!;
                if (!File.Exists(ImagePath(folder, image))) continue;
                var name = e.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : e.GetProperty("short_name").GetString()!.Replace('_', ' ').ToUpperInvariant();
                var shortNames = e.GetProperty("short_names").EnumerateArray().Select(s => s.GetString()!).ToList();
                list.Add((e.GetProperty("sort_order").GetInt32(),
                    new Emoji(name, shortNames, e.GetProperty("category").GetString()!, e.GetProperty("subcategory").GetString()!, image)));
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not the emoji-datasource format ({ex.Message}).", ex);
        }

        if (list.Count == 0) throw new InvalidDataException($"{folder}: no emoji with an image in 64/.");
        return [.. list.OrderBy(x => x.Order).Select(x => x.Emoji)];
    }

    /// <summary>The path of an emoji's 64 × 64 PNG in the cache folder.</summary>
    public static string ImagePath(string folder, string image) => Path.Combine(folder, "64", image);
}
