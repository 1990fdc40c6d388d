using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Lineage.Data.Corpora;

/// <summary>A value read from R's serialisation format: only the kinds a data package's vectors are made of.</summary>
/// <param name="Attributes">Attributes by name (e.g. <c>names</c>, <c>class</c>), empty when there are none.</param>
public abstract record RValue(IReadOnlyDictionary<string, RValue> Attributes)
{
    /// <summary>The <c>names</c> attribute, or null.</summary>
    public IReadOnlyList<string?>? Names => Attributes.TryGetValue("names", out var n) && n is RStrings s ? s.Values : null;
}

/// <summary><c>NULL</c> (and the environments and special values a data vector never needs).</summary>
public sealed record RNull() : RValue(RAttributes.None)
{
    /// <summary>The one instance.</summary>
    public static RNull Value { get; } = new();
}

/// <summary>A symbol (a name).</summary>
public sealed record RSymbol(string Name) : RValue(RAttributes.None);

/// <summary>A character vector; <c>NA</c> is null.</summary>
public sealed record RStrings(string?[] Values, IReadOnlyDictionary<string, RValue> Attributes) : RValue(Attributes);

/// <summary>An integer or logical vector (<c>NA</c> is <see cref="int.MinValue"/>).</summary>
public sealed record RIntegers(int[] Values, bool Logical, IReadOnlyDictionary<string, RValue> Attributes) : RValue(Attributes);

/// <summary>A double vector.</summary>
public sealed record RDoubles(double[] Values, IReadOnlyDictionary<string, RValue> Attributes) : RValue(Attributes);

/// <summary>A generic vector (<c>list</c>) or a pairlist, element by element.</summary>
public sealed record RList(RValue[] Items, IReadOnlyList<string?>? Tags, IReadOnlyDictionary<string, RValue> Attributes) : RValue(Attributes);

internal static class RAttributes
{
    public static readonly IReadOnlyDictionary<string, RValue> None = new Dictionary<string, RValue>();
}

/// <summary>
/// Reads an R package's lazy-load database (<c>data/Rdata.rdx</c> + <c>data/Rdata.rdb</c>, what <c>LazyData: true</c>
/// installs) in pure C#, so that text shipped in R data packages (Jane Austen's novels in <c>janeaustenr</c>,
/// <i>Moby Dick</i> in <c>tokenizers</c>) needs no R. The index (<c>.rdx</c>) is a gzipped serialised list whose
/// <c>variables</c> element maps each object's name to (offset, length) in the <c>.rdb</c>; there each object is a
/// 4-byte big-endian uncompressed size and a zlib stream of the serialised object. The serialisation is R's XDR
/// format (versions 2 and 3): big-endian integers and doubles, items introduced by a flags word (type, attribute and
/// tag bits, and a reference index for symbols seen before).
/// </summary>
public sealed class RLazyLoadDb
{
    private readonly string _rdb;
    private readonly Dictionary<string, (int Offset, int Length)> _variables = new(StringComparer.Ordinal);

    private RLazyLoadDb(string rdb) => _rdb = rdb;

    /// <summary>The objects' names, in the index's order.</summary>
    public IReadOnlyCollection<string> Names => _variables.Keys;

