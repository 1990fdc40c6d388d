using System.IO.Compression;
using Lineage.Data.Idx;

namespace Lineage.Data.Tests.Idx;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>5 images of 3×4 whose pixels are distinct-ish bytes covering 0 and 255.</summary>
    private static IdxImages SampleImages()
    {
        var pixels = new byte[5 * 3 * 4];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(i * 37 % 256);
        }

        pixels[0] = 0;
        pixels[^1] = 255;
        return new IdxImages(5, 3, 4, pixels);
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var memory = new MemoryStream();
        using (var gz = new GZipStream(memory, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(raw);
        }

        return memory.ToArray();
    }

    private string WriteSampleImages(string name, bool gzip)
    {
        var path = _dir[name];
        IdxWriter.WriteImages(path, SampleImages(), gzip);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadImages_WrittenByIdxWriter_RoundTrips(bool gzip)
    {
        var path = WriteSampleImages("images.idx", gzip);

        var images = IdxReader.ReadImages(path);

        var expected = SampleImages();
        Assert.Equal((5, 3, 4), (images.Count, images.Rows, images.Columns));
        Assert.Equal(expected.Pixels, images.Pixels);
        Assert.Equal(gzip, File.ReadAllBytes(path)[..2] is [0x1F, 0x8B]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadLabels_WrittenByIdxWriter_RoundTrips(bool gzip)
    {
        var path = _dir["labels.idx"];
        byte[] labels = [3, 0, 9, 9, 1];
        IdxWriter.WriteLabels(path, labels, gzip);

        Assert.Equal(labels, IdxReader.ReadLabels(path));
    }

    [Fact]
    public void ReadImages_RawFileHeader_IsBigEndianIdx3()
    {
        var bytes = File.ReadAllBytes(WriteSampleImages("images.idx", gzip: false));

        Assert.Equal([0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 4], bytes[..16]);
        Assert.Equal(16 + 60, bytes.Length);
    }

    [Fact]
    public void ReadImages_GzipDetectedByContentNotName_Reads()
    {
        var gzipped = WriteSampleImages("images-without-extension", gzip: true);
        var raw = WriteSampleImages("raw-but-named.gz", gzip: false);

        Assert.Equal(SampleImages().Pixels, IdxReader.ReadImages(gzipped).Pixels);
        Assert.Equal(SampleImages().Pixels, IdxReader.ReadImages(raw).Pixels);
    }

    [Fact]
    public void WriteImages_ExistingFile_IsReplacedWithoutTempFilesLeft()
    {
        var path = _dir["images.idx"];
        File.WriteAllText(path, "old content");

        IdxWriter.WriteImages(path, SampleImages(), gzip: true);

        Assert.Equal(5, IdxReader.ReadImages(path).Count);
        Assert.Equal([path], Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void ReadImages_LabelFile_ThrowsWrongMagicWithPath()
    {
        var path = _dir["labels.idx"];
        IdxWriter.WriteLabels(path, [1, 2, 3], gzip: false);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: IDX magic number 0x00000801 is not 0x00000803 (images)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_ImageFile_ThrowsWrongMagicWithPath()
    {
        var path = WriteSampleImages("images.idx.gz", gzip: true);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.StartsWith($"{path}: IDX magic number 0x00000803 is not 0x00000801 (labels)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_NotIdxAtAll_ThrowsWrongMagic()
    {
        var path = _dir.WriteText("notes.txt", "hello, world\n");

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: IDX magic number 0x68656C6C", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, 40)]   // inside the pixels
    [InlineData(false, 10)]   // inside the header
    [InlineData(false, 2)]    // inside the magic number
    [InlineData(true, 40)]
    [InlineData(true, 10)]
    public void ReadImages_FileCutShort_ThrowsTruncatedWithPath(bool gzip, int keep)
    {
        var raw = File.ReadAllBytes(WriteSampleImages("full.idx", gzip: false));
        var cut = raw[..keep];
        var path = _dir.WriteBytes("cut.idx", gzip ? Gzip(cut) : cut);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_PixelsCutShort_MessageGivesShapeAndWhereItEnds()
    {
        var raw = File.ReadAllBytes(WriteSampleImages("full.idx", gzip: false));
        var path = _dir.WriteBytes("cut.idx", raw[..(16 + 50)]);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: truncated: header says 5×3×4 = 60 pixel bytes but the file ends after 50 pixel bytes", e.Message);
    }

    [Fact]
    public void ReadLabels_TrailingBytes_ThrowsTrailingData()
    {
        var path = _dir["labels.idx"];
        IdxWriter.WriteLabels(path, [1, 2, 3], gzip: false);
        File.AppendAllText(path, "xy");

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.StartsWith($"{path}: trailing data after", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("(2 bytes more)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_TrailingBytesInsideGzip_ThrowsTrailingData()
    {
        var raw = File.ReadAllBytes(WriteSampleImages("full.idx", gzip: false));
        var path = _dir.WriteBytes("long.idx.gz", Gzip([.. raw, 1, 2, 3]));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: trailing data after", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5)]  // inside the 10-byte gzip header
    [InlineData(20)] // inside the deflate data
    [InlineData(40)]
    public void ReadImages_GzipCutShort_ThrowsWithPath(int keep)
    {
        var gz = File.ReadAllBytes(WriteSampleImages("full.idx.gz", gzip: true));
        var path = _dir.WriteBytes("cut.idx.gz", gz[..keep]);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_GzipHeaderThenGarbage_ThrowsNotValidGzipWithPath()
    {
        // A valid 10-byte gzip member header (deflate, no flags) followed by bytes that are not a deflate stream.
        byte[] bytes = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF, .. Enumerable.Repeat((byte)0xFF, 64)];
        var path = _dir.WriteBytes("garbage.idx.gz", bytes);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: not a valid gzip stream", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8)] // CRC-32 of the trailer
    [InlineData(4)] // ISIZE of the trailer
    public void ReadImages_GzipTrailerCorrupted_ThrowsNotValidGzipWithPath(int fromEnd)
    {
        var gz = File.ReadAllBytes(WriteSampleImages("full.idx.gz", gzip: true));
        gz[^fromEnd] ^= 1;
        var path = _dir.WriteBytes("bad-crc.idx.gz", gz);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: not a valid gzip stream (", e.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [Fact]
    public void ReadImages_GzipMissingOnlyItsTrailer_ReadsBecauseGZipStreamDoesNotRequireIt()
    {
        // .NET's GZipStream checks CRC-32 and size when the 8-byte trailer is there, but a stream that ends before
        // it just ends. The data is complete here, so the reader accepts it; a cut any earlier is caught as truncation.
        var gz = File.ReadAllBytes(WriteSampleImages("full.idx.gz", gzip: true));
        var path = _dir.WriteBytes("no-trailer.idx.gz", gz[..^8]);

        Assert.Equal(SampleImages().Pixels, IdxReader.ReadImages(path).Pixels);
    }

    [Fact]
    public void ReadImages_GzipWithNonGzipBytesAfterMember_IgnoresThemAsGunzipDoes()
    {
        // GZipStream, like gunzip (which only warns), stops at bytes after the last member that are not another member.
        var gz = File.ReadAllBytes(WriteSampleImages("full.idx.gz", gzip: true));
        var path = _dir.WriteBytes("junk-after.idx.gz", [.. gz, .. "junk after the member"u8]);

        Assert.Equal(SampleImages().Pixels, IdxReader.ReadImages(path).Pixels);
    }

    [Fact]
    public void ReadImages_TwoConcatenatedGzipMembers_ReadsThemAsOneStream()
    {
        var raw = File.ReadAllBytes(WriteSampleImages("full.idx", gzip: false));
        var path = _dir.WriteBytes("two-members.idx.gz", [.. Gzip(raw[..30]), .. Gzip(raw[30..])]);

        Assert.Equal(SampleImages().Pixels, IdxReader.ReadImages(path).Pixels);
    }

    [Fact]
    public void ReadImages_EmptyFile_ThrowsFileIsEmpty()
    {
        var path = _dir.WriteBytes("empty.idx", []);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: file is empty", e.Message);
    }

    [Fact]
    public void ReadImages_MissingFile_ThrowsFileNotFoundNamingPath()
    {
        var path = _dir["missing.idx"];

        var e = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages(path));

        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u, 28u, 28u, "image count = 0")]
    [InlineData(10u, 0u, 28u, "rows = 0")]
    [InlineData(10u, 28u, 0x80000000u, "columns = 2147483648")]
    public void ReadImages_NonPositiveDimension_ThrowsNamingIt(uint count, uint rows, uint columns, string expected)
    {
        var path = _dir.WriteBytes("bad-dims.idx", Header(0x803, count, rows, columns));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: IDX header gives {expected}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_DimensionsWhoseProductWrapsALong_AreRefused_NotAnOverflowException()
    {
        // Found by the property test (issue 29): (2^31−1) × (2^31−1) × 4 wrapped a long to a negative size, which passed
        // the "more than an array holds" check and reached new byte[negative] (OverflowException).
        var path = _dir.WriteBytes("wrap.idx", [.. Header(0x803, int.MaxValue, int.MaxValue, 4), 1, 2, 3]);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: header says 2147483647×2147483647×4 = 18446744056529682436 pixel bytes, more than", e.Message, StringComparison.Ordinal);
        Assert.Contains("more than", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_DimensionsOverflowAnArray_Throws()
    {
        var path = _dir.WriteBytes("huge.idx", Header(0x803, 100_000, 1000, 1000));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: header says 100000×1000×1000 = 100000000000 pixel bytes, more than", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_GzipHeaderAnnouncingMoreThanDeflateCanHold_ThrowsTruncatedBeforeAllocating()
    {
        var path = _dir.WriteBytes("small.idx.gz", Gzip(Header(0x803, 60_000, 100, 100)));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: truncated: header says 60000×100×100 = 600000000 pixel bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadPair_CountsAgree_ReturnsBoth()
    {
        var images = WriteSampleImages("images.idx.gz", gzip: true);
        var labels = _dir["labels.idx.gz"];
        IdxWriter.WriteLabels(labels, [0, 1, 2, 1, 0], gzip: true);

        var (x, y) = IdxReader.ReadPair(images, labels, numClasses: 3);

        Assert.Equal(5, x.Count);
        Assert.Equal([0, 1, 2, 1, 0], y);
    }

    [Fact]
    public void ReadPair_CountMismatch_ThrowsNamingBothFiles()
    {
        var images = WriteSampleImages("images.idx", gzip: false);
        var labels = _dir["labels.idx"];
        IdxWriter.WriteLabels(labels, [0, 1, 2, 1], gzip: false);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadPair(images, labels));

        Assert.Equal($"{labels}: 4 labels but {images} has 5 images", e.Message);
    }

    [Fact]
    public void ReadPair_LabelNotBelowNumClasses_Throws()
    {
        var images = WriteSampleImages("images.idx", gzip: false);
        var labels = _dir["labels.idx"];
        IdxWriter.WriteLabels(labels, [0, 1, 2, 3, 0], gzip: false);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadPair(images, labels, numClasses: 3));

        Assert.Equal($"{labels}: label 3 at index 3 is not below the number of classes (3)", e.Message);
    }

    [Fact]
    public void Image_Index_ReturnsThatImagesPixels()
    {
        var images = SampleImages();

        Assert.Equal(images.Pixels[24..36], images.Image(2).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => images.Image(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => images.Image(-1));
    }

    [Fact]
    public void ToFloats_Run_ScalesBytesToUnitInterval()
    {
        var images = SampleImages();

        var all = images.ToFloats(0, 5);
        var last = images.ToFloats(4, 1);

        Assert.Equal(60, all.Length);
        Assert.Equal(0f, all[0]);
        Assert.Equal(1f, all[^1]);
        Assert.All(all, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(images.Pixels[1] / 255f, all[1]);
        Assert.Equal(all[48..], last);
        Assert.Empty(images.ToFloats(5, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => images.ToFloats(4, 2));
    }

    [Fact]
    public void Constructor_WrongPixelCount_Throws()
    {
        Assert.Throws<ArgumentException>(() => new IdxImages(2, 2, 2, new byte[7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IdxImages(0, 2, 2, []));
    }

    private static byte[] Header(uint magic, params uint[] dims)
    {
        var bytes = new byte[4 + (4 * dims.Length)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        for (var i = 0; i < dims.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dims[i]);
        }

        return bytes;
    }
}
