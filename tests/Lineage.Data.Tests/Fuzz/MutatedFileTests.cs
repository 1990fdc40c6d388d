using CsCheck;
using Lineage.Data.Idx;
using Lineage.Data.Images;
using Lineage.Tests.Fuzz;
using SkiaSharp;

namespace Lineage.Data.Tests.Fuzz;

/// <summary>
/// Issue 29's property test for the Data readers: IDX (raw and gzipped) and PNG (through SkiaSharp, the image library
/// we decode with). Valid files are mutated (bytes flipped or set to 0x00/0xFF/'\n'/' ', cut short, a run repeated or
/// dropped, random bytes inserted) thousands of times, from a random seed each run (CsCheck prints it on a failure;
/// CsCheck_Seed repeats it). The only outcomes allowed are a load or the reader's own error,
/// <see cref="InvalidDataException"/>: never an IndexOutOfRange, an OutOfMemory, an access violation or a hang.
/// </summary>
public sealed class MutatedFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private void Check(string name, byte[] valid, Action<string> load, int cases) => Mutations.LoadOrRefuse(_dir.WriteBytes(name, valid), valid, load, cases);

    private static IdxImages Images()
    {
        var pixels = new byte[6 * 5 * 4];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 37 % 256);
        return new IdxImages(6, 5, 4, pixels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void IdxImagesAndLabels_OnlyLoadOrRefuse(bool gzip)
    {
        var images = _dir["seed-images"];
        IdxWriter.WriteImages(images, Images(), gzip);
        Check("images.idx", File.ReadAllBytes(images), path =>
        {
            var read = IdxReader.ReadImages(path);
            Assert.Equal((long)read.Count * read.Rows * read.Columns, read.Pixels.Length);
        }, 3000);

        var labels = _dir["seed-labels"];
        IdxWriter.WriteLabels(labels, [0, 1, 2, 9, 3, 4], gzip);
        Check("labels.idx", File.ReadAllBytes(labels), path => _ = IdxReader.ReadLabels(path), 3000);
    }

    // A small RGBA PNG with transparency, a gradient and a palette-friendly block, encoded by Skia itself.
    private static byte[] Png(int width = 9, int height = 7)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 28), (byte)(y * 36), (byte)((x + y) * 15), (byte)(x < 3 ? 0 : 255 - y * 20)));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public void Png_OnlyLoadsOrRefuses()
    {
        Check("image.png", Png(), path =>
        {
            var image = ImageLoader.Load(path, side: 8);
            Assert.Equal(3 * 8 * 8, image.Pixels.Length);
            Assert.All(image.Pixels, v => Assert.InRange(v, 0f, 1f));
        }, 2000);
    }

    [Fact]
    public void Png_WhoseHeaderAnnouncesAHugeImage_IsRefusedBeforeAllocating()
    {
        // A valid PNG whose IHDR (CRC recomputed, so the decoder accepts it) says 100,000 × 100,000 pixels: 40 GB of RGBA.
        var png = Png();
        WriteBigEndian(png, 16, 100_000);   // IHDR data starts at byte 16: width, then height
        WriteBigEndian(png, 20, 100_000);
        WriteBigEndian(png, 29, Crc32(png.AsSpan(12, 17)));   // the CRC covers "IHDR" and its 13 data bytes
        var path = _dir.WriteBytes("huge.png", png);
        var e = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(path, side: 8));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("100000×100000", e.Message, StringComparison.Ordinal);
    }

    private static void WriteBigEndian(byte[] bytes, int at, uint value) => System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), value);

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }

        return ~crc;
    }
}
