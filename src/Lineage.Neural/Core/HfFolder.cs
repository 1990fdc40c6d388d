using System.Text.Json;
using System.Text.Json.Nodes;
using Lineage.Text.IO;
using static TorchSharp.torch;

namespace Lineage.Neural.Core;

/// <summary>
/// The pieces every Hugging Face model folder shares (config.json next to model.safetensors): reading and writing the
/// config, copying a named tensor into a parameter with a shape check, and refusing tensors nothing uses. Errors name
/// the file and the tensor.
/// </summary>
public static class HfFolder
{
    /// <summary>The config file's name.</summary>
    public const string ConfigName = "config.json";

    /// <summary>The weights file's name.</summary>
    public const string WeightsName = "model.safetensors";

    /// <summary>Writes config.json atomically, indented.</summary>
    public static void WriteConfig(string folder, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigName), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads config.json and checks its <c>model_type</c>.</summary>
    /// <exception cref="InvalidDataException">Not JSON, empty, or another architecture (named).</exception>
    public static JsonNode ReadConfig(string folder, string loads, params string[] modelTypes)
    {
        ArgumentNullException.ThrowIfNull(modelTypes);
        var path = Path.Combine(folder, ConfigName);
        JsonNode config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }

        var type = (string?)config["model_type"];
        if (!modelTypes.Contains(type)) throw new InvalidDataException($"{path}: a checkpoint of another architecture ('{type}'); this loads {loads}.");
        return config;
    }

    /// <summary>An integer of the config that must be there.</summary>
    /// <exception cref="InvalidDataException">The key is missing.</exception>
    public static int Required(JsonNode config, string key, string folder) =>
        (int?)(config ?? throw new ArgumentNullException(nameof(config)))[key] ?? throw new InvalidDataException($"{Path.Combine(folder, ConfigName)}: '{key}' is missing.");

    /// <summary>Copies <paramref name="value"/> (the file's tensor <paramref name="name"/>) into <paramref name="target"/>.</summary>
    /// <exception cref="InvalidDataException">The shapes differ; the message names the tensor and both shapes.</exception>
    public static void Set(Tensor target, Tensor value, string name, string weightsPath)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(value);
        if (!target.shape.SequenceEqual(value.shape))
            throw new InvalidDataException($"{weightsPath}: tensor '{name}' has shape ({string.Join(", ", value.shape)}); this model needs ({string.Join(", ", target.shape)}).");
        target.copy_(value);
    }

    /// <summary>Throws when the file holds a tensor that was not used and is not <paramref name="ignorable"/>.</summary>
    /// <exception cref="InvalidDataException">Names the first unexpected tensor and counts the others.</exception>
    public static void RejectUnexpected(IEnumerable<string> names, IReadOnlySet<string> used, Func<string, bool> ignorable, string weightsPath)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(used);
        ArgumentNullException.ThrowIfNull(ignorable);
        var unexpected = names.Where(k => !used.Contains(k) && !ignorable(k)).ToList();
        if (unexpected.Count > 0) throw new InvalidDataException($"{weightsPath}: unexpected tensor '{unexpected[0]}'{(unexpected.Count > 1 ? $" and {unexpected.Count - 1} more" : "")}.");
    }
}
