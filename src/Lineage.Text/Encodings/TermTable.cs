using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lineage.Text.Encodings;

/// <summary>
/// A hash table from terms to dense ids (0, 1, 2, … in order of insertion), looked up by span, allocating nothing per
/// term: the characters of long terms live in one arena. Open addressing with linear probing in 32-byte slots that
/// hold the hash, the id and, for terms of up to <see cref="InlineChars"/> characters (most words), the characters
/// themselves, so a lookup usually touches one cache line. The hash folds sixteen bytes at a time.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A table lives as long as the vocabulary that owns it; its slots' finalizer frees them.")]
internal sealed unsafe class TermTable
{
    /// <summary>Terms up to this long are compared inside the slot.</summary>
    public const int InlineChars = 10;

    // The length of a removed term's slot: no key matches it, and probing goes on past it.
    private const int Tombstone = -1;

    private HugePageArray<Slot> _slots;   // native, in huge pages where the system allows: see HugePageArray
    private int[] _starts = new int[256];   // id → arena offset; terms sit in the arena in id order, so id + 1 starts where id ends
    private HugePageArray<char> _arena = new(4096);
    private int _used;

    public TermTable(int capacity = 1024)
    {
        _slots = new HugePageArray<Slot>((int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacity * 2)));
    }

    public int Count { get; private set; }

    /// <summary>The characters of term <paramref name="id"/>: native memory, valid while the table lives and is not changed.</summary>
    public ReadOnlySpan<char> Term(int id) => _arena.AsSpan(_starts[id], (id + 1 < Count ? _starts[id + 1] : _used) - _starts[id]);

    /// <summary>The sort keys of terms <paramref name="ids"/> at <paramref name="offset"/> (see <see cref="CountVectorizer.CodePointKey"/>), read from the table's characters directly.</summary>
    public void CodePointKeys(ReadOnlySpan<int> ids, int offset, Span<ulong> keys)
    {
        char* arena = _arena.Pointer;
        var starts = _starts;
        int last = Count - 1;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i], start = starts[id], end = id < last ? starts[id + 1] : _used;
            keys[i] = CountVectorizer.CodePointKey(new ReadOnlySpan<char>(arena + start, end - start), offset);
        }

        GC.KeepAlive(this);
    }

    /// <summary>Whether any term holds U+0000.</summary>
    public bool HoldsNul => _arena.AsSpan(0, _used).Contains('\0');

    public string TermString(int id)
    {
        var term = new string(Term(id));
        GC.KeepAlive(this);
        return term;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ReadOnlySpan<char> key) => Find(key, Hash(key));

    /// <summary>As <see cref="Find(ReadOnlySpan{char})"/>, with the key's <see cref="Hash"/> already computed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ReadOnlySpan<char> key, int hash)
    {
        int id = _slots.Pointer[Probe(key, hash)].IdPlusOne - 1;
        GC.KeepAlive(this);   // the slots are native memory that the finalizer frees once the table is unreachable
        return id;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetOrAdd(ReadOnlySpan<char> key) => GetOrAdd(key, Hash(key));

    /// <summary>As <see cref="GetOrAdd(ReadOnlySpan{char})"/>, with the key's <see cref="Hash"/> already computed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetOrAdd(ReadOnlySpan<char> key, int hash)
    {
        int slot = Probe(key, hash);
        int idPlusOne = _slots.Pointer[slot].IdPlusOne;
        int id = idPlusOne != 0 ? idPlusOne - 1 : Add(key, hash, slot);
        GC.KeepAlive(this);
        return id;
    }

    /// <summary>
    /// Asks the processor to start loading the slot a key with this hash starts probing at, so that a lookup a few
    /// terms later finds it in cache (most misses are rare terms scattered over a table larger than the caches). Only
    /// a hint: a no-op without SSE, and harmless if the table has grown since.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(int hash)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            var slots = _slots;
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(slots.Pointer + (hash & (slots.Length - 1)));
        }
    }

    // The slot holding `key`, or the empty slot where it would go.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Probe(ReadOnlySpan<char> key, int hash)
    {
        Slot* slots = _slots.Pointer;
        int mask = _slots.Length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            ref var s = ref slots[i];
            if (s.IdPlusOne == 0) return i;
            if (s.Hash != hash || s.Length != key.Length) continue;
            if (key.Length <= InlineChars ? InlineEquals(key, ref s.Inline[0]) : key.SequenceEqual(new ReadOnlySpan<char>(_arena.Pointer + _starts[s.IdPlusOne - 1], key.Length))) return i;
        }
    }

    // Whether a key of up to InlineChars (10) characters equals the first key.Length characters of a slot: two or
    // three overlapping 8-byte reads, or two 4-byte ones, instead of a call to SequenceEqual.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InlineEquals(ReadOnlySpan<char> key, ref char stored)
    {
        ref byte a = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(key));
        ref byte b = ref Unsafe.As<char, byte>(ref stored);
        nuint n = (nuint)key.Length * 2;
        if (n >= 8)
        {
            bool ends = Unsafe.ReadUnaligned<ulong>(ref a) == Unsafe.ReadUnaligned<ulong>(ref b)
                        && Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref a, n - 8)) == Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, n - 8));
            return ends && (n <= 16 || Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref a, 8)) == Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, 8)));
        }

        if (n >= 4)
        {
            return Unsafe.ReadUnaligned<uint>(ref a) == Unsafe.ReadUnaligned<uint>(ref b)
                   && Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref a, n - 4)) == Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, n - 4));
        }

        return n == 0 || Unsafe.ReadUnaligned<ushort>(ref a) == Unsafe.ReadUnaligned<ushort>(ref b);
    }

    private int Add(ReadOnlySpan<char> key, int hash, int slot)
    {
        int id = Count;
        if (id == _starts.Length) Array.Resize(ref _starts, id * 2);

        if (_used + key.Length > _arena.Length)
        {
            // The old characters are freed only after the key is copied: the key may be a term of this very table.
            var old = _arena;
            _arena = old.CopyTo(Math.Max(old.Length * 2, _used + key.Length), _used);
            key.CopyTo(_arena.AsSpan(_used, key.Length));
            old.Dispose();
        }
        else
        {
            key.CopyTo(_arena.AsSpan(_used, key.Length));
        }

        _starts[id] = _used;
        _used += key.Length;
        ref var s = ref _slots.Pointer[slot];
        s.Hash = hash;
        s.IdPlusOne = id + 1;
        s.Length = key.Length;
        if (key.Length <= InlineChars) key.CopyTo(s.Inline);
        Count = id + 1;
        if (Count * 2 > _slots.Length) Grow();
        return id;
    }

    /// <summary>
    /// Renumbers the table in place: term <c>id</c> becomes <c>column[id]</c> (0 … <paramref name="count"/> − 1, each
    /// used once), and terms whose column is negative are removed (their slots become tombstones that never match, so
    /// probe chains stay intact). No term is hashed or compared again; the characters are laid out anew in column order.
    /// </summary>
    public void Renumber(int[] column, int count)
    {
        var starts = new int[Math.Max(1, count)];
        var lengths = new int[Math.Max(1, count)];
        for (int id = 0; id < Count; id++)
        {
            if (column[id] >= 0) lengths[column[id]] = Term(id).Length;
        }

        int used = 0;
        for (int c = 0; c < count; c++)
        {
            starts[c] = used;
            used += lengths[c];
        }

        var arena = new HugePageArray<char>(Math.Max(16, used));
        for (int id = 0; id < Count; id++)
        {
            if (column[id] >= 0) Term(id).CopyTo(arena.AsSpan(starts[column[id]], lengths[column[id]]));
        }

        foreach (ref var s in _slots.AsSpan())
        {
            if (s.IdPlusOne == 0 || s.Length == Tombstone) continue;
            int c = column[s.IdPlusOne - 1];
            if (c >= 0) s.IdPlusOne = c + 1;
            else s.Length = Tombstone;
        }

        _starts = starts;
        _arena.Dispose();
        _arena = arena;
        _used = used;
        Count = count;
    }

    private void Grow()
    {
        var bigger = new HugePageArray<Slot>(_slots.Length * 2);
        Slot* slots = bigger.Pointer;
        int mask = bigger.Length - 1;
        foreach (ref readonly var s in _slots.AsSpan())
        {
            if (s.IdPlusOne == 0 || s.Length == Tombstone) continue;
            int i = s.Hash & mask;
            while (slots[i].IdPlusOne != 0) i = (i + 1) & mask;
            slots[i] = s;
        }

        _slots.Dispose();   // at once: its pages go back to the system for the next table
        _slots = bigger;
    }

    // A wyhash-style hash: each 16 bytes are folded by one 64 × 64 → 128-bit multiply (high half xor low half), so a
    // word of up to eight characters costs one multiply; the reads overlap instead of looping over a tail.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Hash(ReadOnlySpan<char> key)
    {
        const ulong K0 = 0xA0761D6478BD642FUL, K1 = 0xE7037ED1A0B428DBUL, K2 = 0x8EBC6AF09C88C6E3UL;
        var bytes = MemoryMarshal.AsBytes(key);
        int n = bytes.Length;
        ulong a, b, seed = K0 ^ (uint)n;
        if (n <= 16)
        {
            if (n >= 8)
            {
                a = MemoryMarshal.Read<ulong>(bytes);
                b = MemoryMarshal.Read<ulong>(bytes[(n - 8)..]);
            }
            else if (n >= 4)
            {
                a = MemoryMarshal.Read<uint>(bytes);
                b = MemoryMarshal.Read<uint>(bytes[(n - 4)..]);
            }
            else
            {
                a = n >= 2 ? MemoryMarshal.Read<ushort>(bytes) : 0UL;
                b = 0;
            }
        }
        else
        {
            int i = 0;
            for (; n - i > 16; i += 16) seed = Fold(MemoryMarshal.Read<ulong>(bytes[i..]) ^ K1, MemoryMarshal.Read<ulong>(bytes[(i + 8)..]) ^ seed);
            a = MemoryMarshal.Read<ulong>(bytes[(n - 16)..]);
            b = MemoryMarshal.Read<ulong>(bytes[(n - 8)..]);
        }

        ulong h = Fold(a ^ K1, b ^ seed);
        h = Fold(h ^ K2, (uint)n ^ K1);
        return (int)(h ^ (h >> 32));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Fold(ulong a, ulong b)
    {
        ulong high = Math.BigMul(a, b, out ulong low);
        return high ^ low;
    }

    [InlineArray(InlineChars)]
    private struct InlineKey
    {
        private char _first;
    }

    // 4 + 4 + 4 + 2 × 10 = 32 bytes: two slots per cache line.
    private struct Slot
    {
        public int Hash;
        public int IdPlusOne;
        public int Length;
        public InlineKey Inline;
    }
}
