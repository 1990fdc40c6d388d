// Images as tensors: IDX stacks and decoded RGB images to (N, C, H, W) float32, normalisation, resizing and the few
// augmentations that suit small images (random crop after zero padding, horizontal flip).
using Lineage.Data.Idx;
using Lineage.Data.Images;
using static TorchSharp.torch;

namespace Lineage.Neural.Vision;

/// <summary>Image tensors (N, C, H, W), float32, for the vision and multimodal models.</summary>
public static class ImageTensors
{
    /// <summary>Fashion-MNIST's pixel mean and standard deviation over the training set (in [0, 1] units).</summary>
    public const float FashionMean = 0.2860f, FashionStd = 0.3530f;

    /// <summary>The first <paramref name="count"/> IDX images as (N, 1, rows, cols) in [0, 1].</summary>
    public static Tensor FromIdx(IdxImages images, int count)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, images.Count, nameof(count));
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, nameof(count));
        return tensor(images.ToFloats(0, count), [count, 1, images.Rows, images.Columns]);
    }

    /// <summary>The IDX images at <paramref name="indices"/> as (N, 1, rows, cols) in [0, 1].</summary>
    public static Tensor FromIdx(IdxImages images, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(indices);
        int pixels = images.PixelsPerImage;
        var data = new float[(long)indices.Count * pixels];
        for (int i = 0; i < indices.Count; i++) images.ToFloats(indices[i], 1).CopyTo(data, (long)i * pixels);
        return tensor(data, [indices.Count, 1, images.Rows, images.Columns]);
    }

    /// <summary>Decoded RGB images (all the same size) as (N, 3, H, W) in [0, 1].</summary>
    /// <exception cref="ArgumentException">No images, or images of different sizes (the message names the first odd one).</exception>
    public static Tensor FromRgb(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("No images to stack.", nameof(images));
        int h = images[0].Height, w = images[0].Width, size = 3 * h * w;
        var data = new float[(long)images.Count * size];
        for (int i = 0; i < images.Count; i++)
        {
            var im = images[i];
            if (im.Height != h || im.Width != w) throw new ArgumentException($"Image {i} ({im.Source}) is {im.Width}×{im.Height}; the first is {w}×{h}.", nameof(images));
            im.Pixels.CopyTo(data, (long)i * size);
        }

        return tensor(data, [images.Count, 3, h, w]);
    }

    /// <summary>(x − mean) / std, channel-wise with one mean and std for all channels.</summary>
    public static Tensor Normalize(Tensor x, float mean, float std) => (x - mean) / std;

    /// <summary>Bilinear resize of (N, C, H, W) to <paramref name="side"/> × <paramref name="side"/>.</summary>
    public static Tensor Resize(Tensor x, int side)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4) throw new ArgumentException($"Expected (N, C, H, W); got ({string.Join(", ", x.shape)}).", nameof(x));
        return nn.functional.interpolate(x, [side, side], mode: InterpolationMode.Bilinear, align_corners: false);
    }

    /// <summary>Pads each image by <paramref name="pad"/> zeros and crops it back at a random offset (one per image); then flips a random half horizontally.</summary>
    /// <param name="x">(N, C, H, W).</param>
    /// <param name="pad">Padding on each side.</param>
    /// <param name="flip">Flip half of the images left-right (meaningful for clothing and emoji, not for digits or text).</param>
    /// <param name="random">Source of the offsets.</param>
    public static Tensor Augment(Tensor x, int pad, bool flip, Random random)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(random);
        using var scope = NewDisposeScope();
        long n = x.shape[0], h = x.shape[2], w = x.shape[3];
        var padded = pad > 0 ? nn.functional.pad(x, [pad, pad, pad, pad]) : x;      // (N, C, H+2p, W+2p)
        var crops = new List<Tensor>((int)n);
        for (long i = 0; i < n; i++)
        {
            int dy = random.Next(2 * pad + 1), dx = random.Next(2 * pad + 1);
            var c = padded[i].narrow(1, dy, h).narrow(2, dx, w);                        // (C, H, W)
            if (flip && random.Next(2) == 1) c = c.flip(2);
            crops.Add(c);
        }

        return stack(crops, 0).MoveToOuterDisposeScope();
    }
}
