// CLIP / SigLIP model folders: config.json (Hugging Face's CLIPModel keys + ours), model.safetensors with CLIPModel's
// parameter names, and vocab.json (the caption tokenizer's words). Deviations from Hugging Face's layout, documented in
// docs/multimodal.md: the patch embedding has a bias (vision_model.embeddings.patch_embedding.bias), there is no
// pre_layrnorm, and SigLIP uses the same CLIP names plus logit_bias (not SiglipModel's attention-pooling head).
using System.Text.Json;
using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using static TorchSharp.torch;

namespace Lineage.Neural.Multimodal;

/// <summary>Saves and loads <see cref="DualEncoder"/> model folders with Hugging Face CLIP names.</summary>
public static class ModelFolders
{
    /// <summary>Our dual-encoder names → Hugging Face CLIPModel's (the class embedding is a (C) vector there).</summary>
    public static IReadOnlyList<NameRule> Rules(DualEncoderConfig config) =>
    [
        new(@"^vision_model\.cls_token$", "vision_model.embeddings.class_embedding", new Reshaped([(config ?? throw new ArgumentNullException(nameof(config))).Vision.Dim])),
        new(@"^vision_model\.pos_embed\.wpe\.weight$", "vision_model.embeddings.position_embedding.weight"),
        new(@"^vision_model\.patch_embed\.(weight|bias)$", "vision_model.embeddings.patch_embedding.$1"),
        .. HfLayout.BlockRules("vision_model.blocks", "vision_model.encoder.layers.$1.", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
            "self_attn.out_proj", "layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2"),
        new(@"^vision_model\.norm\.(weight|bias)$", "vision_model.post_layernorm.$1"),
        new(@"^text_model\.token_embedding\.weight$", "text_model.embeddings.token_embedding.weight"),
        new(@"^text_model\.position_embedding\.wpe\.weight$", "text_model.embeddings.position_embedding.weight"),
        .. HfLayout.BlockRules("text_model.layers", "text_model.encoder.layers.$1.", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
            "self_attn.out_proj", "layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2"),
        new(@"^text_model\.final_layer_norm\.(weight|bias)$", "text_model.final_layer_norm.$1"),
        new(@"^(visual_projection|text_projection)\.weight$", "$1.weight"),
        new(@"^(logit_scale|logit_bias)$", "$1"),
    ];

    /// <summary>Writes the model and its tokenizer into <paramref name="folder"/>.</summary>
    public static void SaveDualEncoder(string folder, DualEncoder model, CaptionTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var c = model.Config;
        string type = c.Objective == ContrastiveObjective.Clip ? "clip" : "siglip";
        var config = new JsonObject
        {
            ["model_type"] = type,
            ["architectures"] = new JsonArray(c.Objective == ContrastiveObjective.Clip ? "CLIPModel" : "SiglipModel"),
            ["projection_dim"] = c.EmbedDim,
            ["logit_scale_init_value"] = c.Objective == ContrastiveObjective.Clip ? Math.Log(1 / 0.07) : SigLip.InitialLogScale,
            ["vision_config"] = new JsonObject
            {
                ["image_size"] = c.Vision.ImageSize, ["patch_size"] = c.Vision.Patch, ["num_channels"] = c.Vision.Channels,
                ["hidden_size"] = c.Vision.Dim, ["num_hidden_layers"] = c.Vision.Layers, ["num_attention_heads"] = c.Vision.Heads,
                ["intermediate_size"] = c.Vision.MlpRatio * c.Vision.Dim,
            },
            ["text_config"] = new JsonObject
            {
                ["vocab_size"] = c.Text.VocabSize, ["max_position_embeddings"] = c.Text.Context, ["hidden_size"] = c.Text.Dim,
                ["num_hidden_layers"] = c.Text.Layers, ["num_attention_heads"] = c.Text.Heads, ["intermediate_size"] = 4 * c.Text.Dim,
                ["pad_token_id"] = CaptionTokenizer.Pad, ["bos_token_id"] = CaptionTokenizer.Bos, ["eos_token_id"] = CaptionTokenizer.Eos,
            },
            ["lineage_config"] = JsonSerializer.SerializeToNode(c),
        };
        HfCheckpoint.Save(folder, model, new HfLayout(Rules(c)), config);
        tokenizer.Save(Path.Combine(folder, "vocab.json"));
    }

    /// <summary>Loads a model folder written by <see cref="SaveDualEncoder"/> (CLIP or SigLIP) and its tokenizer.</summary>
    /// <exception cref="InvalidDataException">A missing file, bad config, or mismatched weights (the tensor is named).</exception>
    public static DualEncoder LoadDualEncoder(string folder, out CaptionTokenizer tokenizer)
    {
        var config = HfCheckpoint.LineageConfig<DualEncoderConfig>(HfCheckpoint.ReadConfig(folder, "CLIP and SigLIP folders", "clip", "siglip"), folder);
        var vocab = Path.Combine(folder, "vocab.json");
        if (!File.Exists(vocab)) throw new InvalidDataException($"{vocab}: missing.");
        tokenizer = CaptionTokenizer.Load(vocab);
        if (tokenizer.VocabSize != config.Text.VocabSize) throw new InvalidDataException($"{vocab}: {tokenizer.VocabSize} tokens, but the config says {config.Text.VocabSize}.");
        return HfCheckpoint.Build(folder, new DualEncoder(config), new HfLayout(Rules(config)));
    }
}
