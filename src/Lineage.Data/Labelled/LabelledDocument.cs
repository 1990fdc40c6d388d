namespace Lineage.Data.Labelled;

/// <summary>One labelled text of a classification data set.</summary>
/// <param name="Id">Unique and stable id, e.g. <c>spam-2/00001.317e78fa8ee2f54cd4890fdc09ba8176</c> (group/file name without <c>.txt</c>).</param>
/// <param name="Group">The sub-collection it came from, e.g. <c>easy-ham-1</c>.</param>
/// <param name="Label">The class, e.g. <c>spam</c> or <c>ham</c>.</param>
/// <param name="Text">The text, line endings normalised to LF.</param>
public sealed record LabelledDocument(string Id, string Group, string Label, string Text);
