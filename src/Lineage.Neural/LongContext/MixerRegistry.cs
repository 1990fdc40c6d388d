// The sequence-mixer registry: every mixer class carries [Mixer("id", Order = …)] (or, for a variant of a class, a
// static factory method does), found by reflection as models, experiments and CLI commands are; so adding a mixer is
// one file, and the CLI's --mixer values, the chapter's tables and plots list it without a list to edit. A mixer is
// built from MixerSettings: its constructor takes (MixerSettings) or (MixerSettings, its own MixerOptions record),
// and the registry hands it the settings' options of that type (or their defaults).
using System.Reflection;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>
/// Marks a sequence mixer for <see cref="MixerRegistry"/>: on a class (built through its public constructor taking
/// <see cref="MixerSettings"/>, optionally followed by its own <see cref="MixerOptions"/> record), or on a public static
/// method of the same shape that returns the mixer (a variant of a class, e.g. full attention through another kernel).
/// </summary>
/// <param name="id">The lower-case id users type (<c>--mixer longformer</c>) and tables, plots and metric names show.</param>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = false)]
public sealed class MixerAttribute(string id) : Attribute
{
    /// <summary>The id.</summary>
    public string Id { get; } = id;

    /// <summary>Position in listings (CLI help, tables, plots), ascending; ties by id.</summary>
    public int Order { get; init; }

    /// <summary>Why the mixer cannot be causal (it then runs bidirectional only and is no language model's mixer); null: it can.</summary>
    public string? NotCausal { get; init; }
}

/// <summary>A registered mixer.</summary>
/// <param name="Id">The id.</param>
/// <param name="Order">Position in listings.</param>
/// <param name="Type">The mixer class.</param>
/// <param name="OptionsType">Its own options record, or null when it takes only the shared settings.</param>
/// <param name="NotCausal">Why it cannot be causal, or null.</param>
/// <param name="Factory">Builds it from settings and its options.</param>
public sealed record RegisteredMixer(string Id, int Order, Type Type, Type? OptionsType, string? NotCausal, Func<MixerSettings, MixerOptions?, nn.Module<Tensor, Tensor>> Factory)
{
    /// <summary>Whether it can run causally (a language model's mixer).</summary>
    public bool CanBeCausal => NotCausal is null;

    /// <summary>A new mixer with <paramref name="settings"/> and, from them, its options (or their defaults).</summary>
    public nn.Module<Tensor, Tensor> Create(MixerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Factory(settings, OptionsType is null ? null : settings.Get(OptionsType));
    }
}

/// <summary>Every sequence mixer in Lineage.Neural marked <see cref="MixerAttribute"/>, in listing order.</summary>
public static class MixerRegistry
{
    private static readonly Lazy<IReadOnlyList<RegisteredMixer>> Mixers = new(Discover);

    /// <summary>The registered mixers, by <see cref="MixerAttribute.Order"/>.</summary>
    public static IReadOnlyList<RegisteredMixer> All => Mixers.Value;

    /// <summary>Their ids, in the same order.</summary>
    public static IReadOnlyList<string> Ids => [.. All.Select(m => m.Id)];

    /// <summary>The mixer named <paramref name="name"/> (any case, surrounding spaces ignored).</summary>
    /// <exception cref="ArgumentException">Not a known mixer; the message lists the known ones.</exception>
    public static RegisteredMixer Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(m => string.Equals(m.Id, name.Trim(), StringComparison.OrdinalIgnoreCase))
               ?? throw new ArgumentException($"Unknown mixer '{name}'; known: {string.Join(", ", Ids)}.");
    }

    /// <summary>A new mixer <paramref name="id"/> with <paramref name="settings"/>.</summary>
    /// <exception cref="ArgumentException">Not a known mixer, or settings it refuses.</exception>
    public static nn.Module<Tensor, Tensor> Create(string id, MixerSettings settings) => Get(id).Create(settings);

    /// <summary>The options records of the registered mixers.</summary>
    public static IReadOnlyList<Type> OptionTypes() => [.. All.Select(m => m.OptionsType).OfType<Type>().Distinct()];

    /// <summary>Each options record's static <c>Tiny</c> (its defaults where it has none), for <see cref="MixerSettings.Tiny"/>.</summary>
    public static IReadOnlyList<MixerOptions> TinyOptions() =>
        [.. OptionTypes().Select(t => t.GetProperty("Tiny", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as MixerOptions
                                      ?? (MixerOptions)Activator.CreateInstance(t)!)];

    private static IReadOnlyList<RegisteredMixer> Discover()
    {
        var found = new List<RegisteredMixer>();
        foreach (var type in typeof(MixerRegistry).Assembly.GetTypes())
        {
            if (type.GetCustomAttribute<MixerAttribute>() is { } a)
            {
                var ctor = type.GetConstructors().FirstOrDefault(c => Fits(c.GetParameters()))
                           ?? throw new InvalidOperationException($"{type.Name} is marked [Mixer(\"{a.Id}\")] but has no public constructor (MixerSettings) or (MixerSettings, its options).");
                found.Add(Entry(a, type, ctor.GetParameters(), args => ctor.Invoke(BindingFlags.DoNotWrapExceptions, null, args, null)));
            }

            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Static))
            {
                if (method.GetCustomAttribute<MixerAttribute>() is not { } m) continue;
                if (!Fits(method.GetParameters()) || !typeof(nn.Module<Tensor, Tensor>).IsAssignableFrom(method.ReturnType))
                    throw new InvalidOperationException($"{type.Name}.{method.Name} is marked [Mixer(\"{m.Id}\")] but does not take (MixerSettings[, options]) and return a mixer.");
                found.Add(Entry(m, method.ReturnType, method.GetParameters(), args => method.Invoke(null, BindingFlags.DoNotWrapExceptions, null, args, null)));
            }
        }

        var duplicate = found.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Two mixers share the id '{duplicate.Key}'.");
        return [.. found.OrderBy(m => m.Order).ThenBy(m => m.Id, StringComparer.Ordinal)];
    }

    private static bool Fits(ParameterInfo[] p) =>
        p.Length >= 1 && p[0].ParameterType == typeof(MixerSettings)
        && (p.Length == 1 || (p.Length == 2 && typeof(MixerOptions).IsAssignableFrom(p[1].ParameterType) && !p[1].ParameterType.IsAbstract));

    private static RegisteredMixer Entry(MixerAttribute a, Type type, ParameterInfo[] parameters, Func<object?[], object?> invoke)
    {
        var optionsType = parameters.Length == 2 ? parameters[1].ParameterType : null;
        return new RegisteredMixer(a.Id, a.Order, type, optionsType, a.NotCausal,
            (settings, options) => (nn.Module<Tensor, Tensor>)invoke(optionsType is null ? [settings] : [settings, options])!);
    }
}
