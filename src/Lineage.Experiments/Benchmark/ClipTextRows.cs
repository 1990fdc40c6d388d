// The benchmark's CLIP and SigLIP text-tower rows: the multimodal chapter's dual encoders (a 2-layer × 48 causal text
// transformer over a word vocabulary of the emoji captions, read at [EOS] and projected to the 48-d joint space,
// trained with InfoNCE or the pairwise sigmoid against a ViT on Twemoji + Google emoji names) used as frozen sentence
// encoders of the task's texts. They never see the task: a contrastive text tower is the lineage's way of naming
// images, and this row measures what that training gives a text task — with a vocabulary of 1,637 emoji-name words
// and a context of 16 words, most task words are [UNK], so the row is expected near the bottom; it is reported as
// measured. The model is read from the model cache under the chapter's own key (a tour of the same build trained it)
// or trained now with the chapter's recipe.
// Paper:   Radford et al. 2021 (CLIP); Zhai et al. 2023 (SigLIP).
using System.Globalization;
using Lineage.Data.Catalog;
using Lineage.Data.Benchmark;
using Lineage.Experiments.Multimodal;
using Lineage.Neural.Multimodal;

namespace Lineage.Experiments.Benchmark;

/// <summary>The CLIP and SigLIP text towers as benchmark rows.</summary>
public static class ClipTextRows
{
    /// <summary>The CLIP row's id.</summary>
    public const string Clip = "clip-text";

    /// <summary>The SigLIP row's id.</summary>
    public const string SigLip = "siglip-text";

    /// <summary>Both ids.</summary>
    public static IReadOnlyList<string> Ids { get; } = [Clip, SigLip];

    /// <summary>The rows' lineage step.</summary>
    public const string Step = "contrastive text tower (emoji names)";

    /// <summary>A classification row; <paramref name="settings"/> other than the chapter's default are for tests.</summary>
    public static BenchRow Run(ClassificationTask task, string id, DataStore data, string modelsRoot, ProbeOptions probe, int seed, ContrastiveSettings? settings = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        var s = settings ?? ContrastiveSettings.Default;
        return FrozenEncoderRows.Run(task, id, Name(id, s), Step, s.EmbedDim, _ => Load(id, data, modelsRoot, seed, s, cancellation), What, probe, seed, cancellation);
    }

    /// <summary>A retrieval row: held-out titles and pages through the text tower, ranked by cosine.</summary>
    public static BenchRow Run(RetrievalTask task, string id, DataStore data, string modelsRoot, int seed, ContrastiveSettings? settings = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        var s = settings ?? ContrastiveSettings.Default;
        return FrozenEncoderRows.Run(task, id, Name(id, s), Step, s.EmbedDim, _ => Load(id, data, modelsRoot, seed, s, cancellation), What, cancellation);
    }

    private const string What = "text tower, trained";

    private static FrozenEncoder Load(string id, DataStore data, string modelsRoot, int seed, ContrastiveSettings settings, CancellationToken cancellation)
    {
        var objective = id == SigLip ? ContrastiveObjective.SigLip : id == Clip ? ContrastiveObjective.Clip : throw new ArgumentException($"Not a text-tower row: {id}.", nameof(id));
        var (model, tokenizer, context, seconds, reused) = ClipExperiment.Trained(objective, data, modelsRoot, seed, settings, cancellation: cancellation);
        return new FrozenEncoder(model, model.Config.EmbedDim, texts =>
        {
            using var ids = tokenizer.EncodeBatch(texts, context);
            return model.EncodeTexts(ids);
        }, seconds, reused, "Twemoji + Google emoji image–name pairs (multimodal.clip's recipe; never the task's texts)",
            // The text tower and its projection; the image tower, temperature and bias are not used for a text.
            model.TextModel.parameters().Sum(p => p.numel()) + (long)model.Config.Text.Dim * model.Config.EmbedDim);
    }

    private static string Name(string id, ContrastiveSettings s) => string.Create(CultureInfo.InvariantCulture,
        $"{(id == SigLip ? "SigLIP" : "CLIP")} text tower from multimodal.clip ({s.TextLayers} × {s.TextDim}, emoji-name words, first {s.Context - 2} words, [EOS] state projected)");
}
