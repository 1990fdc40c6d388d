using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Vision;

public class AugmentationTests
{
    [Fact]
    public void Augment_ShiftsByAtMostPad_FlipsHalf_AndIsIdentityWithoutEither()
    {
        using var scope = NewDisposeScope();
        // One bright pixel at (7, 3) of a 15 × 15 image, 200 copies: mirrored it sits at column 11, far from 3.
        var x = zeros(200, 1, 15, 15);
        x[.., 0, 7, 3] = tensor(1f);
        Assert.Equal(0f, (ImageTensors.Augment(x, 0, false, new Random(1)) - x).abs().max().item<float>());

        var y = ImageTensors.Augment(x, 2, true, new Random(1));
        Assert.Equal(x.shape, y.shape);
        int flipped = 0;
        for (int i = 0; i < 200; i++)
        {
            var bright = nonzero(y[i, 0]);
            Assert.Equal(1, bright.shape[0]);                               // the pixel is kept (a shift of ≤ 2 stays inside)
            long row = bright[0, 0].item<long>(), col = bright[0, 1].item<long>();
            Assert.InRange(row, 5, 9);
            bool mirrored = col > 7;
            Assert.InRange(mirrored ? col - 11 : col - 3, -2, 2);
            flipped += mirrored ? 1 : 0;
        }

        Assert.InRange(flipped, 70, 130);                                   // about half of the 200
    }

    [Fact]
    public void ScheduledTrainer_WithAugmentation_IsDeterministic_AndDiffersFromWithout()
    {
        using var threads = TorchThreads.AtMost(1);
        float[] Losses(ImageAugmentation? augmentation)
        {
            using var scope = NewDisposeScope();
            manual_seed(3);
            var xs = rand(64, 1, 28, 28);
            var ys = randint(0, 10, [64], dtype: ScalarType.Int64);
            manual_seed(4);
            using var model = new Vit(VitConfig.Tiny);
            var options = new ClassifierTrainingOptions(Epochs: 2, BatchSize: 16, LearningRate: 1e-3, Seed: 5);
            var history = ScheduledTrainer.Train(model, xs, ys, xs, ys, options, warmupSteps: 2, augmentation: augmentation);
            return [.. history.StepLosses.Select(l => (float)l)];
        }

        var a = Losses(new ImageAugmentation(2, true));
        Assert.Equal(8, a.Length);
        Assert.Equal(a, Losses(new ImageAugmentation(2, true)));
        Assert.NotEqual(a, Losses(null));
    }
}
