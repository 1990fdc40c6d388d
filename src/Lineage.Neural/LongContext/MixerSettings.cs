// The settings of a sequence mixer: what every mixer takes (MixerSettings: width, heads, causal, seed) and, carried
// beside them, each mixer's own small options record (LongformerConfig, ReformerConfig, ...: a MixerOptions declared in
// the mixer's own file). One MixerSettings can carry the options of several mixers, so an experiment or a command that
// builds "the same model with each mixer in turn" says its sizes once; a mixer whose options are absent gets its defaults.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lineage.Neural.LongContext;

/// <summary>A mixer's own options (declared in the mixer's file, e.g. <see cref="LongformerConfig"/>): a record with a parameterless constructor and defaults.</summary>
/// <remarks>A public static <c>Tiny</c> property of the record's own type, where present, gives the sizes of <see cref="MixerSettings.Tiny"/>.</remarks>
public abstract record MixerOptions
{
    /// <summary>Throws naming the bad field; the base has no fields.</summary>
    public virtual void Validate()
    {
    }
}

/// <summary>Settings every mixer takes, and the options of any number of mixers.</summary>
/// <param name="Dim">Model width C.</param>
/// <param name="Heads">Attention heads H (attention mixers), C divisible by H.</param>
/// <param name="Causal">Token t sees only tokens ≤ t.</param>
/// <param name="Seed">Seeds the fixed random choices (BigBird's random blocks, Reformer's rotations).</param>
public sealed record MixerSettings(int Dim, int Heads = 4, bool Causal = true, int Seed = 1)
{
    /// <summary>The mixers' own options, at most one per type (see <see cref="With"/>); a mixer whose type is absent uses its defaults.</summary>
    [JsonConverter(typeof(MixerOptionsJson))]
    public IReadOnlyList<MixerOptions> Options { get; init; } = [];

    /// <summary>These settings with <paramref name="options"/> added, each replacing any options of the same type.</summary>
    public MixerSettings With(params MixerOptions[] options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var types = options.Select(o => o.GetType()).ToHashSet();
        return this with { Options = [.. Options.Where(o => !types.Contains(o.GetType())), .. options] };
    }

    /// <summary>The options of type <typeparamref name="T"/>, or its defaults.</summary>
    public T Get<T>() where T : MixerOptions, new() => Options.OfType<T>().LastOrDefault() ?? new T();

    /// <summary>The options of <paramref name="type"/> (a <see cref="MixerOptions"/>), or its defaults.</summary>
    public MixerOptions Get(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Options.LastOrDefault(o => o.GetType() == type) ?? (MixerOptions)Activator.CreateInstance(type)!;
    }

    /// <summary>Small enough for unit tests: C = 16, 2 heads, and every registered mixer's tiny options.</summary>
    public static MixerSettings Tiny(bool causal = true) => new MixerSettings(Dim: 16, Heads: 2, Causal: causal).With([.. MixerRegistry.TinyOptions()]);

    /// <summary>Returns these settings, or throws naming the bad field (the options are checked by their mixers).</summary>
    public MixerSettings Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Dim, 1, nameof(Dim));
        ArgumentOutOfRangeException.ThrowIfLessThan(Heads, 1, nameof(Heads));
        if (Dim % Heads != 0) throw new ArgumentException($"Dim ({Dim}) must be divisible by Heads ({Heads}).", nameof(Heads));
        return this;
    }
}

/// <summary>
/// Writes the options as one object keyed by record type name, each with its own fields (a list of the abstract base
/// would write empty objects), and reads them back through the registered mixers' option types; so settings written
/// into a checkpoint or a model-cache key differ whenever a mixer's options do.
/// </summary>
internal sealed class MixerOptionsJson : JsonConverter<IReadOnlyList<MixerOptions>>
{
    public override IReadOnlyList<MixerOptions> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("Mixer options must be an object keyed by options type.");
        var list = new List<MixerOptions>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string name = reader.GetString() ?? "";
            var type = MixerRegistry.OptionTypes().FirstOrDefault(t => t.Name == name)
                       ?? throw new JsonException($"Unknown mixer options '{name}'; known: {string.Join(", ", MixerRegistry.OptionTypes().Select(t => t.Name))}.");
            reader.Read();
            list.Add((MixerOptions)(JsonSerializer.Deserialize(ref reader, type, options) ?? throw new JsonException($"Mixer options '{name}' are null.")));
        }

        return list;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<MixerOptions> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var item in value)
        {
            writer.WritePropertyName(item.GetType().Name);
            JsonSerializer.Serialize(writer, item, item.GetType(), options);
        }

        writer.WriteEndObject();
    }
}