    /// <summary>Opens the database <c>{folder}/{name}.rdx</c> + <c>.rdb</c> (<paramref name="name"/> is usually <c>Rdata</c>).</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">The index is not a lazy-load index.</exception>
    public static RLazyLoadDb Open(string folder, string name = "Rdata")
    {
        string rdx = Path.Combine(folder, name + ".rdx"), rdb = Path.Combine(folder, name + ".rdb");
        foreach (var path in new[] { rdx, rdb })
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found (an R lazy-load database)", path);
        var db = new RLazyLoadDb(rdb);
        using var gz = new GZipStream(File.OpenRead(rdx), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        try
        {
            gz.CopyTo(plain);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{rdx}: not a gzipped R index ({e.Message})", e);
        }

        var index = RSerialization.Read(plain.ToArray(), rdx);
        if (index is not RList { Names: { } names } list || IndexOf(names, "variables") is not (>= 0 and var v) || list.Items[v] is not RList variables)
            throw new InvalidDataException($"{rdx}: not a lazy-load index (no 'variables' list)");
        if (IndexOf(names, "compressed") is >= 0 and var c && list.Items[c] is RIntegers { Values: [var kind] } && kind is not 1)
            throw new InvalidDataException($"{rdx}: objects compressed with method {kind} (bzip2 or xz); only zlib (the default) is read");
        var keys = variables.Names ?? throw new InvalidDataException($"{rdx}: the variables have no names");
        for (int i = 0; i < variables.Items.Length; i++)
        {
            if (variables.Items[i] is not RIntegers { Values: [var offset, var length] } || keys[i] is not { } key || offset < 0 || length < 4)
                throw new InvalidDataException($"{rdx}: entry {i} of 'variables' is not an (offset, length) pair");
            db._variables[key] = (offset, length);
        }

        return db;
    }

    private static int IndexOf(IReadOnlyList<string?> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] == name) return i;
        }

        return -1;
    }

    /// <summary>Reads one object.</summary>
    /// <exception cref="KeyNotFoundException">No object of that name (the message lists those there are).</exception>
    /// <exception cref="InvalidDataException">The stored bytes are cut short, do not decompress to their recorded size, or do not parse.</exception>
    public RValue Read(string name)
    {
        if (!_variables.TryGetValue(name, out var at))
            throw new KeyNotFoundException($"{_rdb}: no object '{name}' (it has {string.Join(", ", _variables.Keys)})");
        using var file = File.OpenRead(_rdb);
        if ((long)at.Offset + at.Length > file.Length)
            throw new InvalidDataException($"{_rdb}: object '{name}' at bytes {at.Offset}..{(long)at.Offset + at.Length} is past the end ({file.Length} bytes)");
        var chunk = new byte[at.Length];
        file.Position = at.Offset;
        file.ReadExactly(chunk);
        int size = BinaryPrimitives.ReadInt32BigEndian(chunk);
        var plain = new byte[size];
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(chunk, 4, chunk.Length - 4), CompressionMode.Decompress);
            zlib.ReadExactly(plain);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new InvalidDataException($"{_rdb}: object '{name}' does not decompress to its recorded {size:N0} bytes ({e.Message})", e);
        }

        return RSerialization.Read(plain, $"{_rdb} ('{name}')");
    }

    /// <summary>Reads a character vector.</summary>
    /// <exception cref="InvalidDataException">The object is not a character vector.</exception>
    public string?[] ReadStrings(string name) => Read(name) is RStrings s
        ? s.Values
        : throw new InvalidDataException($"{_rdb}: object '{name}' is not a character vector");
}

/// <summary>R's XDR serialisation (<c>serialize(x, NULL)</c>, <c>saveRDS</c> without compression), versions 2 and 3.</summary>
internal sealed class RSerialization
{
    // SEXP types and the special items of the format (R's serialize.c).
    private const int SymSxp = 1, ListSxp = 2, CloSxp = 3, EnvSxp = 4, PromSxp = 5, LangSxp = 6, CharSxp = 9, LglSxp = 10, IntSxp = 13,
        RealSxp = 14, StrSxp = 16, DotSxp = 17, VecSxp = 19, ExprSxp = 20;
    private const int RefSxp = 255, NilValueSxp = 254, GlobalEnvSxp = 253, UnboundValueSxp = 252, MissingArgSxp = 251, BaseNamespaceSxp = 250,
        EmptyEnvSxp = 242, BaseEnvSxp = 241, AltRepSxp = 238;

    private readonly byte[] _data;
    private readonly string _source;
    private readonly List<RValue> _references = [];
    private int _at;

    private RSerialization(byte[] data, string source)
    {
        _data = data;
        _source = source;
    }

    /// <summary>Parses one serialised object.</summary>
    /// <exception cref="InvalidDataException">Not R's XDR format, cut short, or a kind of item data vectors do not hold.</exception>
    public static RValue Read(byte[] data, string source)
    {
        var reader = new RSerialization(data, source);
        if (data.Length < 14 || data[0] != (byte)'X' || data[1] != (byte)'\n')
            throw new InvalidDataException($"{source}: not R's XDR serialisation format (it starts with neither 'X\\n' nor enough bytes)");
        reader._at = 2;
        int version = reader.Int();
        reader.Int();   // the writer's R version
        reader.Int();   // the oldest R that reads it
        if (version == 3) reader.Bytes(reader.Int());   // the native encoding's name
        else if (version != 2) throw new InvalidDataException($"{source}: serialisation version {version}; versions 2 and 3 are read");
        return reader.Item();
    }

