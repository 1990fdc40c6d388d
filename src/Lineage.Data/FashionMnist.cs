using Lineage.Data.Idx;

namespace Lineage.Data;

/// <summary>Fashion-MNIST (Xiao et al. 2017) from its cache folder: the four IDX files and the class names.</summary>
public static class FashionMnist
{
    /// <summary>Class names, by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Reads the training set (60,000) or the test set (10,000) from <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it.</exception>
    public static (IdxImages Images, byte[] Labels) Read(string directory, bool train) =>
        IdxReader.ReadPair(
            Path.Combine(directory, train ? "train-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte.gz"),
            Path.Combine(directory, train ? "train-labels-idx1-ubyte.gz" : "t10k-labels-idx1-ubyte.gz"),
            ClassNames.Count);
}
