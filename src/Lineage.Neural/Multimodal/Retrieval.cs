using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Multimodal;

/// <summary>Recall@k of both retrieval directions, and prompt classification, for unit embeddings in a shared space.</summary>
public static class Retrieval
{
    /// <summary>
    /// Fraction of queries whose correct item is among the top k by cosine similarity. <paramref name="truth"/>[q] is the
    /// index of query q's correct item, or for several correct items (text → image with two drawings) any of them counts.
    /// </summary>
    public static double RecallAt(Tensor queries, Tensor items, IReadOnlyList<IReadOnlySet<int>> truth, int k)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(truth);
        if (queries.shape[0] != truth.Count) throw new ArgumentException($"{queries.shape[0]} queries but {truth.Count} answer sets.", nameof(truth));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int kk = (int)Math.Min(k, items.shape[0]);
        var top = queries.matmul(items.t()).topk(kk, 1).indexes.data<long>().ToArray();     // (Q, k)
        int hits = 0;
        for (int q = 0; q < truth.Count; q++)
        {
            for (int j = 0; j < kk; j++)
            {
                if (truth[q].Contains((int)top[q * kk + j]))
                {
                    hits++;
                    break;
                }
            }
        }

        return (double)hits / truth.Count;
    }

    /// <summary>The index of the most similar prompt for each image (B): zero-shot classification.</summary>
    public static long[] Classify(Tensor imageEmbeddings, Tensor promptEmbeddings)
    {
        ArgumentNullException.ThrowIfNull(imageEmbeddings);
        ArgumentNullException.ThrowIfNull(promptEmbeddings);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return imageEmbeddings.matmul(promptEmbeddings.t()).argmax(1).data<long>().ToArray();
    }

    /// <summary>Embeds images (N, C, H, W) in batches without gradients: (N, E).</summary>
    public static Tensor EmbedImages(DualEncoder model, Tensor images, int batch = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        model.eval();
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (long s = 0; s < images.shape[0]; s += batch)
            parts.Add(model.EncodeImages(images.narrow(0, s, Math.Min(batch, images.shape[0] - s))));
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    /// <summary>Embeds token ids (N, T) in batches without gradients: (N, E).</summary>
    public static Tensor EmbedTexts(DualEncoder model, Tensor ids, int batch = 512)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(ids);
        model.eval();
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (long s = 0; s < ids.shape[0]; s += batch)
            parts.Add(model.EncodeTexts(ids.narrow(0, s, Math.Min(batch, ids.shape[0] - s))));
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }
}
