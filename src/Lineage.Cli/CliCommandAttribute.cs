using System.CommandLine;
using System.Reflection;

namespace Lineage.Cli;

/// <summary>
/// Marks a static class that makes top-level commands: a <c>static Command Create()</c>, or a
/// <c>static IEnumerable&lt;Command&gt; CreateAll()</c> for a family of them. <see cref="CliCommands"/> finds every marked
/// class, so adding a command needs no list edited; <see cref="Order"/> places it in <c>lineage --help</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class CliCommandAttribute(int order) : Attribute
{
    /// <summary>Place in <c>lineage --help</c> (lower first; the lineage's order: tour and data, then the models from one-hot to VLA).</summary>
    public int Order { get; } = order;
}

/// <summary>Finds the top-level commands (<see cref="CliCommandAttribute"/>), as <c>ExperimentRegistry</c> finds experiments.</summary>
internal static class CliCommands
{
    /// <summary>Every top-level command, by <see cref="CliCommandAttribute.Order"/> then class name.</summary>
    /// <exception cref="InvalidOperationException">A marked class has no factory, or two commands share a name.</exception>
    public static IReadOnlyList<Command> Discover()
    {
        const BindingFlags Static = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static;
        var commands = typeof(CliCommands).Assembly.GetTypes()
            .Select(t => (Type: t, Mark: t.GetCustomAttribute<CliCommandAttribute>(inherit: false)))
            .Where(m => m.Mark is not null)
            .OrderBy(m => m.Mark!.Order).ThenBy(m => m.Type.Name, StringComparer.Ordinal)
            .SelectMany(m => m.Type.GetMethod("CreateAll", Static, Type.EmptyTypes) is { } all && typeof(IEnumerable<Command>).IsAssignableFrom(all.ReturnType)
                ? (IEnumerable<Command>)all.Invoke(null, null)!
                : m.Type.GetMethod("Create", Static, Type.EmptyTypes) is { } one && typeof(Command).IsAssignableFrom(one.ReturnType)
                    ? [(Command)one.Invoke(null, null)!]
                    : throw new InvalidOperationException($"{m.Type.Name} is marked [CliCommand] but has no static Create() or CreateAll()."))
            .ToList();
        var duplicate = commands.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null ? commands : throw new InvalidOperationException($"Two commands are named '{duplicate.Key}'.");
    }
}
