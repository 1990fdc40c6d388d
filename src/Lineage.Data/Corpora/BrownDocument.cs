namespace Lineage.Data.Corpora;

/// <summary>One of the 500 text samples of the Brown corpus.</summary>
/// <param name="Id">File name, e.g. <c>ca01</c> (the letter after 'c' is the genre, a–r).</param>
/// <param name="Genre">Category from <c>cats.txt</c>, e.g. <c>news</c>, <c>learned</c>.</param>
/// <param name="Sentences">The sentences in order, each a list of tagged tokens.</param>
public sealed record BrownDocument(string Id, string Genre, IReadOnlyList<IReadOnlyList<TaggedWord>> Sentences)
{
    /// <summary>Number of tagged tokens (words and punctuation) in the document.</summary>
    public int WordCount => Sentences.Sum(s => s.Count);
}
