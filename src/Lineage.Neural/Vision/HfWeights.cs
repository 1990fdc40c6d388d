// Model folders in the Hugging Face layout: config.json (Hugging Face's keys plus this library's config under
// "lineage_config") and model.safetensors with Hugging Face's parameter names, mapped from ours by ordered regex rules.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lineage.Neural.Core;
using Lineage.Text.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Vision;

/// <summary>One renaming rule: a regex over our parameter name and its Hugging Face replacement.</summary>
/// <param name="Pattern">Regex over our name (anchored by the caller's patterns).</param>
/// <param name="Replacement">Replacement with $1… groups.</param>
public sealed record NameRule(string Pattern, string Replacement);

/// <summary>Saves and loads a module's parameters under Hugging Face names, checking every tensor's presence and shape.</summary>
public static class HfWeights
{
    /// <summary>The Hugging Face name of each of our parameters (first matching rule wins).</summary>
    /// <exception cref="InvalidOperationException">A parameter no rule maps (a bug in the rules).</exception>
    public static Dictionary<string, string> Names(nn.Module module, IReadOnlyList<NameRule> rules)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(rules);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, _) in module.named_parameters())
        {
            var rule = rules.FirstOrDefault(r => Regex.IsMatch(name, r.Pattern))
                ?? throw new InvalidOperationException($"No Hugging Face name for parameter '{name}'.");
            map[name] = Regex.Replace(name, rule.Pattern, rule.Replacement);
        }

        return map;
    }

    /// <summary>Writes config.json and model.safetensors into <paramref name="folder"/> (atomically, file by file).</summary>
    /// <param name="folder">Created if needed.</param>
    /// <param name="module">The model.</param>
    /// <param name="rules">Our name → Hugging Face name.</param>
    /// <param name="shapes">Hugging Face shapes that differ from ours (same elements, e.g. (1, T, D) position embeddings), by Hugging Face name.</param>
    /// <param name="config">config.json content.</param>
    public static void Save(string folder, nn.Module module, IReadOnlyList<NameRule> rules, IReadOnlyDictionary<string, long[]> shapes, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(config);
        Directory.CreateDirectory(folder);
        var names = Names(module, rules);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in module.named_parameters())
        {
            var hf = names[name];
            tensors[hf] = shapes.TryGetValue(hf, out var shape) ? p.reshape(shape) : p;
        }

        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Safetensors.Save(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Copies the tensors of <paramref name="folder"/>/model.safetensors into <paramref name="module"/>.</summary>
    /// <exception cref="InvalidDataException">A missing, unexpected or misshapen tensor (the message names it and the file).</exception>
    public static void Load(string folder, nn.Module module, IReadOnlyList<NameRule> rules)
    {
        ArgumentNullException.ThrowIfNull(module);
        var path = Path.Combine(folder, "model.safetensors");
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: missing (a model folder holds config.json and model.safetensors).");
        var names = Names(module, rules);
        var tensors = Safetensors.Load(path);
        try
        {
            var expected = names.Values.ToHashSet(StringComparer.Ordinal);
            var unexpected = tensors.Keys.Where(k => !expected.Contains(k)).Order(StringComparer.Ordinal).ToList();
            if (unexpected.Count > 0) throw new InvalidDataException($"{path}: unexpected tensor '{unexpected[0]}'{(unexpected.Count > 1 ? $" (and {unexpected.Count - 1} more)" : "")}; the weights belong to another architecture or size.");
            using var noGrad = no_grad();
            foreach (var (name, p) in module.named_parameters())
            {
                var hf = names[name];
                if (!tensors.TryGetValue(hf, out var t)) throw new InvalidDataException($"{path}: tensor '{hf}' is missing.");
                if (t.numel() != p.numel()) throw new InvalidDataException($"{path}: tensor '{hf}' has shape ({string.Join(", ", t.shape)}); the model needs ({string.Join(", ", p.shape)}).");
                if (!torch.isfinite(t).all().item<bool>()) throw new InvalidDataException($"{path}: tensor '{hf}' holds NaN or infinite values.");
                p.copy_(t.reshape(p.shape));
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Reads config.json and returns it with the library's own config (<c>lineage_config</c>) deserialised.</summary>
    /// <exception cref="InvalidDataException">Missing, not JSON, or another model type (named).</exception>
    public static T ReadConfig<T>(string folder, string modelType)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: missing (a model folder holds config.json and model.safetensors).");
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object.");
            var type = json["model_type"]?.GetValue<string>();
            if (type != modelType) throw new InvalidDataException($"{path}: model_type is '{type}', expected '{modelType}'.");
            var config = json["lineage_config"] ?? throw new InvalidDataException($"{path}: no 'lineage_config' (written by another library?).");
            return config.Deserialize<T>() ?? throw new InvalidDataException($"{path}: 'lineage_config' is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Shared transformer-block rules: ours <c>{prefix}.{i}.attn.q</c> … → Hugging Face's names under <paramref name="hfLayer"/> (with $1 the index).</summary>
    public static IEnumerable<NameRule> BlockRules(string ours, string hfLayer, string q, string k, string v, string o, string ln1, string ln2, string fc1, string fc2)
    {
        string p = "^" + Regex.Escape(ours) + @"\.(\d+)\.";
        yield return new(p + @"attn\.q\.(weight|bias)$", hfLayer + q + ".$2");
        yield return new(p + @"attn\.k\.(weight|bias)$", hfLayer + k + ".$2");
        yield return new(p + @"attn\.v\.(weight|bias)$", hfLayer + v + ".$2");
        yield return new(p + @"attn\.o\.(weight|bias)$", hfLayer + o + ".$2");
        yield return new(p + @"ln_1\.(weight|bias)$", hfLayer + ln1 + ".$2");
        yield return new(p + @"ln_2\.(weight|bias)$", hfLayer + ln2 + ".$2");
        yield return new(p + @"mlp\.fc_in\.(weight|bias)$", hfLayer + fc1 + ".$2");
        yield return new(p + @"mlp\.fc_out\.(weight|bias)$", hfLayer + fc2 + ".$2");
    }
}

/// <summary>ViT and Swin model folders with Hugging Face's <c>ViTForImageClassification</c> / <c>SwinForImageClassification</c> names.</summary>
public static class VisionFolders
{
    /// <summary>Our ViT names → Hugging Face's.</summary>
    public static IReadOnlyList<NameRule> VitRules(string hf = "vit.") =>
    [
        new(@"^cls_token$", hf + "embeddings.cls_token"),
        new(@"^pos_embed\.wpe\.weight$", hf + "embeddings.position_embeddings"),
        new(@"^patch_embed\.(weight|bias)$", hf + "embeddings.patch_embeddings.projection.$1"),
        .. HfWeights.BlockRules("blocks", hf + "encoder.layer.$1.", "attention.attention.query", "attention.attention.key", "attention.attention.value",
            "attention.output.dense", "layernorm_before", "layernorm_after", "intermediate.dense", "output.dense"),
        new(@"^norm\.(weight|bias)$", hf + "layernorm.$1"),
        new(@"^head\.(weight|bias)$", "classifier.$1"),
    ];

    /// <summary>Writes a ViT model folder.</summary>
    public static void SaveVit(string folder, Vit model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        var config = new JsonObject
        {
            ["model_type"] = "vit",
            ["architectures"] = new JsonArray("ViTForImageClassification"),
            ["image_size"] = c.ImageSize,
            ["patch_size"] = c.Patch,
            ["num_channels"] = c.Channels,
            ["hidden_size"] = c.Dim,
            ["num_hidden_layers"] = c.Layers,
            ["num_attention_heads"] = c.Heads,
            ["intermediate_size"] = c.MlpRatio * c.Dim,
            ["hidden_act"] = "gelu",
            ["layer_norm_eps"] = 1e-5,
            ["num_labels"] = c.Classes,
            ["lineage_config"] = JsonSerializer.SerializeToNode(c),
        };
        HfWeights.Save(folder, model, VitRules(), new Dictionary<string, long[]> { ["vit.embeddings.position_embeddings"] = [1, c.Patches + 1, c.Dim] }, config);
    }

    /// <summary>Loads a ViT model folder.</summary>
    /// <exception cref="InvalidDataException">Bad config or mismatched weights (the tensor is named).</exception>
    public static Vit LoadVit(string folder)
    {
        var model = new Vit(HfWeights.ReadConfig<VitConfig>(folder, "vit"));
        try
        {
            HfWeights.Load(folder, model, VitRules());
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Our Swin names → Hugging Face's.</summary>
    public static IReadOnlyList<NameRule> SwinRules { get; } =
    [
        new(@"^patch_embed\.(weight|bias)$", "swin.embeddings.patch_embeddings.projection.$1"),
        new(@"^embed_norm\.(weight|bias)$", "swin.embeddings.norm.$1"),
        new(@"^stages\.(\d+)\.blocks\.(\d+)\.relative_position_bias_table$", "swin.encoder.layers.$1.blocks.$2.attention.self.relative_position_bias_table"),
        .. SwinBlockRules(),
        new(@"^stages\.(\d+)\.downsample\.reduction\.weight$", "swin.encoder.layers.$1.downsample.reduction.weight"),
        new(@"^stages\.(\d+)\.downsample\.norm\.(weight|bias)$", "swin.encoder.layers.$1.downsample.norm.$2"),
        new(@"^norm\.(weight|bias)$", "swin.layernorm.$1"),
        new(@"^head\.(weight|bias)$", "classifier.$1"),
    ];

    private static IEnumerable<NameRule> SwinBlockRules()
    {
        const string p = @"^stages\.(\d+)\.blocks\.(\d+)\.block\.";
        const string h = "swin.encoder.layers.$1.blocks.$2.";
        yield return new(p + @"attn\.q\.(weight|bias)$", h + "attention.self.query.$3");
        yield return new(p + @"attn\.k\.(weight|bias)$", h + "attention.self.key.$3");
        yield return new(p + @"attn\.v\.(weight|bias)$", h + "attention.self.value.$3");
        yield return new(p + @"attn\.o\.(weight|bias)$", h + "attention.output.dense.$3");
        yield return new(p + @"ln_1\.(weight|bias)$", h + "layernorm_before.$3");
        yield return new(p + @"ln_2\.(weight|bias)$", h + "layernorm_after.$3");
        yield return new(p + @"mlp\.fc_in\.(weight|bias)$", h + "intermediate.dense.$3");
        yield return new(p + @"mlp\.fc_out\.(weight|bias)$", h + "output.dense.$3");
    }

    /// <summary>Writes a Swin model folder.</summary>
    public static void SaveSwin(string folder, Swin model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        var config = new JsonObject
        {
            ["model_type"] = "swin",
            ["architectures"] = new JsonArray("SwinForImageClassification"),
            ["image_size"] = c.ImageSize,
            ["patch_size"] = c.Patch,
            ["num_channels"] = c.Channels,
            ["embed_dim"] = c.Dim,
            ["depths"] = JsonSerializer.SerializeToNode(c.StageDepths),
            ["num_heads"] = JsonSerializer.SerializeToNode(c.StageHeads),
            ["window_size"] = c.Window,
            ["mlp_ratio"] = (double)c.MlpRatio,
            ["hidden_act"] = "gelu",
            ["num_labels"] = c.Classes,
            ["lineage_config"] = JsonSerializer.SerializeToNode(c),
        };
        HfWeights.Save(folder, model, SwinRules, new Dictionary<string, long[]>(), config);
    }

    /// <summary>Loads a Swin model folder.</summary>
    /// <exception cref="InvalidDataException">Bad config or mismatched weights (the tensor is named).</exception>
    public static Swin LoadSwin(string folder)
    {
        var model = new Swin(HfWeights.ReadConfig<SwinConfig>(folder, "swin"));
        try
        {
            HfWeights.Load(folder, model, SwinRules);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
