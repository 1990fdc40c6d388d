// The one engine for model folders in the Hugging Face layout: config.json beside model.safetensors, with the parameter
// names Hugging Face's classes use. Each model declares its names beside itself (an HfLayout: ordered rename rules,
// with an optional change of layout per tensor), and Save and Load both read that one declaration, so a name cannot be
// mapped one way on save and another on load. Every tensor is checked on load: present (or declared optional), of the
// right shape, finite, and nothing in the file left unused unless the layout says it carries nothing.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lineage.Text.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Core;

/// <summary>
/// How one of our tensors is stored in the file when its shape or rows differ from ours (same values otherwise):
/// <see cref="Reshaped"/> or <see cref="LeadingRows"/>.
/// </summary>
public abstract record TensorLayout
{
    /// <summary>Our tensor as the file stores it.</summary>
    public abstract Tensor ToFile(Tensor ours);

    /// <summary>The file's tensor in our shape, or null when it cannot be (the caller reports both shapes).</summary>
    public abstract Tensor? FromFile(Tensor stored, long[] ours);
}

/// <summary>The file stores the tensor with another shape of the same elements (ViT's (1, T, C) position table).</summary>
/// <param name="Shape">The file's shape.</param>
public sealed record Reshaped(long[] Shape) : TensorLayout
{
    /// <inheritdoc />
    public override Tensor ToFile(Tensor ours) => (ours ?? throw new ArgumentNullException(nameof(ours))).reshape(Shape);

    /// <inheritdoc />
    public override Tensor? FromFile(Tensor stored, long[] ours)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(ours);
        return stored.numel() == ours.Aggregate(1L, (a, b) => a * b) ? stored.reshape(ours) : null;
    }
}

/// <summary>The file's table has <paramref name="Rows"/> extra leading rows that are never used (RoBERTa's position table
/// starts at padding_idx + 1); they are written as zeros and skipped on load.</summary>
/// <param name="Rows">Leading rows.</param>
public sealed record LeadingRows(int Rows) : TensorLayout
{
    /// <inheritdoc />
    public override Tensor ToFile(Tensor ours)
    {
        ArgumentNullException.ThrowIfNull(ours);
        return cat([zeros([Rows, .. ours.shape[1..]], ours.dtype), ours], 0);
    }

    /// <inheritdoc />
    public override Tensor? FromFile(Tensor stored, long[] ours)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return stored.dim() >= 1 && stored.shape[0] >= Rows ? stored[Rows..] : null;
    }
}

/// <summary>One renaming rule: a regex over our parameter name and the file's name it becomes.</summary>
/// <param name="Pattern">Regex over our name (anchor it with ^ and $).</param>
/// <param name="Replacement">The file's name, with $1… groups; null: the parameter is not part of this layout (it is neither saved nor loaded).</param>
/// <param name="Layout">How the file stores the tensor when its shape differs from ours; null: as it is.</param>
public sealed record NameRule(string Pattern, string? Replacement, TensorLayout? Layout = null);

/// <summary>A model's Hugging Face names: ordered rules (the first that matches wins) and what the file may hold besides.</summary>
/// <param name="Rules">Our name → the file's.</param>
public sealed record HfLayout(IReadOnlyList<NameRule> Rules)
{
    /// <summary>File tensors that carry nothing to load (buffers such as position_ids, copies of a tied embedding).</summary>
    public Func<string, bool> Ignored { get; init; } = _ => false;

    /// <summary>File names that may be missing: those parameters keep their initial values (pre-training heads a bare encoder lacks).</summary>
    public Func<string, bool> Optional { get; init; } = _ => false;

    /// <summary>A prefix that older checkpoints leave out (GPT-2's <c>transformer.</c>): a name not found is looked up without it.</summary>
    public string? DroppablePrefix { get; init; }

    /// <summary>Our own names, unchanged (models with no Hugging Face counterpart).</summary>
    public static HfLayout Identity { get; } = new([new(@"^(.+)$", "$1")]);

