using Lineage.Text.IO;
using SkiaSharp;

namespace Lineage.Experiments.Vision;

/// <summary>A picture for a figure: planar pixels in [0, 1] (1 channel grey or 3 channels RGB), an optional heat map over it and a caption.</summary>
/// <param name="Pixels">C·H·W values, channel-major.</param>
/// <param name="Channels">1 or 3.</param>
/// <param name="Side">Height = width in pixels.</param>
/// <param name="Caption">Text under the picture.</param>
/// <param name="Heat">Optional g × g map in [0, 1] drawn translucent red over the picture (upsampled to the side).</param>
/// <param name="HeatSide">Side g of <paramref name="Heat"/>.</param>
public sealed record FigureImage(float[] Pixels, int Channels, int Side, string Caption, float[]? Heat = null, int HeatSide = 0);

/// <summary>Grids of images with captions and heat maps (attention rollout), drawn with SkiaSharp.</summary>
public static class ImageFigures
{
    /// <summary>Writes a grid of <paramref name="images"/>, <paramref name="columns"/> per row, each scaled to <paramref name="cell"/> pixels.</summary>
    public static void Grid(string path, string title, IReadOnlyList<FigureImage> images, int columns, int cell = 112)
    {
        ArgumentNullException.ThrowIfNull(images);
        int rows = (images.Count + columns - 1) / columns;
        const int captionHeight = 30, titleHeight = 28, pad = 6;
        int width = columns * (cell + pad) + pad, height = titleHeight + rows * (cell + captionHeight + pad);
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 14);
        using var small = new SKFont(SKTypeface.Default, 11);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(title, pad, 19, font, ink);
        for (int i = 0; i < images.Count; i++)
        {
            var im = images[i];
            int x0 = pad + i % columns * (cell + pad), y0 = titleHeight + i / columns * (cell + captionHeight + pad);
            using var bitmap = ToBitmap(im);
            canvas.DrawBitmap(bitmap, new SKRect(x0, y0, x0 + cell, y0 + cell), new SKPaint { IsAntialias = false });
            if (im.Heat is not null)
            {
                using var heat = HeatBitmap(im.Heat, im.HeatSide);
                using var paint = new SKPaint();
                canvas.DrawImage(SKImage.FromBitmap(heat), new SKRect(x0, y0, x0 + cell, y0 + cell), new SKSamplingOptions(SKFilterMode.Linear), paint);
            }

            var lines = Wrap(im.Caption, cell, small);
            for (int l = 0; l < Math.Min(2, lines.Count); l++) canvas.DrawText(lines[l], x0, y0 + cell + 12 + 12 * l, small, ink);
        }

        using var png = surface.Snapshot().Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.WriteAllBytes(path, png.ToArray());
    }

    /// <summary>Writes an interleaved RGB frame (side × side × 3 bytes) as a PNG, scaled up <paramref name="scale"/> times without smoothing.</summary>
    public static void SaveRgb(string path, byte[] rgb, int side, int scale = 4)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Length != side * side * 3) throw new ArgumentException($"{rgb.Length} bytes; a {side} × {side} RGB frame has {side * side * 3}.", nameof(rgb));
        using var bitmap = new SKBitmap(new SKImageInfo(side * scale, side * scale, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < side * scale; y++)
        {
            for (int x = 0; x < side * scale; x++)
            {
                int q = ((y / scale) * side + x / scale) * 3;
                bitmap.SetPixel(x, y, new SKColor(rgb[q], rgb[q + 1], rgb[q + 2]));
            }
        }

        using var png = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.WriteAllBytes(path, png.ToArray());
    }

    /// <summary>Interleaved RGB bytes (side × side × 3) as planar pixels in [0, 1], for <see cref="FigureImage"/>.</summary>
    public static float[] Planar(byte[] rgb, int side)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        int plane = side * side;
        var p = new float[3 * plane];
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++) p[c * plane + i] = rgb[3 * i + c] / 255f;
        return p;
    }

    private static SKBitmap ToBitmap(FigureImage im)
    {
        var bitmap = new SKBitmap(new SKImageInfo(im.Side, im.Side, SKColorType.Rgba8888, SKAlphaType.Opaque));
        int plane = im.Side * im.Side;
        for (int p = 0; p < plane; p++)
        {
            byte Channel(int c) => (byte)Math.Clamp(im.Pixels[(im.Channels == 1 ? 0 : c) * plane + p] * 255f, 0, 255);
            bitmap.SetPixel(p % im.Side, p / im.Side, new SKColor(Channel(0), Channel(1), Channel(2)));
        }

        return bitmap;
    }

    private static SKBitmap HeatBitmap(float[] heat, int side)
    {
        float min = heat.Min(), range = Math.Max(heat.Max() - min, 1e-12f);
        var bitmap = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int p = 0; p < side * side; p++)
        {
            float v = (heat[p] - min) / range;   // min → transparent, max → strong red
            bitmap.SetPixel(p % side, p / side, new SKColor(255, (byte)(60 * (1 - v)), 0, (byte)(170 * v)));
        }

        return bitmap;
    }

    private static List<string> Wrap(string text, int width, SKFont font)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' '))
        {
            var candidate = line.Length == 0 ? word : line + " " + word;
            if (font.MeasureText(candidate) > width && line.Length > 0)
            {
                lines.Add(line);
                line = word;
            }
            else
            {
                line = candidate;
            }
        }

        if (line.Length > 0) lines.Add(line);
        return lines;
    }
}
