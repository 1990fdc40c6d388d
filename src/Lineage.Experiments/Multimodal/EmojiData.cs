using Lineage.Data.Catalog;
using Lineage.Neural.Multimodal;

namespace Lineage.Experiments.Multimodal;

/// <summary>The emoji image–caption pairs of an experiment's data cache.</summary>
internal static class EmojiData
{
    /// <summary>Loads <see cref="EmojiPairs"/> from the Twemoji and Google emoji sets the experiment requires.</summary>
    /// <param name="context">The experiment.</param>
    /// <param name="side">Image side after resizing.</param>
    /// <param name="limit">Use only the first N emoji (quick runs), or 0 for all.</param>
    /// <param name="seed">Seeds the split.</param>
    public static EmojiPairs Load(ExperimentContext context, int side, int limit, int seed)
    {
        ArgumentNullException.ThrowIfNull(context);
        var twitter = context.Require(DataCatalog.Twemoji);
        var google = context.Require(DataCatalog.GoogleEmoji);
        var manifests = new[] { context.Data.Check(DataCatalog.Twemoji).Manifest!, context.Data.Check(DataCatalog.GoogleEmoji).Manifest! };
        return EmojiPairs.Load(twitter, google, manifests, side, limit, seed, context.Cancellation);
    }
}
