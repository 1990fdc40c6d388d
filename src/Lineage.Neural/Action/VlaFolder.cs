// VLA model folders: config.json (the VLA's config and the table's), model.safetensors (the towers under Hugging Face
// CLIP names, the rest under our names: projector.*, text_projector.*, embed_tokens.*, layers.*, norm.*), vocab.json
// (the text tower's words), answers.json (the one-token answers) and, for a grounding VLA, objects.json (the object names
// and categories its CLIP was pretrained on).
using System.Text.Json;
using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using Lineage.Neural.Multimodal;
using Lineage.Robotics.Sim;
using Lineage.Text.IO;

namespace Lineage.Neural.Action;

/// <summary>Saves and loads <see cref="VlaPolicy"/> model folders.</summary>
public static class VlaFolder
{
    /// <summary>The model type written to config.json.</summary>
    public const string ModelType = "lineage-vla";

    /// <summary>Our names → the folder's: CLIP's for the towers, ours for the rest.</summary>
    public static HfLayout Layout(VlaConfig config) => new([.. ModelFolders.Rules((config ?? throw new ArgumentNullException(nameof(config))).Encoders), new(@"^(.*)$", "$1")]);

    private sealed record Stored(VlaConfig Vla, TabletopConfig Table);

    /// <summary>Writes the policy into <paramref name="folder"/> (each file atomically).</summary>
    public static void Save(string folder, VlaPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(policy);
        var c = policy.Model.Config;
        var config = new JsonObject
        {
            ["model_type"] = ModelType,
            ["architectures"] = new JsonArray("VisionLanguageActionModel"),
            ["n_action_bins"] = ActionTokenizer.Bins,
            ["action_dims"] = c.ActionDims,
            ["action_head"] = c.Head.ToString(),
            ["image_size"] = c.Encoders.Vision.ImageSize,
            ["lineage_config"] = JsonSerializer.SerializeToNode(new Stored(c, policy.Table)),
        };
        HfCheckpoint.Save(folder, policy.Model, Layout(c), config);
        policy.Text.Save(Path.Combine(folder, "vocab.json"));
        AtomicFile.WriteAllText(Path.Combine(folder, "answers.json"), JsonSerializer.Serialize(policy.Answers));
        var objects = Path.Combine(folder, "objects.json");
        if (c.Grounding) AtomicFile.WriteAllText(objects, JsonSerializer.Serialize(policy.Objects));
        else File.Delete(objects);                                  // a stale list from an earlier grounding model
    }

    /// <summary>Loads a folder written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">A missing file, another model type, or weights that do not match the config (the tensor is named).</exception>
    public static VlaPolicy Load(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var stored = HfCheckpoint.LineageConfig<Stored>(folder, ModelType);
        if (stored.Vla is null || stored.Table is null) throw new InvalidDataException($"{Path.Combine(folder, "config.json")}: lineage_config lacks the VLA or table settings.");
        var vocab = Path.Combine(folder, "vocab.json");
        if (!File.Exists(vocab)) throw new InvalidDataException($"{vocab}: missing.");
        var text = CaptionTokenizer.Load(vocab);
        if (text.VocabSize != stored.Vla.Encoders.Text.VocabSize) throw new InvalidDataException($"{vocab}: {text.VocabSize} tokens, but the config's text tower has {stored.Vla.Encoders.Text.VocabSize}.");
        var answersPath = Path.Combine(folder, "answers.json");
        var answers = ReadList<string>(answersPath);

        var objects = stored.Vla.Grounding ? ReadList<ObjectName>(Path.Combine(folder, "objects.json")) : null;
        if (objects is { Count: 0 }) throw new InvalidDataException($"{Path.Combine(folder, "objects.json")}: no objects, but the model grounds its instructions.");
        var model = new Vla(stored.Vla);
        try
        {
            HfCheckpoint.Load(folder, model, Layout(stored.Vla));
            return new VlaPolicy(model, text, stored.Table, answers, objects);
        }
        catch (ArgumentException e)
        {
            model.Dispose();
            throw new InvalidDataException($"{folder}: {e.Message}", e);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A JSON list, or a clear error naming the file.</summary>
    private static List<T> ReadList<T>(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: missing.");
        try
        {
            var list = JsonSerializer.Deserialize<List<T>>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty.");
            if (list.Any(x => x is null)) throw new InvalidDataException($"{path}: a null entry.");
            return list;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
