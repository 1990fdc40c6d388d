using System.Buffers.Binary;

namespace Lineage.Data.Idx;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST (<see href="http://yann.lecun.com/exdb/mnist/">LeCun et al.</see>):
/// a big-endian header — magic number <c>0x00000803</c> then count, rows, columns for images; <c>0x00000801</c> then
/// count for labels — followed by the unsigned bytes. Files may be gzipped; that is detected from the content, not the name.
/// </summary>
/// <remarks>
/// Every malformed file is an <see cref="InvalidDataException"/> whose message starts with the path and says what is
/// wrong (wrong magic number, non-positive or overflowing dimensions, truncation, trailing data, broken gzip);
/// a missing file is a <see cref="FileNotFoundException"/>.
/// </remarks>
public static class IdxReader
{
    /// <summary>Magic number of an IDX file of unsigned-byte images: type 0x08, 3 dimensions.</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an IDX file of unsigned-byte labels: type 0x08, 1 dimension.</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an IDX image file (raw or gzipped).</summary>
    /// <param name="path">The file, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <returns>The images, pixels exactly as stored.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX image file; the message starts with the path.</exception>
    public static IdxImages ReadImages(string path)
    {
        using var input = IdxInput.Open(path);
        Span<int> dims = stackalloc int[3];
        ReadHeader(input, ImagesMagic, ["image count", "rows", "columns"], dims);
        var (count, rows, columns) = (dims[0], dims[1], dims[2]);
        var size = (Int128)count * rows * columns;   // three 31-bit factors overflow a long (found by afl-fuzz)
        var shape = $"{count}×{rows}×{columns} = {size} pixel bytes";
        if (size > Array.MaxLength)
        {
            throw new InvalidDataException($"{path}: header says {shape}, more than the {Array.MaxLength} a .NET array can hold");
        }

        var pixels = ReadBody(input, 16, (int)size, shape, "pixel bytes");
        return new IdxImages(count, rows, columns, pixels);
    }

    /// <summary>Reads an IDX label file (raw or gzipped).</summary>
    /// <param name="path">The file, e.g. <c>train-labels-idx1-ubyte.gz</c>.</param>
    /// <returns>One byte per example, as stored.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX label file; the message starts with the path.</exception>
    public static byte[] ReadLabels(string path)
    {
        using var input = IdxInput.Open(path);
        Span<int> dims = stackalloc int[1];
        ReadHeader(input, LabelsMagic, ["label count"], dims);
        return ReadBody(input, 8, dims[0], $"{dims[0]} labels", "label bytes");
    }

    /// <summary>
    /// Reads an image file and its label file and checks that they agree: as many labels as images and, when
    /// <paramref name="numClasses"/> is given, every label below it.
    /// </summary>
    /// <param name="imagesPath">The IDX image file.</param>
    /// <param name="labelsPath">The IDX label file.</param>
    /// <param name="numClasses">If given (1..256), every label must be less than this.</param>
    /// <returns>The images and their labels, index for index.</returns>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, the counts differ, or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numClasses"/> is outside 1..256.</exception>
    public static (IdxImages Images, byte[] Labels) ReadPair(string imagesPath, string labelsPath, int? numClasses = null)
    {
        if (numClasses is { } k && (k < 1 || k > 256))
        {
            throw new ArgumentOutOfRangeException(nameof(numClasses), k, "Byte labels allow 1 to 256 classes.");
        }

        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (labels.Length != images.Count)
        {
            throw new InvalidDataException(
                $"{labelsPath}: {labels.Length} labels but {imagesPath} has {images.Count} images");
        }

        if (numClasses is { } classes)
        {
            for (var i = 0; i < labels.Length; i++)
            {
                if (labels[i] >= classes)
                {
                    throw new InvalidDataException(
                        $"{labelsPath}: label {labels[i]} at index {i} is not below the number of classes ({classes})");
                }
            }
        }

        return (images, labels);
    }

    private static void ReadHeader(IdxInput input, int magic, string[] names, Span<int> dims)
    {
        var path = input.Path;
        var headerLength = 4 + (4 * names.Length);
        Span<byte> header = stackalloc byte[headerLength];
        var n = input.Fill(header[..4]);
        if (n == 0)
        {
            throw new InvalidDataException($"{path}: the gzip stream decompresses to no data (an empty or cut-short gzip file)");
        }

        if (n < 4)
        {
            throw new InvalidDataException($"{path}: truncated: {input.DataName} ends after {Bytes(n)}, inside the 4-byte IDX magic number");
        }

        var actual = BinaryPrimitives.ReadInt32BigEndian(header);
        if (actual != magic)
        {
            var kind = magic == ImagesMagic ? "images" : "labels";
            var hint = actual switch
            {
                ImagesMagic => "; it is the magic number of an IDX image file",
                LabelsMagic => "; it is the magic number of an IDX label file",
                _ when (actual & unchecked((int)0xFFFF0000)) != 0 => "; this is not an IDX file (the first two bytes must be zero)",
                _ when ((actual >> 8) & 0xFF) != 0x08 => $"; element type 0x{(actual >> 8) & 0xFF:X2} is not unsigned byte (0x08)",
                _ => $"; {actual & 0xFF} dimensions instead of {magic & 0xFF}",
            };
            throw new InvalidDataException($"{path}: IDX magic number 0x{actual:X8} is not 0x{magic:X8} ({kind}){hint}");
        }

        n = input.Fill(header[4..]);
        if (n < headerLength - 4)
        {
            throw new InvalidDataException(
                $"{path}: truncated: the IDX header needs {headerLength} bytes but {input.DataName} ends after {4 + n}");
        }

        for (var i = 0; i < names.Length; i++)
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(header[(4 + (4 * i))..]);
            if (value == 0 || value > int.MaxValue)
            {
                throw new InvalidDataException(
                    $"{path}: IDX header gives {names[i]} = {value}; it must be between 1 and {int.MaxValue}");
            }

            dims[i] = (int)value;
        }
    }

    private static string Bytes(long n) => n == 1 ? "1 byte" : $"{n} bytes";

    private static byte[] ReadBody(IdxInput input, int headerLength, int size, string shape, string unit)
    {
        var path = input.Path;

        // Refuse impossible sizes before allocating: a raw file's length is known, and deflate's ratio is bounded.
        if (!input.IsGzip && input.FileLength - headerLength < size)
        {
            throw new InvalidDataException(
                $"{path}: truncated: header says {shape} but the file ends after {input.FileLength - headerLength} {unit}");
        }

        if (input.IsGzip && input.FileLength * IdxInput.MaxDeflateRatio < headerLength + (long)size)
        {
            throw new InvalidDataException(
                $"{path}: truncated: header says {shape} but a gzip file of {input.FileLength} bytes decompresses to at most {input.FileLength * IdxInput.MaxDeflateRatio}");
        }

        var data = GC.AllocateUninitializedArray<byte>(size);
        var n = input.Fill(data);
        if (n < size)
        {
            throw new InvalidDataException($"{path}: truncated: header says {shape} but {input.DataName} ends after {n} {unit}");
        }

        var extra = input.IsGzip ? input.CountRemaining() : input.FileLength - headerLength - size;
        if (extra > 0)
        {
            throw new InvalidDataException(
                $"{path}: trailing data after the {shape} the header announces ({Bytes(extra)} more)");
        }

        return data;
    }
}
