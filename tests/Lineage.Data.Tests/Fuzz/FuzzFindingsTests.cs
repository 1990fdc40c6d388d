using System.Buffers.Binary;
using Lineage.Data.Idx;

namespace Lineage.Data.Tests.Fuzz;

/// <summary>What afl-fuzz found in the data readers (tools/fuzz.sh, docs/reliability.md "Fuzzing").</summary>
public sealed class FuzzFindingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-data-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(14_944_000, 1_744_830_464, 16_900_855)]   // the product wrapped negative, its low 32 bits 0: ArgumentException
    [InlineData(2_147_483_647, 2_147_483_647, 2_147_483_647)]
    public void Idx_DimensionsWhoseProductOverflowsALong_AreRefused(int count, int rows, int columns)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), columns);
        var path = Path.Combine(_dir, "images-idx3-ubyte");
        File.WriteAllBytes(path, header);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
    }
}
