namespace Lineage.Data.Corpora;

/// <summary>One token of a part-of-speech-tagged corpus.</summary>
/// <param name="Word">The word as written (may itself contain '/', e.g. <c>1/2</c> or <c>and/or</c>).</param>
/// <param name="Tag">The part-of-speech tag, e.g. <c>nn</c>, <c>np-tl</c>, <c>vbd</c> (Brown tag set, lower case).</param>
public sealed record TaggedWord(string Word, string Tag);
