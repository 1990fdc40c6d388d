using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lineage.Text.Encodings;

/// <summary>
/// A hash table from terms to dense ids (0, 1, 2, … in order of insertion), looked up by span, allocating nothing per
/// term: the characters of long terms live in one arena. Open addressing with linear probing in 32-byte slots that
/// hold the hash, the id and, for terms of up to <see cref="InlineChars"/> characters (most words), the characters
/// themselves, so a lookup usually touches one cache line. The hash reads eight bytes at a time.
/// </summary>
internal sealed class TermTable
{
    /// <summary>Terms up to this long are compared inside the slot.</summary>
    public const int InlineChars = 10;

    private Slot[] _slots;
    private int[] _starts = new int[256];   // id → arena offset; terms sit in the arena in id order, so id + 1 starts where id ends
    private char[] _arena = new char[4096];
    private int _used;

    public TermTable(int capacity = 1024)
    {
        _slots = new Slot[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacity * 2))];
    }

    public int Count { get; private set; }

    public ReadOnlySpan<char> Term(int id) => _arena.AsSpan(_starts[id], (id + 1 < Count ? _starts[id + 1] : _used) - _starts[id]);

    public string TermString(int id) => new(Term(id));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ReadOnlySpan<char> key) => _slots[Probe(key, Hash(key))].IdPlusOne - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetOrAdd(ReadOnlySpan<char> key)
    {
        int hash = Hash(key);
        int slot = Probe(key, hash);
        int idPlusOne = _slots[slot].IdPlusOne;
        return idPlusOne != 0 ? idPlusOne - 1 : Add(key, hash, slot);
    }

    // The slot holding `key`, or the empty slot where it would go.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Probe(ReadOnlySpan<char> key, int hash)
    {
        var slots = _slots;
        int mask = slots.Length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            ref var s = ref slots[i];
            if (s.IdPlusOne == 0) return i;
            if (s.Hash != hash || s.Length != key.Length) continue;
            var stored = key.Length <= InlineChars
                ? MemoryMarshal.CreateReadOnlySpan(ref s.Inline[0], key.Length)
                : _arena.AsSpan(_starts[s.IdPlusOne - 1], key.Length);
            if (key.SequenceEqual(stored)) return i;
        }
    }

    private int Add(ReadOnlySpan<char> key, int hash, int slot)
    {
        int id = Count;
        if (id == _starts.Length) Array.Resize(ref _starts, id * 2);

        if (_used + key.Length > _arena.Length) Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _used + key.Length));
        key.CopyTo(_arena.AsSpan(_used));
        _starts[id] = _used;
        _used += key.Length;
        ref var s = ref _slots[slot];
        s.Hash = hash;
        s.IdPlusOne = id + 1;
        s.Length = key.Length;
        if (key.Length <= InlineChars) key.CopyTo(s.Inline);
        Count = id + 1;
        if (Count * 2 > _slots.Length) Grow();
        return id;
    }

    /// <summary>
    /// A table of the terms with <c>column[id] ≥ 0</c>, whose ids are those columns (0 … <paramref name="count"/> − 1,
    /// each used once). Slots move with their stored hashes: no term is hashed or compared again.
    /// </summary>
    public TermTable Renumber(int[] column, int count)
    {
        var table = new TermTable(count);
        var starts = new int[Math.Max(1, count)];
        var lengths = new int[Math.Max(1, count)];
        int used = 0;
        for (int id = 0; id < Count; id++)
        {
            int c = column[id];
            if (c < 0) continue;
            lengths[c] = Term(id).Length;
        }

        for (int c = 0; c < count; c++)
        {
            starts[c] = used;
            used += lengths[c];
        }

        var arena = new char[Math.Max(16, used)];
        int mask = table._slots.Length - 1;
        foreach (ref readonly var s in _slots.AsSpan())
        {
            if (s.IdPlusOne == 0) continue;
            int c = column[s.IdPlusOne - 1];
            if (c < 0) continue;
            Term(s.IdPlusOne - 1).CopyTo(arena.AsSpan(starts[c]));
            int i = s.Hash & mask;
            while (table._slots[i].IdPlusOne != 0) i = (i + 1) & mask;
            table._slots[i] = s;
            table._slots[i].IdPlusOne = c + 1;
        }

        table._starts = starts;
        table._arena = arena;
        table._used = used;
        table.Count = count;
        return table;
    }

    private void Grow()
    {
        var slots = new Slot[_slots.Length * 2];
        int mask = slots.Length - 1;
        foreach (ref readonly var s in _slots.AsSpan())
        {
            if (s.IdPlusOne == 0) continue;
            int i = s.Hash & mask;
            while (slots[i].IdPlusOne != 0) i = (i + 1) & mask;
            slots[i] = s;
        }

        _slots = slots;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Hash(ReadOnlySpan<char> key)
    {
        var bytes = MemoryMarshal.AsBytes(key);
        int n = bytes.Length;
        ulong h = 0x9E3779B97F4A7C15UL ^ (ulong)n;
        if (n >= 8)
        {
            int i = 0;
            for (; i + 8 <= n; i += 8) h = Mix(h, MemoryMarshal.Read<ulong>(bytes[i..]));
            if (i < n) h = Mix(h, MemoryMarshal.Read<ulong>(bytes[(n - 8)..])); // the last 8 bytes, overlapping
        }
        else if (n >= 4)
        {
            h = Mix(h, ((ulong)MemoryMarshal.Read<uint>(bytes) << 32) | MemoryMarshal.Read<uint>(bytes[(n - 4)..]));
        }
        else if (n >= 2)
        {
            h = Mix(h, MemoryMarshal.Read<ushort>(bytes));
        }

        h ^= h >> 32;
        h *= 0x94D049BB133111EBUL;
        return (int)(h >> 33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong h, ulong v)
    {
        h = (h ^ v) * 0xBF58476D1CE4E5B9UL;
        return h ^ (h >> 29);
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
