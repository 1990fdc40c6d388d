namespace Lineage.Robotics.Sim;

/// <summary>
/// Reads a typed instruction into a <see cref="TableTask"/> for the simulator's success check (the policy reads only the
/// text): the kind from its words ("next to"/"beside" → place, "push"/"leftmost" → push right, a corner's name → move,
/// otherwise pick up), the objects from the names on the table it mentions, in the order it mentions them.
/// </summary>
public static class TaskParser
{
    /// <summary>The task the text asks for; <see cref="TableTask.Target"/> is −1 when it names nothing on the table.</summary>
    public static TableTask Parse(string text, IReadOnlyList<TableObject> objects)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(objects);
        string t = " " + text.ToLowerInvariant().Trim() + " ";
        // Longest names first, so "red apple" is found before a shorter name inside it.
        var mentioned = objects
            .Select(o => (o.Id, At: t.IndexOf(" " + o.Sprite.Name.ToLowerInvariant() + " ", StringComparison.Ordinal), Length: o.Sprite.Name.Length))
            .Where(m => m.At >= 0).OrderBy(m => m.At).ThenByDescending(m => m.Length).Select(m => m.Id).Distinct().ToList();
        if (t.Contains(" push ", StringComparison.Ordinal) || t.Contains(" leftmost ", StringComparison.Ordinal))
        {
            var category = objects.Select(o => o.Sprite.Category).Distinct().FirstOrDefault(c => t.Contains(" " + c.ToLowerInvariant() + " ", StringComparison.Ordinal));
            int target = category is null ? -1 : objects.Where(o => o.Sprite.Category == category).MinBy(o => o.X)!.Id;
            return new TableTask(TaskKind.PushRight, text, target);
        }

        int first = mentioned.Count > 0 ? mentioned[0] : -1;
        if (t.Contains(" next to ", StringComparison.Ordinal) || t.Contains(" beside ", StringComparison.Ordinal))
            return new TableTask(TaskKind.PlaceNextTo, text, mentioned.Count >= 2 ? first : -1, mentioned.Count >= 2 ? mentioned[1] : -1);
        for (int c = 0; c < TableTask.Corners.Count; c++)
            if (t.Contains(" " + TableTask.Corners[c] + " ", StringComparison.Ordinal)) return new TableTask(TaskKind.MoveToCorner, text, first, Corner: c);
        return new TableTask(TaskKind.PickUp, text, first);
    }
}
