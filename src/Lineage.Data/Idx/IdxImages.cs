namespace Lineage.Data.Idx;

/// <summary>
/// A stack of greyscale images as stored in an IDX file (the MNIST / Fashion-MNIST format): <see cref="Count"/>
/// images of <see cref="Rows"/>×<see cref="Columns"/> unsigned bytes, 0 = background, 255 = full ink.
/// </summary>
/// <remarks>
/// The pixels are kept as the file has them, one byte each, image after image, each image row-major, so the
/// 60,000 training images of Fashion-MNIST take 47 MB rather than the 188 MB of floats; convert a batch at a
/// time with <see cref="ToFloats"/>.
/// </remarks>
public sealed class IdxImages
{
    /// <summary>Wraps pixel bytes that are already laid out image after image, each row-major.</summary>
    /// <param name="count">Number of images; positive.</param>
    /// <param name="rows">Height of each image in pixels; positive.</param>
    /// <param name="columns">Width of each image in pixels; positive.</param>
    /// <param name="pixels">Exactly <paramref name="count"/>×<paramref name="rows"/>×<paramref name="columns"/> bytes; kept, not copied.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive.</exception>
    /// <exception cref="ArgumentException">The pixel array has the wrong length, or the product overflows an array.</exception>
    public IdxImages(int count, int rows, int columns, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentNullException.ThrowIfNull(pixels);
        var expected = (long)count * rows * columns;
        if (expected != pixels.LongLength)
        {
            throw new ArgumentException(
                $"{count}×{rows}×{columns} images need {expected} pixel bytes but {pixels.Length} were given.", nameof(pixels));
        }

        Count = count;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Height of each image in pixels.</summary>
    public int Rows { get; }

    /// <summary>Width of each image in pixels.</summary>
    public int Columns { get; }

    /// <summary>Bytes per image: <see cref="Rows"/>×<see cref="Columns"/>.</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>All pixels, <see cref="Count"/>×<see cref="Rows"/>×<see cref="Columns"/> bytes, image after image, each row-major.</summary>
#pragma warning disable CA1819 // The raw buffer is the point: readers and tensor builders copy from it in bulk.
    public byte[] Pixels { get; }
#pragma warning restore CA1819

    /// <summary>The pixels of one image, row-major, without copying.</summary>
    /// <param name="index">Image index, 0 ≤ index &lt; <see cref="Count"/>.</param>
    /// <returns>A view of <see cref="PixelsPerImage"/> bytes inside <see cref="Pixels"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the stack.</exception>
    public ReadOnlySpan<byte> Image(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Image index {index} is outside 0..{Count - 1}.");
        }

        return Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>
    /// Converts a run of images to floats in [0, 1] (byte / 255), the input scaling MNIST-style models expect.
    /// </summary>
    /// <param name="start">First image, 0 ≤ start ≤ <see cref="Count"/>.</param>
    /// <param name="count">Number of images, start + count ≤ <see cref="Count"/>.</param>
    /// <returns><paramref name="count"/>×<see cref="Rows"/>×<see cref="Columns"/> floats, image after image, each row-major.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The run is not inside the stack.</exception>
    public float[] ToFloats(int start, int count)
    {
        if (start < 0 || start > Count)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, $"Start image {start} is outside 0..{Count}.");
        }

        if (count < 0 || count > Count - start)
        {
            throw new ArgumentOutOfRangeException(
                nameof(count), count, $"{count} images from image {start} run past the {Count} images there are.");
        }

        var source = Pixels.AsSpan(start * PixelsPerImage, count * PixelsPerImage);
        var result = new float[source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            result[i] = source[i] / 255f;
        }

        return result;
    }
}
