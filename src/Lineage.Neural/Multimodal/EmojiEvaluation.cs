using Lineage.Neural.Vision;
using static TorchSharp.torch;

namespace Lineage.Neural.Multimodal;

/// <summary>
/// How a dual encoder trained on <see cref="EmojiPairs"/> is scored: image→text and text→image recall@1/@5 over the
/// held-out emoji (both drawings of an emoji count as its images), and zero-shot category accuracy with the ten category
/// names as prompts, on the held-out emoji and on the sub-categories never seen in training.
/// </summary>
public static class EmojiEvaluation
{
    /// <summary>Recall both ways on the held-out emoji; category prompt accuracy on held-out emoji and unseen sub-categories.</summary>
    /// <param name="model">The trained dual encoder (CLIP or SigLIP).</param>
    /// <param name="pairs">The emoji and their split.</param>
    /// <param name="tokenizer">The caption tokenizer the model was trained with.</param>
    /// <param name="context">Caption length in tokens.</param>
    /// <returns>Metric name → value: i2t_r1, i2t_r5, t2i_r1, t2i_r5, category_heldout, category_unseen_subcategory.</returns>
    public static Dictionary<string, double> Evaluate(DualEncoder model, EmojiPairs pairs, CaptionTokenizer tokenizer, int context)
    {
        using var scope = NewDisposeScope();
        var held = pairs.HeldOut;
        var (images, owner) = pairs.ImagesOf(held);
        var u = Retrieval.EmbedImages(model, ImageTensors.Normalize(images, 0.5f, 0.5f));
        var v = Retrieval.EmbedTexts(model, tokenizer.EncodeBatch(held.Select(i => pairs.Emoji[i].Caption).ToList(), context));
        var position = held.Select((e, i) => (e, i)).ToDictionary(p => p.e, p => p.i);
        var imageTruth = owner.Select(e => (IReadOnlySet<int>)new HashSet<int> { position[e] }).ToList();
        var textTruth = held.Select((_, i) => (IReadOnlySet<int>)new HashSet<int> { 2 * i, 2 * i + 1 }).ToList();
        var prompts = Retrieval.EmbedTexts(model, tokenizer.EncodeBatch(pairs.Categories.Select(c => c.ToLowerInvariant()).ToList(), context));
        return new Dictionary<string, double>
        {
            ["i2t_r1"] = Retrieval.RecallAt(u, v, imageTruth, 1),
            ["i2t_r5"] = Retrieval.RecallAt(u, v, imageTruth, 5),
            ["t2i_r1"] = Retrieval.RecallAt(v, u, textTruth, 1),
            ["t2i_r5"] = Retrieval.RecallAt(v, u, textTruth, 5),
            ["category_heldout"] = CategoryAccuracy(model, pairs, held, prompts),
            ["category_unseen_subcategory"] = CategoryAccuracy(model, pairs, pairs.Unseen, prompts),
        };
    }

    private static double CategoryAccuracy(DualEncoder model, EmojiPairs pairs, IReadOnlyList<int> emoji, Tensor prompts)
    {
        if (emoji.Count == 0) return 0;
        using var scope = NewDisposeScope();
        var (images, owner) = pairs.ImagesOf(emoji);
        var predicted = Retrieval.Classify(Retrieval.EmbedImages(model, ImageTensors.Normalize(images, 0.5f, 0.5f)), prompts);
        int right = 0;
        for (int i = 0; i < owner.Length; i++)
            if (pairs.Categories[(int)predicted[i]] == pairs.Emoji[owner[i]].Category) right++;
        return (double)right / owner.Length;
    }
}
