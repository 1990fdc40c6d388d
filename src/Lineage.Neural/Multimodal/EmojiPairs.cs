using Lineage.Data.Catalog;
using Lineage.Data.Images;
using Lineage.Neural.Vision;
using Lineage.Text.Determinism;
using static TorchSharp.torch;

namespace Lineage.Neural.Multimodal;

/// <summary>
/// Twemoji image-caption pairs with the Google drawing of each emoji as a second image, split three ways: a held-out
/// sub-category split (every emoji of <see cref="HeldOutSubcategories"/> is unseen in training), a random 10% of the
/// remaining emoji held out for retrieval, and the rest for training. Both drawings of an emoji are on the same side.
/// </summary>
public sealed class EmojiPairs : IDisposable
{
    private EmojiPairs() { }

    /// <summary>Every emoji with both drawings, in the package's order.</summary>
    public IReadOnlyList<Emoji> Emoji { get; private set; } = [];

    /// <summary>Images (2·E, 3, S, S) in [0, 1]: rows 2e (Twitter) and 2e + 1 (Google) show emoji e.</summary>
    public Tensor Images { get; private set; } = null!;

    /// <summary>Emoji indices used for training.</summary>
    public IReadOnlyList<int> Train { get; private set; } = [];

    /// <summary>Emoji indices held out at random (their sub-categories are seen in training).</summary>
    public IReadOnlyList<int> HeldOut { get; private set; } = [];

    /// <summary>Emoji indices of the held-out sub-categories.</summary>
    public IReadOnlyList<int> Unseen { get; private set; } = [];

    /// <summary>The sub-categories held out entirely.</summary>
    public IReadOnlyList<string> HeldOutSubcategories { get; private set; } = [];

    /// <summary>The ten categories, in order of first appearance.</summary>
    public IReadOnlyList<string> Categories { get; private set; } = [];

    /// <summary>The two data sets' manifests (model-cache key).</summary>
    public IReadOnlyList<DataManifest> Manifests { get; private set; } = [];

    /// <summary>Loads, decodes (palette PNGs composited on white), resizes to <paramref name="side"/> and splits.</summary>
    /// <param name="twitter">Cache folder of the Twemoji drawings.</param>
    /// <param name="google">Cache folder of the Google drawings.</param>
    /// <param name="manifests">The two data sets' manifests (kept as the model-cache key).</param>
    /// <param name="side">Image side after resizing.</param>
    /// <param name="limit">Use only the first N emoji (quick runs), or 0 for all.</param>
    /// <param name="seed">Seeds the split.</param>
    /// <param name="cancellation">Stops the decoding.</param>
    public static EmojiPairs Load(string twitter, string google, IReadOnlyList<DataManifest> manifests, int side, int limit, int seed, CancellationToken cancellation)
    {
        var inGoogle = Twemoji.Read(google).Select(e => e.Image).ToHashSet(StringComparer.Ordinal);
        var emoji = Twemoji.Read(twitter).Where(e => inGoogle.Contains(e.Image) && e.Category != "Component").ToList();
        if (limit > 0)
        {
            // Every k-th emoji, so a quick run still covers all categories.
            int step = Math.Max(1, emoji.Count / limit);
            emoji = [.. emoji.Where((_, i) => i % step == 0).Take(limit)];
        }

        var images = new List<RgbImage>(2 * emoji.Count);
        foreach (var e in emoji)
        {
            cancellation.ThrowIfCancellationRequested();
            images.Add(ImageLoader.Load(Twemoji.ImagePath(twitter, e.Image), side));
            images.Add(ImageLoader.Load(Twemoji.ImagePath(google, e.Image), side));
        }

        var random = new Random(seed);
        var sizes = emoji.GroupBy(e => e.Subcategory).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var subcategories = sizes.Keys.Order(StringComparer.Ordinal).ToList();
        // Hold out about 10% of the sub-categories, among those of 3–40 emoji: never a whole category, and not the
        // 258 country flags, which would make the unseen split mostly flags.
        var heldSubs = subcategories.Where(c => sizes[c] is >= 3 and <= 40).OrderBy(_ => random.Next())
                                    .Take(Math.Max(1, subcategories.Count / 10)).ToHashSet(StringComparer.Ordinal);
        var unseen = Enumerable.Range(0, emoji.Count).Where(i => heldSubs.Contains(emoji[i].Subcategory)).ToList();
        var rest = Enumerable.Range(0, emoji.Count).Where(i => !heldSubs.Contains(emoji[i].Subcategory)).OrderBy(_ => random.Next()).ToList();
        int heldCount = Math.Max(4, rest.Count / 10);
        return new EmojiPairs
        {
            Emoji = emoji,
            Images = ImageTensors.FromRgb(images),
            HeldOut = [.. rest.Take(heldCount).Order()],
            Train = [.. rest.Skip(heldCount).Order()],
            Unseen = unseen,
            HeldOutSubcategories = [.. heldSubs.Order(StringComparer.Ordinal)],
            Categories = [.. emoji.Select(e => e.Category).Distinct()],
            Manifests = manifests,
        };
    }

    /// <summary>The images (2 per emoji) of these emoji: (2·n, 3, S, S), and the emoji index of each row.</summary>
    public (Tensor Images, int[] Owner) ImagesOf(IReadOnlyList<int> emoji)
    {
        ArgumentNullException.ThrowIfNull(emoji);
        var rows = emoji.SelectMany(e => new long[] { 2L * e, 2L * e + 1 }).ToArray();
        using var index = tensor(rows);
        return (Images.index_select(0, index), [.. emoji.SelectMany(e => new[] { e, e })]);
    }

    /// <summary>
    /// The training batch of step s, drawn from s alone (so a resumed run sees the same batches): <paramref name="batch"/>
    /// distinct training emoji (no duplicate captions), each with one of its two drawings, normalised to [−1, 1], and
    /// their caption ids (rows of <paramref name="captionIds"/>, one per emoji).
    /// </summary>
    public Func<long, (Tensor Images, Tensor Ids)> Batches(Tensor captionIds, int batch, int seed, int salt = 0)
    {
        var train = Train.ToArray();
        int b = Math.Min(batch, train.Length);
        return step =>
        {
            var random = new Random(StableSeed.Of(seed, step, salt));
            var chosen = train.OrderBy(_ => random.Next()).Take(b).ToArray();
            var rows = tensor(chosen.Select(e => 2L * e + random.Next(2)).ToArray());
            return (ImageTensors.Normalize(Images.index_select(0, rows), 0.5f, 0.5f), captionIds.index_select(0, tensor(chosen.Select(e => (long)e).ToArray())));
        };
    }

    /// <inheritdoc />
    public void Dispose() => Images?.Dispose();
}