    /// <summary>The rules of a shared pre-norm transformer block (<c>ln_1, attn.{q,k,v,o}, ln_2, mlp.{fc_in,fc_out}</c>) under
    /// <paramref name="ours"/>.{i}, renamed into <paramref name="theirs"/> (with $1 the block index) and the given sub-names.</summary>
    public static IEnumerable<NameRule> BlockRules(string ours, string theirs, string q, string k, string v, string o, string ln1, string ln2, string fc1, string fc2)
    {
        string p = "^" + Regex.Escape(ours) + @"\.(\d+)\.";
        foreach (var (mine, hf) in new[] { ("attn\\.q", q), ("attn\\.k", k), ("attn\\.v", v), ("attn\\.o", o), ("ln_1", ln1), ("ln_2", ln2), ("mlp\\.fc_in", fc1), ("mlp\\.fc_out", fc2) })
        {
            yield return new(p + mine + @"\.(weight|bias)$", theirs + hf + ".$2");
        }
    }
}

/// <summary>Reads and writes Hugging Face model folders under an <see cref="HfLayout"/>. Errors name the file and the tensor.</summary>
public static class HfCheckpoint
{
    /// <summary>The config file's name.</summary>
    public const string ConfigName = "config.json";

    /// <summary>The weights file's name.</summary>
    public const string WeightsName = "model.safetensors";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Our parameters by name (a module's, or several modules' under prefixes).</summary>
    public static IReadOnlyList<(string Name, Parameter Parameter)> Parameters(nn.Module module) =>
        [.. (module ?? throw new ArgumentNullException(nameof(module))).named_parameters().Select(p => (p.name, p.parameter))];

    /// <summary>The file's name and layout of each of our parameters that the layout stores.</summary>
    /// <exception cref="InvalidOperationException">A parameter no rule matches (a bug in the rules).</exception>
    public static Dictionary<string, (string Name, TensorLayout? Layout)> Names(IEnumerable<(string Name, Parameter Parameter)> parameters, HfLayout layout)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(layout);
        var map = new Dictionary<string, (string, TensorLayout?)>(StringComparer.Ordinal);
        foreach (var (name, _) in parameters)
        {
            var rule = layout.Rules.FirstOrDefault(r => Regex.IsMatch(name, r.Pattern))
                ?? throw new InvalidOperationException($"No Hugging Face name for parameter '{name}'.");
            if (rule.Replacement is null) continue;
            map[name] = (Regex.Replace(name, rule.Pattern, rule.Replacement), rule.Layout);
        }

