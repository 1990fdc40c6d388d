using CsCheck;

namespace Lineage.Tests.Fuzz;

/// <summary>
/// Mutations of a valid file for the readers' property tests (issue 29): bytes flipped or set to ones that matter to
/// parsers (0x00, 0xFF, newline, space, '-', '9', '"', '#'), the file cut short, a run repeated or dropped, random bytes
/// inserted. Shared by the Text and Neural test projects (linked source).
/// </summary>
internal static class Mutations
{
    private static readonly byte[] Special = [0x00, 0xFF, (byte)'\n', (byte)' ', (byte)'-', (byte)'9', (byte)'"', (byte)'#'];

    /// <summary>A mutation of <paramref name="valid"/>: one to three edits.</summary>
    public static Gen<byte[]> Of(byte[] valid)
    {
        var edit = Gen.Select(Gen.Int[0, 6], Gen.Int[0, Math.Max(0, valid.Length - 1)], Gen.Int[1, 16], Gen.Byte);
        return edit.Array[1, 3].Select(edits =>
        {
            var bytes = new List<byte>(valid);
            foreach (var (kind, at0, length, value) in edits)
            {
                if (bytes.Count == 0) break;
                int at = Math.Min(at0, bytes.Count - 1);
                switch (kind)
                {
                    case 0: bytes[at] ^= (byte)(1 << (value % 8)); break;                                            // flip a bit
                    case 1: bytes[at] = Special[value % Special.Length]; break;                                      // a byte that matters
                    case 2: bytes.RemoveRange(at, bytes.Count - at); break;                                          // cut short
                    case 3: bytes.InsertRange(at, bytes.Skip(at).Take(length).ToList()); break;                      // repeat a run
                    case 4: bytes.RemoveRange(at, Math.Min(length, bytes.Count - at)); break;                        // drop a run
                    case 5: bytes.InsertRange(at, Enumerable.Repeat(value, length)); break;                          // insert bytes
                    default: bytes[at] = value; break;                                                               // any byte
                }
            }

            return bytes.ToArray();
        });
    }

    /// <summary>
    /// The readers' property: <paramref name="valid"/> written to <paramref name="path"/> loads, and of
    /// <paramref name="cases"/> mutations of it each either loads or is refused with the reader's own
    /// <see cref="InvalidDataException"/> — whose message starts with the path when <paramref name="namesFile"/>.
    /// A <paramref name="seed"/> repeats a run; without one every run draws new cases (CsCheck prints the seed of a failure).
    /// </summary>
    public static void LoadOrRefuse(string path, byte[] valid, Action<string> load, int cases, string? seed = null, bool namesFile = true)
    {
        File.WriteAllBytes(path, valid);
        load(path);   // the unmutated file loads
        Of(valid).Sample(bytes =>
        {
            File.WriteAllBytes(path, bytes);
            try
            {
                load(path);
            }
            catch (InvalidDataException e)
            {
                if (namesFile) Xunit.Assert.StartsWith(path, e.Message, StringComparison.Ordinal);   // the error names the file
            }
        }, iter: cases, threads: 1, seed: seed);
    }
}