    private RValue Item()
    {
        int flags = Int();
        int type = flags & 0xFF, levels = flags >> 12;
        bool hasAttributes = (flags & (1 << 9)) != 0;
        switch (type)
        {
            case NilValueSxp or GlobalEnvSxp or UnboundValueSxp or MissingArgSxp or BaseNamespaceSxp or EmptyEnvSxp or BaseEnvSxp:
                return RNull.Value;
            case RefSxp:
            {
                int index = flags >> 8 is var packed and not 0 ? packed : Int();   // the index is packed above the type byte
                if (index < 1 || index > _references.Count) throw Bad($"a reference to item {index} of {_references.Count}");
                return _references[index - 1];
            }

            case SymSxp:
            {
                var name = Item() is RStrings { Values: [var s] } ? s ?? "NA" : throw Bad("a symbol whose name is not a string");
                var symbol = new RSymbol(name);
                _references.Add(symbol);
                return symbol;
            }

            case EnvSxp:
            {
                Int();   // locked
                var placeholder = RNull.Value;
                _references.Add(placeholder);
                Item();  // enclosing environment
                Item();  // frame
                Item();  // hash table
                Item();  // attributes
                return placeholder;
            }

            case ListSxp or LangSxp or CloSxp or PromSxp or DotSxp:
                return PairList(flags);
            case CharSxp:
            {
                // The levels say the encoding: LATIN1 (4) is decoded as such, everything else (UTF8, ASCII, native) as UTF-8.
                int length = Int();
                var text = length == -1 ? null : (levels & 4) != 0 ? Encoding.Latin1.GetString(Bytes(length)) : Encoding.UTF8.GetString(Bytes(length));
                return new RStrings([text], RAttributes.None);
            }

            case LglSxp or IntSxp:
            {
                var values = new int[Length()];
                for (int i = 0; i < values.Length; i++) values[i] = Int();
                return new RIntegers(values, type == LglSxp, Attributes(hasAttributes));
            }

            case RealSxp:
            {
                var values = new double[Length()];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadDoubleBigEndian(Bytes(8));
                }

                return new RDoubles(values, Attributes(hasAttributes));
            }

            case StrSxp:
            {
                var values = new string?[Length()];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = Item() is RStrings { Values: [var s] } ? s : throw Bad($"element {i} of a character vector is not a string");
                }

                return new RStrings(values, Attributes(hasAttributes));
            }

            case VecSxp or ExprSxp:
            {
                var items = new RValue[Length()];
                for (int i = 0; i < items.Length; i++) items[i] = Item();
                return new RList(items, null, Attributes(hasAttributes));
            }

            case AltRepSxp:
                throw Bad("an ALTREP object (a compact or deferred vector), which data packages do not store");
            default:
                throw Bad($"an item of type {type}, which is not a data vector");
        }
    }

    // A pairlist (attributes, tag, CAR, then the CDR), read iteratively so long lists do not recurse.
    private RList PairList(int flags)
    {
        var items = new List<RValue>();
        var tags = new List<string?>();
        IReadOnlyDictionary<string, RValue>? attributes = null;
        while (true)
        {
            bool hasAttributes = (flags & (1 << 9)) != 0, hasTag = (flags & (1 << 10)) != 0;
            var cellAttributes = hasAttributes ? ToAttributes(Item()) : RAttributes.None;
            attributes ??= cellAttributes;
            tags.Add(hasTag ? Item() is RSymbol symbol ? symbol.Name : null : null);
            items.Add(Item());
            int next = Int();
            int type = next & 0xFF;
            if (type is ListSxp or LangSxp or CloSxp or PromSxp or DotSxp)
            {
                flags = next;
                continue;
            }

            if (type != NilValueSxp)
            {
                _at -= 4;
                items.Add(Item());   // an improper list: keep its last CDR as one more element
                tags.Add(null);
            }

            return new RList([.. items], tags, attributes);
        }
    }

    private IReadOnlyDictionary<string, RValue> Attributes(bool present) => present ? ToAttributes(Item()) : RAttributes.None;

    private static IReadOnlyDictionary<string, RValue> ToAttributes(RValue list)
    {
        if (list is not RList { Tags: { } tags } pairs) return RAttributes.None;
        var attributes = new Dictionary<string, RValue>(StringComparer.Ordinal);
        for (int i = 0; i < pairs.Items.Length; i++)
        {
            if (tags[i] is { } tag) attributes[tag] = pairs.Items[i];
        }

        return attributes;
    }

    private int Length()
    {
        int length = Int();
        if (length != -1) return length >= 0 ? length : throw Bad($"a vector of length {length}");
        long upper = (uint)Int(), lower = (uint)Int();
        long full = (upper << 32) | lower;
        return full <= Array.MaxLength ? (int)full : throw Bad($"a vector of {full:N0} elements, longer than .NET arrays");
    }

    private int Int() => BinaryPrimitives.ReadInt32BigEndian(Bytes(4));

    private ReadOnlySpan<byte> Bytes(int count)
    {
        if (count < 0 || _at + (long)count > _data.Length) throw Bad($"{count} more bytes at offset {_at} of {_data.Length}");
        var span = _data.AsSpan(_at, count);
        _at += count;
        return span;
    }

    private InvalidDataException Bad(string what) => new($"{_source}: malformed R serialisation: {what}");
}
