using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Security.Cryptography;
using System.Text;

namespace Lineage.Data.Labelled;

/// <summary>
/// A set of labelled texts for classification: the documents ordered by id, the sorted label set, and a
/// deterministic train/test split.
/// </summary>
public sealed class LabelledTextSet
{
    /// <summary>Builds a set; the documents are ordered by id (ordinal), whatever order they come in.</summary>
    /// <param name="name">Name of the set, e.g. <c>spamassassin</c>.</param>
    /// <param name="documents">The documents; ids must be distinct. May be empty.</param>
    /// <param name="labels">
    /// The label set, when it should include labels no document has (a split keeps its parent's labels so that
    /// label indices agree); every document's label must be in it. Null: the labels the documents have.
    /// </param>
    /// <exception cref="ArgumentException">Two documents share an id, or a document's label is not in <paramref name="labels"/>.</exception>
    public LabelledTextSet(string name, IEnumerable<LabelledDocument> documents, IEnumerable<string>? labels = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(documents);
        var sorted = documents.OrderBy(d => d.Id, StringComparer.Ordinal).ToArray();
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Id == sorted[i - 1].Id)
            {
                throw new ArgumentException($"Document id '{sorted[i].Id}' occurs twice.", nameof(documents));
            }
        }

        var labelSet = new SortedSet<string>(labels ?? sorted.Select(d => d.Label), StringComparer.Ordinal);
        var counts = labelSet.ToDictionary(l => l, _ => 0, StringComparer.Ordinal);
        foreach (var d in sorted)
        {
            if (!counts.TryGetValue(d.Label, out var c))
            {
                throw new ArgumentException(
                    $"Document '{d.Id}' has label '{d.Label}', which is not one of {string.Join(", ", labelSet)}.", nameof(labels));
            }

            counts[d.Label] = c + 1;
        }

        Name = name;
        Documents = sorted;
        Labels = [.. labelSet];
        LabelCounts = new ReadOnlyDictionary<string, int>(counts);
    }

    /// <summary>Name of the set; a split appends <c>/train</c> and <c>/test</c>.</summary>
    public string Name { get; }

    /// <summary>The labels, in ordinal order; a label's position is its class index.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The documents, ordered by id.</summary>
    public IReadOnlyList<LabelledDocument> Documents { get; }

    /// <summary>Number of documents per label (every label of <see cref="Labels"/>, zero included).</summary>
    public IReadOnlyDictionary<string, int> LabelCounts { get; }

    /// <summary>The class index of a label: its position in <see cref="Labels"/>.</summary>
    /// <param name="label">One of <see cref="Labels"/>.</param>
    /// <returns>0 ≤ index &lt; <see cref="Labels"/>.Count.</returns>
    /// <exception cref="ArgumentException">The label is not in the set.</exception>
    public int LabelIndex(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        for (var i = 0; i < Labels.Count; i++)
        {
            if (Labels[i] == label)
            {
                return i;
            }
        }

        throw new ArgumentException($"Label '{label}' is not one of {string.Join(", ", Labels)}.", nameof(label));
    }

    /// <summary>
    /// Splits into train and test by a hash of each document's id: a document is in the test set when
    /// <see cref="SplitKey"/>(id) &lt; <paramref name="testFraction"/>.
    /// </summary>
    /// <remarks>
    /// The assignment of a document depends only on its id (SHA-256, not <see cref="string.GetHashCode()"/>), so the
    /// split is the same on every run and machine, whatever order the files were listed in, and adding documents
    /// never moves existing ones. The test fraction is therefore approximate (binomial around the target), and the
    /// split is not stratified. Both halves keep this set's <see cref="Labels"/>.
    /// </remarks>
    /// <param name="testFraction">Expected share of documents in the test set, 0 ≤ f ≤ 1.</param>
    /// <returns>The two halves, named <c>{Name}/train</c> and <c>{Name}/test</c>, each ordered by id.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="testFraction"/> is not in [0, 1].</exception>
    public (LabelledTextSet Train, LabelledTextSet Test) Split(double testFraction)
    {
        if (!(testFraction >= 0 && testFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must be between 0 and 1.");
        }

        var train = new List<LabelledDocument>();
        var test = new List<LabelledDocument>();
        foreach (var d in Documents)
        {
            (SplitKey(d.Id) < testFraction ? test : train).Add(d);
        }

        return (new LabelledTextSet($"{Name}/train", train, Labels), new LabelledTextSet($"{Name}/test", test, Labels));
    }

    /// <summary>
    /// A document's position in [0, 1) for splitting: the first 8 bytes of SHA-256(UTF-8 id), big-endian, / 2⁶⁴.
    /// </summary>
    /// <param name="id">The document id.</param>
    /// <returns>A number in [0, 1), uniform over ids and identical on every machine.</returns>
    public static double SplitKey(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(id), hash);

        // The top 53 bits make an exactly representable double in [0, 1).
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }
}
