using SkiaSharp;

namespace Lineage.Data.Images;

/// <summary>A decoded RGB image: planar float32 pixels in [0, 1], channel-major (3, H, W), as the vision models take them.</summary>
/// <param name="Source">Where it was read from (a path), for error messages.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Pixels">3·H·W values: all red, then all green, then all blue, each row-major.</param>
public sealed record RgbImage(string Source, int Width, int Height, float[] Pixels);

/// <summary>
/// Decodes images (PNG, JPEG, WebP, GIF, BMP) with SkiaSharp, Google's Skia bound for .NET, into <see cref="RgbImage"/>.
/// Every colour type is converted to RGB: grey and palette PNGs (colour type 3 with a <c>tRNS</c> chunk, as the Twemoji
/// set has) are expanded by the decoder, and transparency is removed by compositing the image over a background
/// (white by default: emoji are drawn to be seen on a light page), i.e. rgb = α·rgb + (1 − α)·background.
/// </summary>
public static class ImageLoader
{
    /// <summary>The most pixels an image may have (64 Mi: 256 MiB as RGBA), checked against its header before decoding.</summary>
    public const long MaxPixels = 1L << 26;

    /// <summary>File extensions <see cref="ListFolder"/> takes as images.</summary>
    public static IReadOnlySet<string> Extensions { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp" };

    /// <summary>Decodes <paramref name="path"/> and, when <paramref name="side"/> is given, resizes it to side × side.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="side">Target side in pixels (square, aspect ratio not kept), or null to keep the size.</param>
    /// <param name="background">Grey level in [0, 1] that transparent pixels are composited onto (1 = white).</param>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not an image, corrupt or truncated; the message names the file.</exception>
    public static RgbImage Load(string path, int? side = null, float background = 1f)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Image file not found: {path}", path);
        return Decode(File.ReadAllBytes(path), path, side, background);
    }

    /// <summary>
    /// Decodes <paramref name="path"/>, resizes it to side × side and returns its pixels with transparency kept:
    /// side × side × 4 bytes, row-major RGBA with straight (not premultiplied) alpha, for sprites drawn over a scene.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not an image, corrupt or truncated; the message names the file.</exception>
    public static byte[] LoadRgba(string path, int side)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Image file not found: {path}", path);
        var image = Decode(File.ReadAllBytes(path), path, side, background: 0f);               // premultiplied over black
        var alpha = Decode(File.ReadAllBytes(path), path, side, background: 1f);               // over white: 1 − α + α·c
        int plane = side * side;
        var rgba = new byte[4 * plane];
        for (int i = 0; i < plane; i++)
        {
            // Over black a pixel is α·c; over white α·c + 1 − α: their difference gives α, then c = (α·c) / α.
            float a = Math.Clamp(1 - (alpha.Pixels[i] - image.Pixels[i]), 0, 1);
            rgba[4 * i + 3] = (byte)MathF.Round(255 * a);
            for (int c = 0; c < 3; c++)
                rgba[4 * i + c] = a > 0 ? (byte)MathF.Round(255 * Math.Clamp(image.Pixels[c * plane + i] / a, 0, 1)) : (byte)0;
        }

        return rgba;
    }

    /// <summary>Decodes image bytes; <paramref name="source"/> names them in errors.</summary>
    /// <exception cref="InvalidDataException">Not an image, corrupt or truncated.</exception>
    public static RgbImage Decode(byte[] bytes, string source, int? side = null, float background = 1f)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (side is < 1) throw new ArgumentOutOfRangeException(nameof(side), side, "The target side must be at least 1 pixel.");
        using var stream = new SKMemoryStream(bytes);
        using var codec = SKCodec.Create(stream, out var created);
        if (codec is null) throw new InvalidDataException($"{source}: not a readable image ({Describe(created)}).");
        // The header's size, bounded before the pixels are allocated (issue 29: a corrupt header must not ask for 40 GB).
        if (codec.Info.Width < 1 || codec.Info.Height < 1 || (long)codec.Info.Width * codec.Info.Height > MaxPixels)
            throw new InvalidDataException($"{source}: the header says {codec.Info.Width}×{codec.Info.Height} pixels; images of 1 to {MaxPixels:N0} pixels are read (a corrupt header?).");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        if (bitmap.GetPixels() == IntPtr.Zero) throw new InvalidDataException($"{source}: no memory for its {info.Width}×{info.Height} pixels.");
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success) throw new InvalidDataException($"{source}: the image is corrupt or truncated ({Describe(result)}).");

        SKBitmap pixels = bitmap;
        SKBitmap? resized = null;
        try
        {
            if (side is int s && (s != info.Width || s != info.Height))
            {
                // Resize premultiplied, so transparent pixels do not bleed their (arbitrary) colour into the edges.
                using var premul = new SKBitmap(new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
                bitmap.CopyTo(premul, SKColorType.Rgba8888);
                resized = premul.Resize(new SKImageInfo(s, s, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKCubicResampler.Mitchell))
                    ?? throw new InvalidDataException($"{source}: could not resize to {s}×{s}.");
                pixels = resized;
            }

            return ToRgb(pixels, source, background);
        }
        finally
        {
            resized?.Dispose();
        }
    }

    /// <summary>The image files directly in <paramref name="folder"/> (by extension), sorted by name.</summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="InvalidDataException">The folder holds no image file.</exception>
    public static IReadOnlyList<string> ListFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Image folder not found: {folder}");
        var files = Directory.EnumerateFiles(folder).Where(f => Extensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidDataException($"{folder}: no image files ({string.Join(", ", Extensions.Order())}).");
        return files;
    }

    private static RgbImage ToRgb(SKBitmap bitmap, string source, float background)
    {
        int w = bitmap.Width, h = bitmap.Height, plane = w * h;
        bool premultiplied = bitmap.AlphaType == SKAlphaType.Premul;
        var rgba = bitmap.GetPixelSpan();
        var output = new float[3 * plane];
        for (int i = 0; i < plane; i++)
        {
            float a = rgba[4 * i + 3] / 255f;
            for (int c = 0; c < 3; c++)
            {
                float v = rgba[4 * i + c] / 255f;
                // Composite over the background: premultiplied colour already carries α.
                output[c * plane + i] = (premultiplied ? v : a * v) + (1 - a) * background;
            }
        }

        return new RgbImage(source, w, h, output);
    }

    private static string Describe(SKCodecResult r) => r switch
    {
        SKCodecResult.IncompleteInput => "incomplete input: the file ends early",
        SKCodecResult.ErrorInInput => "error in the input data",
        SKCodecResult.InvalidInput => "invalid input",
        SKCodecResult.Unimplemented => "an encoding the decoder does not implement",
        _ => r.ToString(),
    };
}
