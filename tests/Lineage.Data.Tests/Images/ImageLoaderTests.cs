using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Lineage.Data.Images;

namespace Lineage.Data.Tests.Images;

public class ImageLoaderTests
{
    /// <summary>A PNG written chunk by chunk: signature, IHDR, optional PLTE/tRNS, IDAT (zlib of filter-0 rows), IEND.</summary>
    private static byte[] Png(int width, int height, byte colourType, byte[] rows, byte[]? palette = null, byte[]? transparency = null)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;            // bit depth
        ihdr[9] = colourType;   // 0 grey, 2 RGB, 3 palette, 6 RGBA
        Chunk(png, "IHDR", ihdr);
        if (palette is not null) Chunk(png, "PLTE", palette);
        if (transparency is not null) Chunk(png, "tRNS", transparency);
        using var z = new MemoryStream();
        using (var zlib = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(rows);
        Chunk(png, "IDAT", z.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        s.Write(header);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32([.. header.AsSpan(4).ToArray(), .. data]));
        s.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }

        return ~c;
    }

    // 2 × 1 palette image: entry 0 opaque red, entry 1 blue with alpha 0 (fully transparent).
    private static byte[] PalettePng() => Png(2, 1, 3, [0, 0, 1], palette: [255, 0, 0, 0, 0, 255], transparency: [255, 0]);

    [Fact]
    public void PalettePngWithTransparency_IsCompositedOnWhite()
    {
        using var dir = new TempDirectory();
        var image = ImageLoader.Load(dir.WriteBytes("p.png", PalettePng()));
        Assert.Equal((2, 1), (image.Width, image.Height));
        // Planar (3, H, W): red plane, green plane, blue plane.
        Assert.Equal([1f, 1f, 0f, 1f, 0f, 1f], image.Pixels);   // pixel 0 red; pixel 1 transparent → white
        var onBlack = ImageLoader.Load(dir["p.png"], background: 0f);
        Assert.Equal([1f, 0f, 0f, 0f, 0f, 0f], onBlack.Pixels);
    }

    [Fact]
    public void LoadRgba_KeepsTransparency_WithStraightAlpha()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteBytes("p.png", PalettePng());
        var big = ImageLoader.LoadRgba(path, 8);
        Assert.Equal(8 * 8 * 4, big.Length);
        Assert.Equal(255, big[3]);                                  // left edge: the opaque red pixel
        Assert.Equal(0, big[(8 * 8 - 1) * 4 + 3]);                  // right edge: the transparent one
        Assert.Equal(255, big[0]);                                  // straight alpha: full red where it is opaque
    }

    [Fact]
    public void GreyPng_BecomesRgbWithEqualChannels()
    {
        using var dir = new TempDirectory();
        var image = ImageLoader.Load(dir.WriteBytes("g.png", Png(2, 1, 0, [0, 0, 255])));
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 1f], image.Pixels);
    }

    [Fact]
    public void Resize_GivesTheRequestedSide()
    {
        using var dir = new TempDirectory();
        var image = ImageLoader.Load(dir.WriteBytes("p.png", PalettePng()), side: 8);
        Assert.Equal((8, 8), (image.Width, image.Height));
        Assert.Equal(3 * 64, image.Pixels.Length);
        Assert.All(image.Pixels, v => Assert.InRange(v, -0.01f, 1.01f));
    }

    [Fact]
    public void TruncatedPng_ThrowsNamingTheFile()
    {
        using var dir = new TempDirectory();
        var bytes = Png(16, 16, 2, [.. Enumerable.Range(0, 16).SelectMany(_ => new byte[1 + 48])]);
        var path = dir.WriteBytes("cut.png", bytes[..(bytes.Length - 30)]);
        var e = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(path));
        Assert.Contains("cut.png", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NotAnImage_ThrowsNamingTheFile()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteText("fake.png", "this is not a PNG");
        var e = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(path));
        Assert.Contains("fake.png", e.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => ImageLoader.Load(dir["missing.png"]));
    }

    [Fact]
    public void EmptyFolder_ThrowsSayingSo()
    {
        using var dir = new TempDirectory();
        dir.WriteText("notes.txt", "no images here");
        var e = Assert.Throws<InvalidDataException>(() => ImageLoader.ListFolder(dir.Path));
        Assert.Contains("no image files", e.Message, StringComparison.Ordinal);
        dir.WriteBytes("b.png", PalettePng());
        dir.WriteBytes("a.PNG", PalettePng());
        Assert.Equal(["a.PNG", "b.png"], ImageLoader.ListFolder(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void RealTwemoji_PaletteImagesDecode_AndCaptionsHaveCategories()
    {
        if (RealData.Folder("twemoji") is not { } folder) return;
        var emoji = Twemoji.Read(folder);
        Assert.True(emoji.Count >= 1900, $"{emoji.Count} emoji");
        Assert.Equal(10, emoji.Select(e => e.Category).Distinct().Count());
        var hash = emoji.Single(e => e.Image == "0023-fe0f-20e3.png");             // a palette PNG (colour type 3 + tRNS)
        Assert.Equal("hash key. symbols, keycap", hash.Caption);
        var image = ImageLoader.Load(Twemoji.ImagePath(folder, hash.Image));
        Assert.Equal((64, 64), (image.Width, image.Height));
        Assert.Equal(1f, image.Pixels[0], 3);                                       // transparent corner → white
    }
}
