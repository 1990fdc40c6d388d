using Lineage.Data.Idx;

namespace Lineage.Data.Tests.Idx;

/// <summary>The IDX reader against the real Fashion-MNIST files; returns early when the data cache is absent.</summary>
public sealed class FashionMnistRealDataTests
{
    [Theory]
    [InlineData("train", 60_000)]
    [InlineData("t10k", 10_000)]
    public void ReadPair_RealFashionMnist_HasExpectedShapeAndBalancedLabels(string split, int count)
    {
        if (RealData.Folder("fashion-mnist") is not { } folder)
        {
            return;
        }

        var (images, labels) = IdxReader.ReadPair(
            Path.Combine(folder, $"{split}-images-idx3-ubyte.gz"),
            Path.Combine(folder, $"{split}-labels-idx1-ubyte.gz"),
            numClasses: 10);

        Assert.Equal((count, 28, 28), (images.Count, images.Rows, images.Columns));
        Assert.Equal(count * 28 * 28, images.Pixels.Length);
        var perClass = new int[10];
        foreach (var label in labels)
        {
            perClass[label]++;
        }

        Assert.All(perClass, n => Assert.Equal(count / 10, n));

        // Real photographs of clothes: both black background and full white occur, and the mean is mid-dark.
        Assert.Equal(0, images.Pixels.Min());
        Assert.Equal(255, images.Pixels.Max());
        var first = images.ToFloats(0, 100);
        Assert.InRange(first.Average(), 0.15, 0.45);
    }
}
