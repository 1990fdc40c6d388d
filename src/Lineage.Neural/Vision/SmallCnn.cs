// A small convolutional network (LeCun et al. 1998, in today's form: 3 × 3 convolutions, ReLU, max-pooling, global
// average pooling), the baseline whose built-in locality and translation equivariance ViT gives up.
// Lineage: the prior ViT drops; with little data the prior wins, with enough data it matters less (Dosovitskiy 2021, §4.3).
// Shapes: B batch, C channels, H × W image, K classes.
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Vision;

/// <summary>Size of a <see cref="SmallCnn"/>.</summary>
/// <param name="Channels">Input channels.</param>
/// <param name="Widths">Output channels of the three 3 × 3 convolutions.</param>
/// <param name="Classes">Classes.</param>
/// <param name="Hidden">Width of the fully connected hidden layer.</param>
/// <param name="ImageSize">Image side in pixels (the flattened feature map is Widths[2] × (ImageSize / 8)²).</param>
public sealed record SmallCnnConfig(int Channels = 1, int[]? Widths = null, int Classes = 10, int Hidden = 128, int ImageSize = 28)
{
    /// <summary>Channels of the three convolutions (default 32, 64, 64: with the 128-wide hidden layer about 131 k parameters, like the chapter's ViT).</summary>
    public int[] ConvWidths => Widths ?? [32, 64, 64];

    /// <summary>Side of the last feature map (three 2 × 2 poolings).</summary>
    public int MapSide => ImageSize / 8;
}

/// <summary>
/// LeNet's shape with today's parts: (conv3×3–ReLU–max-pool) × 3, flatten, a ReLU hidden layer, linear. The flattened
/// map keeps where each feature is (a global average would throw that away), which is part of the CNN's prior.
/// </summary>
[Model("cnn", Paper = "LeCun et al. 1998")]
public sealed class SmallCnn : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Conv2d conv3;
    private readonly Linear fc;
    private readonly Linear head;

    /// <summary>A tiny seeded CNN and a fixed batch of images, for the registry's conformance tests.</summary>
    public static ModelSample Conformance()
    {
        manual_seed(17);
        var images = randn(2, 1, 28, 28);
        return new(new SmallCnn(new SmallCnnConfig(Widths: [4, 4, 4], Hidden: 8)), m => ((SmallCnn)m).forward(images));
    }

    /// <summary>A randomly initialised CNN.</summary>
    public SmallCnn(SmallCnnConfig config) : base(nameof(SmallCnn))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        var w = config.ConvWidths;
        if (w.Length != 3 || w.Any(x => x < 1)) throw new ArgumentException($"Widths needs three positive channel counts; got [{string.Join(", ", w)}].", nameof(config));
        if (config.MapSide < 1) throw new ArgumentException($"ImageSize {config.ImageSize} is too small for three 2 × 2 poolings (needs ≥ 8).", nameof(config));
        conv1 = nn.Conv2d(config.Channels, w[0], 3, padding: 1);
        conv2 = nn.Conv2d(w[0], w[1], 3, padding: 1);
        conv3 = nn.Conv2d(w[1], w[2], 3, padding: 1);
        fc = nn.Linear(w[2] * config.MapSide * config.MapSide, config.Hidden);
        head = nn.Linear(config.Hidden, config.Classes);
        RegisterComponents();
    }

    /// <summary>The settings.</summary>
    public SmallCnnConfig Config { get; }

    /// <summary>Logits (B, K) of images (B, C, H, W).</summary>
    public override Tensor forward(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != Config.Channels) throw new ArgumentException($"Expected images (B, {Config.Channels}, H, W); got ({string.Join(", ", images.shape)}).", nameof(images));
        using var scope = NewDisposeScope();
        if (images.shape[2] != Config.ImageSize || images.shape[3] != Config.ImageSize)
            throw new ArgumentException($"Expected {Config.ImageSize} × {Config.ImageSize} images; got {images.shape[2]} × {images.shape[3]}.", nameof(images));
        var x = nn.functional.max_pool2d(nn.functional.relu(conv1.forward(images)), 2);   // (B, 32, H/2, W/2)
        x = nn.functional.max_pool2d(nn.functional.relu(conv2.forward(x)), 2);            // (B, 64, H/4, W/4)
        x = nn.functional.max_pool2d(nn.functional.relu(conv3.forward(x)), 2).flatten(1); // (B, 64 · (H/8)²)
        return head.forward(nn.functional.relu(fc.forward(x))).MoveToOuterDisposeScope();
    }
}