        return map;
    }

    /// <summary>Writes <paramref name="config"/> as config.json and the parameters as model.safetensors (each file atomically).</summary>
    /// <param name="folder">Created if needed.</param>
    /// <param name="module">The model.</param>
    /// <param name="layout">Its names.</param>
    /// <param name="config">config.json's content.</param>
    public static void Save(string folder, nn.Module module, HfLayout layout, JsonObject config) => Save(folder, Parameters(module), layout, config);

    /// <summary>As <see cref="Save(string, nn.Module, HfLayout, JsonObject)"/>, for parameters gathered from several modules.</summary>
    public static void Save(string folder, IReadOnlyList<(string Name, Parameter Parameter)> parameters, HfLayout layout, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(config);
        var names = Names(parameters, layout);
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in parameters)
        {
            if (!names.TryGetValue(name, out var hf)) continue;
            if (!tensors.TryAdd(hf.Name, hf.Layout?.ToFile(p) ?? p)) throw new InvalidOperationException($"Two parameters map to '{hf.Name}' (a bug in the rules).");
        }

        WriteConfig(folder, config);
        Safetensors.Save(Path.Combine(folder, WeightsName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Copies the tensors of <paramref name="folder"/>/model.safetensors into <paramref name="module"/>'s parameters.</summary>
    /// <exception cref="InvalidDataException">A missing, unexpected, misshapen or non-finite tensor (the message names it and the file).</exception>
    public static void Load(string folder, nn.Module module, HfLayout layout) => Load(folder, Parameters(module), layout);

    /// <summary>As <see cref="Load(string, nn.Module, HfLayout)"/>, for parameters gathered from several modules.</summary>
    public static void Load(string folder, IReadOnlyList<(string Name, Parameter Parameter)> parameters, HfLayout layout)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(layout);
        var path = Path.Combine(folder, WeightsName);
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: missing (a model folder holds {ConfigName} and {WeightsName}).");
        var names = Names(parameters, layout);
        var file = Safetensors.Load(path);
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, p) in parameters)
            {
                if (!names.TryGetValue(name, out var hf)) continue;
                var key = Find(file, hf.Name, layout.DroppablePrefix);
                if (key is null)
                {
                    if (layout.Optional(hf.Name)) continue;
                    throw new InvalidDataException($"{path}: tensor '{hf.Name}' is missing.");
                }

                used.Add(key);
                var stored = file[key];
                var value = hf.Layout is null ? stored : hf.Layout.FromFile(stored, p.shape);
                if (value is null || !value.shape.SequenceEqual(p.shape))
                    throw new InvalidDataException($"{path}: tensor '{hf.Name}' has shape ({string.Join(", ", stored.shape)}); this model needs ({string.Join(", ", p.shape)}).");
                if (!isfinite(value).all().item<bool>()) throw new InvalidDataException($"{path}: tensor '{hf.Name}' holds NaN or infinite values.");
                p.copy_(value);
            }

            var unexpected = file.Keys.Where(k => !used.Contains(k) && !layout.Ignored(k)).Order(StringComparer.Ordinal).ToList();
            if (unexpected.Count > 0)
                throw new InvalidDataException($"{path}: unexpected tensor '{unexpected[0]}'{(unexpected.Count > 1 ? $" (and {unexpected.Count - 1} more)" : "")}; the weights belong to another architecture or size.");
        }
        finally
        {
            foreach (var t in file.Values) t.Dispose();
        }
    }

    private static string? Find(Dictionary<string, Tensor> file, string name, string? droppable)
    {
        if (file.ContainsKey(name)) return name;
        return droppable is not null && name.StartsWith(droppable, StringComparison.Ordinal) && file.ContainsKey(name[droppable.Length..]) ? name[droppable.Length..] : null;
    }

    /// <summary>Writes config.json atomically, indented.</summary>
    public static void WriteConfig(string folder, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigName), config.ToJsonString(Indented));
    }

    /// <summary>Reads config.json and checks its <c>model_type</c>.</summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="loads">What the caller loads, for the message ("GPT-2-layout models").</param>
    /// <param name="modelTypes">The model types it accepts.</param>
    /// <exception cref="InvalidDataException">Missing, not a JSON object, or another architecture (named).</exception>
    public static JsonObject ReadConfig(string folder, string loads, params string[] modelTypes)
    {
        ArgumentNullException.ThrowIfNull(modelTypes);
        var path = Path.Combine(folder, ConfigName);
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: missing (a model folder holds {ConfigName} and {WeightsName}).");
        JsonObject config;
        try
        {
            // Duplicate keys are refused at parse time (JsonObject would otherwise throw ArgumentException on first access).
            config = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                ?? throw new InvalidDataException($"{path}: not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }

        var type = config["model_type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (!modelTypes.Contains(type)) throw new InvalidDataException($"{path}: a checkpoint of another architecture ('{type}'); this loads {loads}.");
        return config;
    }

    /// <summary>A size of the config that must be there: a positive integer.</summary>
    /// <exception cref="InvalidDataException">The key is missing, not an integer (<c>"1"</c>, <c>1.5</c>, <c>1e10</c>), or not positive.</exception>
    public static int Required(JsonObject config, string key, string folder)
    {
        ArgumentNullException.ThrowIfNull(config);
        var path = Path.Combine(folder, ConfigName);
        if (config[key] is not JsonValue value) throw new InvalidDataException($"{path}: '{key}' is missing.");
        if (!value.TryGetValue<int>(out var n) && !(value.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out n)))
            throw new InvalidDataException($"{path}: '{key}' is {Clip(value.ToJsonString())}, not an integer.");
        if (n < 1) throw new InvalidDataException($"{path}: '{key}' is {n}; a size must be at least 1.");
        return n;
    }

    /// <summary>An optional value of the config: <paramref name="fallback"/> when the key is absent or null.</summary>
    /// <typeparam name="T">int, double, bool or string.</typeparam>
    /// <exception cref="InvalidDataException">The key holds a value of another JSON type (named).</exception>
    public static T Optional<T>(JsonObject config, string key, string folder, T fallback)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config[key] is null) return fallback;
        if (config[key] is JsonValue value)
        {
            if (value.TryGetValue<T>(out var direct)) return direct;
            if (value.TryGetValue<JsonElement>(out var e))
            {
                object? read = typeof(T) == typeof(int) ? (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var i) ? i : null)
                    : typeof(T) == typeof(double) ? (e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var d) ? d : null)
                    : typeof(T) == typeof(bool) ? (e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : null)
                    : typeof(T) == typeof(string) ? (e.ValueKind == JsonValueKind.String ? e.GetString() : null)
                    : null;
                if (read is T typed) return typed;
            }
        }

        var kind = typeof(T) == typeof(int) ? "an integer" : typeof(T) == typeof(double) ? "a number" : typeof(T) == typeof(bool) ? "true or false" : "a string";
        throw new InvalidDataException($"{Path.Combine(folder, ConfigName)}: '{key}' is {Clip(config[key]!.ToJsonString())}, not {kind}.");
    }

    /// <summary>
    /// Checks, from the weights file's header alone, that tensors the config implies are there with the shapes it implies,
    /// before a model is built from the config: a config.json that declares a vocabulary or a depth its weights do not
    /// have is refused before gigabytes are allocated for it. Names are the file's (the layout's droppable prefix may be
    /// left out in the file, as on load).
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor missing or of another shape (named), or a bad weights file.</exception>
    public static void Preflight(string folder, HfLayout layout, params (string Name, long[] Shape)[] expected)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(expected);
        var path = Path.Combine(folder, WeightsName);
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: missing (a model folder holds {ConfigName} and {WeightsName}).");
        var shapes = Safetensors.Shapes(path);
        foreach (var (name, shape) in expected)
        {
            var stored = shapes.GetValueOrDefault(name)
                ?? (layout.DroppablePrefix is { } prefix && name.StartsWith(prefix, StringComparison.Ordinal) ? shapes.GetValueOrDefault(name[prefix.Length..]) : null);
            if (stored is null)
                throw new InvalidDataException($"{path}: tensor '{name}' is missing, though {ConfigName} implies it: the config and the weights disagree.");
            if (!stored.SequenceEqual(shape))
                throw new InvalidDataException($"{path}: tensor '{name}' has shape ({string.Join(", ", stored)}); {ConfigName} implies ({string.Join(", ", shape)}).");
        }
    }

    private static string Clip(string s) => s.Length <= 60 ? s : s[..60] + "…";

    /// <summary>The library's own config stored under <c>lineage_config</c> (models with no Hugging Face config of their own).</summary>
    /// <exception cref="InvalidDataException">Missing, not JSON, another model type (named), or no lineage_config.</exception>
    public static T LineageConfig<T>(string folder, string modelType) =>
        LineageConfig<T>(ReadConfig(folder, $"'{modelType}' folders", modelType), folder);

    /// <summary>The library's own config (<c>lineage_config</c>) of a config.json already read by <see cref="ReadConfig"/>.</summary>
    /// <exception cref="InvalidDataException">No lineage_config, or one that does not fit <typeparamref name="T"/>.</exception>
    public static T LineageConfig<T>(JsonObject config, string folder)
    {
        ArgumentNullException.ThrowIfNull(config);
        var path = Path.Combine(folder, ConfigName);
        try
        {
            var stored = config["lineage_config"] ?? throw new InvalidDataException($"{path}: no 'lineage_config' (written by another library?).");
            return stored.Deserialize<T>() ?? throw new InvalidDataException($"{path}: 'lineage_config' is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Loads the folder's weights into <paramref name="model"/> (just built from the folder's config) and returns it; disposes it if the weights do not fit.</summary>
    public static TModel Build<TModel>(string folder, TModel model, HfLayout layout) where TModel : nn.Module
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            Load(folder, model, layout);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A label table for config.json (<c>id2label</c>, <c>label2id</c>).</summary>
    public static (JsonObject Id2Label, JsonObject Label2Id) Labels(IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < labels.Count; i++)
        {
            id2label[i.ToString(CultureInfo.InvariantCulture)] = labels[i];
            label2id[labels[i]] = i;
        }

        return (id2label, label2id);
    }
}
