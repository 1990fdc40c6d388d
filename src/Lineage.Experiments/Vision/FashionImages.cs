using Lineage.Data;
using Lineage.Data.Catalog;
using Lineage.Neural.Vision;
using static TorchSharp.torch;

namespace Lineage.Experiments.Vision;

/// <summary>Fashion-MNIST as normalised image tensors (N, 1, 28, 28) for the vision experiments.</summary>
public sealed class FashionImages : IDisposable
{
    private FashionImages(Tensor xTrain, Tensor yTrain, Tensor xTest, Tensor yTest, float[] rawTest, DataManifest manifest)
    {
        (XTrain, YTrain, XTest, YTest, RawTest, Manifest) = (xTrain, yTrain, xTest, yTest, rawTest, manifest);
    }

    /// <summary>Training images, normalised.</summary>
    public Tensor XTrain { get; }

    /// <summary>Training labels (int64).</summary>
    public Tensor YTrain { get; }

    /// <summary>Test images, normalised.</summary>
    public Tensor XTest { get; }

    /// <summary>Test labels (int64).</summary>
    public Tensor YTest { get; }

    /// <summary>Test pixels in [0, 1] (N·784), for figures.</summary>
    public float[] RawTest { get; }

    /// <summary>The data set's manifest (model-cache key).</summary>
    public DataManifest Manifest { get; }

    /// <summary>The first <paramref name="train"/> training and <paramref name="test"/> test images.</summary>
    public static FashionImages Load(ExperimentContext context, int train, int test)
    {
        ArgumentNullException.ThrowIfNull(context);
        var folder = context.Require(DataCatalog.FashionMnist);
        var manifest = context.Data.Check(DataCatalog.FashionMnist).Manifest!;
        var (trainImages, trainLabels) = FashionMnist.Read(folder, train: true);
        var (testImages, testLabels) = FashionMnist.Read(folder, train: false);
        using var rawTrain = ImageTensors.FromIdx(trainImages, train);
        using var rawTest = ImageTensors.FromIdx(testImages, test);
        return new FashionImages(
            ImageTensors.Normalize(rawTrain, ImageTensors.FashionMean, ImageTensors.FashionStd),
            tensor(trainLabels.Take(train).Select(b => (long)b).ToArray()),
            ImageTensors.Normalize(rawTest, ImageTensors.FashionMean, ImageTensors.FashionStd),
            tensor(testLabels.Take(test).Select(b => (long)b).ToArray()),
            rawTest.data<float>().ToArray(),
            manifest);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        XTrain.Dispose();
        YTrain.Dispose();
        XTest.Dispose();
        YTest.Dispose();
    }
}
