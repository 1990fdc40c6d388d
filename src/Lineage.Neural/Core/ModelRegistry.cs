// The model registry: every model class carries [Model("id")] and a static Conformance() that builds a tiny seeded
// instance with a fixed example, found by reflection (as experiments are), so adding a model edits no list and one test
// theory checks every model alike: its gradients against finite differences, a save → load round trip bit for bit, no
// tensor left alive after a dispose scope, and the same numbers from the same seed.
using System.Reflection;
using static TorchSharp.torch;

namespace Lineage.Neural.Core;

/// <summary>Marks a model class for the registry; the class must also have <c>public static ModelSample Conformance()</c>.</summary>
/// <param name="id">Short id (lower case), e.g. "gpt".</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ModelAttribute(string id) : Attribute
{
    /// <summary>Short id.</summary>
    public string Id { get; } = id;

    /// <summary>The paper it implements (author, year), for the registry's listing.</summary>
    public string Paper { get; init; } = "";
}

/// <summary>
/// A tiny, seeded instance of a registered model and what the conformance tests need to run it.
/// </summary>
/// <param name="Model">The model, freshly built from a fixed seed.</param>
/// <param name="Output">Its output on a fixed example (the example is built once, inside the sample): a tensor of any shape whose every element depends on the model.</param>
/// <param name="Save">Writes the model into a folder; null: its parameters under our own names (<see cref="HfLayout.Identity"/>).</param>
/// <param name="Load">Reads such a folder into a new model; null: a new sample's model, loaded under our own names.</param>
public sealed record ModelSample(nn.Module Model, Func<nn.Module, Tensor> Output, Action<nn.Module, string>? Save = null, Func<string, nn.Module>? Load = null);

/// <summary>A registered model: its id, paper, class and sample factory.</summary>
/// <param name="Id">Short id.</param>
/// <param name="Paper">The paper.</param>
/// <param name="Type">The model class.</param>
/// <param name="Sample">Builds a fresh <see cref="ModelSample"/>.</param>
public sealed record RegisteredModel(string Id, string Paper, Type Type, Func<ModelSample> Sample);

/// <summary>Every model class in Lineage.Neural marked <see cref="ModelAttribute"/>.</summary>
public static class ModelRegistry
{
    private static readonly Lazy<IReadOnlyList<RegisteredModel>> Models = new(Discover);

    /// <summary>The registered models, by id.</summary>
    public static IReadOnlyList<RegisteredModel> All => Models.Value;

    /// <summary>The model with this id.</summary>
    /// <exception cref="ArgumentException">No such model; the message lists the known ids.</exception>
    public static RegisteredModel Get(string id) =>
        All.FirstOrDefault(m => m.Id == id) ?? throw new ArgumentException($"No model '{id}'; known: {string.Join(", ", All.Select(m => m.Id))}.", nameof(id));

    private static IReadOnlyList<RegisteredModel> Discover()
    {
        var found = new List<RegisteredModel>();
        foreach (var type in typeof(ModelRegistry).Assembly.GetTypes())
        {
            if (type.GetCustomAttribute<ModelAttribute>() is not { } a) continue;
            var factory = type.GetMethod("Conformance", BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes);
            if (factory is null || factory.ReturnType != typeof(ModelSample))
                throw new InvalidOperationException($"{type.Name} is marked [Model(\"{a.Id}\")] but has no public static ModelSample Conformance().");
            found.Add(new RegisteredModel(a.Id, a.Paper, type, () => (ModelSample)factory.Invoke(null, null)!));
        }

        var duplicate = found.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Two models share the id '{duplicate.Key}'.");
        return [.. found.OrderBy(m => m.Id, StringComparer.Ordinal)];
    }
}
