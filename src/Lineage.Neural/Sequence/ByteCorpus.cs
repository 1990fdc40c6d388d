using System.Text;
using Lineage.Data.Corpora;

namespace Lineage.Neural.Sequence;

/// <summary>A prose corpus as UTF-8 bytes, split into training and held-out parts by document.</summary>
/// <param name="Train">Training bytes.</param>
/// <param name="HeldOut">Held-out bytes (whole documents never trained on).</param>
/// <param name="Source">Where the bytes came from, for reports.</param>
public sealed record ByteCorpus(byte[] Train, byte[] HeldOut, string Source)
{
    /// <summary>
    /// The Brown corpus as plain text, one sentence per line (tags removed, Brown's `` and '' turned into "), every
    /// tenth document (ids ordered) held out: 450 documents train, 50 are held out, each genre on both sides.
    /// </summary>
    /// <param name="directory">The Brown corpus cache folder.</param>
    /// <exception cref="InvalidDataException">The corpus is empty.</exception>
    public static ByteCorpus FromBrown(string directory)
    {
        var corpus = BrownCorpus.Read(directory);
        var train = new StringBuilder();
        var heldOut = new StringBuilder();
        for (int i = 0; i < corpus.Documents.Count; i++)
        {
            var target = i % 10 == 9 ? heldOut : train;
            foreach (var sentence in corpus.Documents[i].Sentences)
                target.Append(string.Join(' ', sentence.Select(w => w.Word)).Replace("``", "\"", StringComparison.Ordinal)
                                                                       .Replace("''", "\"", StringComparison.Ordinal)).Append('\n');
        }
        return FromText(train.ToString(), heldOut.ToString(), $"Brown corpus ({directory})");
    }

    /// <summary>A corpus from two texts.</summary>
    /// <exception cref="InvalidDataException">Either part is empty.</exception>
    public static ByteCorpus FromText(string train, string heldOut, string source)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(heldOut);
        if (train.Length == 0) throw new InvalidDataException($"{source}: the training text is empty");
        if (heldOut.Length == 0) throw new InvalidDataException($"{source}: the held-out text is empty");
        return new ByteCorpus(Encoding.UTF8.GetBytes(train), Encoding.UTF8.GetBytes(heldOut), source);
    }

    /// <summary>Entropy in bits of the training set's byte frequencies: what a model that ignores context achieves.</summary>
    public double UnigramBits() => UnigramBits(Train);

    /// <summary>Entropy in bits of the byte frequencies of <paramref name="bytes"/> (0 for no bytes).</summary>
    public static double UnigramBits(ReadOnlySpan<byte> bytes)
    {
        var counts = new long[256];
        foreach (var b in bytes) counts[b]++;
        double n = bytes.Length, bits = 0;
        foreach (var c in counts)
            if (c > 0) bits -= c / n * Math.Log2(c / n);
        return bits;
    }
}
