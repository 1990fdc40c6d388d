using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace Lineage.Text.Tokenization;

/// <summary>
/// scikit-learn's default token pattern, <c>(?u)\b\w\w+\b</c>: every maximal run of word characters (Python's <c>\w</c>)
/// at least two code points long. <see cref="Scan(ReadOnlySpan{char}, AnalyzerBuffers)"/> classifies 64 UTF-16 units at a time with vector compares (ASCII
/// windows; windows with other characters are classified one unit at a time) and finds the runs from the bit mask;
/// <see cref="ScanScalar"/> is the straightforward reference it is tested against.
/// </summary>
internal static class DefaultTokenScanner
{
    private const int Window = 64;

    /// <summary>Appends the (start, length) of every token of <paramref name="text"/> to <paramref name="b"/>.</summary>
    public static void Scan(ReadOnlySpan<char> text, AnalyzerBuffers b) => Scan(text, b, Vector512.IsHardwareAccelerated);

    /// <summary>As <see cref="Scan(ReadOnlySpan{char}, AnalyzerBuffers)"/>, with 512-bit vectors (<paramref name="wide"/>, only where the processor has them) or 128-bit ones.</summary>
    internal static void Scan(ReadOnlySpan<char> text, AnalyzerBuffers b, bool wide)
    {
        int n = text.Length, runStart = -1, count = b.TokenCount;
        ulong previous = 0;   // 1 when the unit before the window is a word unit
        ref char first = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(text);
        for (int at = 0; at < n; at += Window)
        {
            ulong mask;
            if (at + Window > n || !TryAsciiWordMask(ref Unsafe.Add(ref first, at), wide, out mask)) mask = ScalarWordMask(text, at, Math.Min(Window, n - at));

            // Bit i of `starts`: a run starts at unit at + i; of `ends`: one ended just before it. They alternate, so the
            // k-th end closes the k-th start (after a run left open by the window before, if any).
            ulong shifted = (mask << 1) | previous;
            ulong starts = mask & ~shifted, ends = ~mask & shifted;
            if (ends != 0)
            {
                b.Reserve(count + Window / 2 + 1);
                var tokenStarts = b.Starts;
                var tokenLengths = b.Lengths;
                if (previous != 0)
                {
                    count += Put(text, tokenStarts, tokenLengths, count, runStart, at + BitOperations.TrailingZeroCount(ends));
                    ends &= ends - 1;
                }

                while (ends != 0)
                {
                    count += Put(text, tokenStarts, tokenLengths, count, at + BitOperations.TrailingZeroCount(starts), at + BitOperations.TrailingZeroCount(ends));
                    starts &= starts - 1;
                    ends &= ends - 1;
                }
            }

            if (starts != 0) runStart = at + BitOperations.TrailingZeroCount(starts);   // a run still open
            previous = mask >> (Window - 1);
        }

        if (previous != 0)   // a run reaching the end of a text of whole windows
        {
            b.Reserve(count + 1);
            count += Put(text, b.Starts, b.Lengths, count, runStart, n);
        }

        b.TokenCount = count;
    }

    // Writes the run [start, end) as token `at` and returns 1 when it is a token, 0 when not (then the next run
    // overwrites it): two or more code points, so a run of two units that is one surrogate pair is not. No branch on
    // the outcome, which depends on the text.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Put(ReadOnlySpan<char> text, int[] starts, int[] lengths, int at, int start, int end)
    {
        int length = end - start;
        starts[at] = start;
        lengths[at] = length;
        return (length >= 3 ? 1 : 0) | (length == 2 && !char.IsHighSurrogate(text[start]) ? 1 : 0);
    }

    // Bit i: unit i is an ASCII word character ([0-9A-Za-z_]); false when any of the 64 units is not ASCII.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryAsciiWordMask(ref char start, bool wide, out ulong mask)
    {
        ref ushort units = ref Unsafe.As<char, ushort>(ref start);
        if (wide)
        {
            var v0 = Vector512.LoadUnsafe(ref units);
            var v1 = Vector512.LoadUnsafe(ref units, 32);
            mask = WordMask512(v0) | (WordMask512(v1) << 32);
            return ((v0 | v1) & Vector512.Create((ushort)0xFF80)) == Vector512<ushort>.Zero;
        }

        var zero = Vector128.Create((ushort)'0');
        var ten = Vector128.Create((ushort)10);
        var lowerA = Vector128.Create((ushort)'a');
        var letters = Vector128.Create((ushort)26);
        var case20 = Vector128.Create((ushort)0x20);
        var underscore = Vector128.Create((ushort)'_');
        var high = Vector128.Create((ushort)0xFF80);
        mask = 0;
        var nonAscii = Vector128<ushort>.Zero;
        for (int k = 0; k < Window / 8; k++)
        {
            var v = Vector128.LoadUnsafe(ref units, (nuint)(k * 8));
            var word = Vector128.LessThan(v - zero, ten) | Vector128.LessThan((v | case20) - lowerA, letters) | Vector128.Equals(v, underscore);
            nonAscii |= v & high;
            mask |= (ulong)word.ExtractMostSignificantBits() << (k * 8);
        }

        return nonAscii == Vector128<ushort>.Zero;
    }

    // Bit i (of 32): unit i is an ASCII word character.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong WordMask512(Vector512<ushort> v)
    {
        var word = Vector512.LessThan(v - Vector512.Create((ushort)'0'), Vector512.Create((ushort)10))
                   | Vector512.LessThan((v | Vector512.Create((ushort)0x20)) - Vector512.Create((ushort)'a'), Vector512.Create((ushort)26))
                   | Vector512.Equals(v, Vector512.Create((ushort)'_'));
        return word.ExtractMostSignificantBits();
    }

    // The same mask for units [at, at + count), one unit at a time with Python's \w; bits from count on are 0.
    private static ulong ScalarWordMask(ReadOnlySpan<char> text, int at, int count)
    {
        ulong mask = 0;
        for (int i = 0; i < count; i++)
        {
            if (IsWordUnit(text, at + i)) mask |= 1UL << i;
        }

        return mask;
    }

    // Whether unit i belongs to a word character: both units of a surrogate pair take the class of their code point;
    // a lone surrogate is not a word character.
    private static bool IsWordUnit(ReadOnlySpan<char> text, int i)
    {
        char c = text[i];
        if (c < 0x80) return AsciiWord[c];
        if (!char.IsSurrogate(c)) return PythonText.IsWordChar(new Rune(c));
        if (char.IsHighSurrogate(c)) return i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) && PythonText.IsWordChar(new Rune(c, text[i + 1]));
        return i > 0 && char.IsHighSurrogate(text[i - 1]) && PythonText.IsWordChar(new Rune(text[i - 1], c));
    }

    /// <summary>The reference: one character at a time, code points counted as they come.</summary>
    public static void ScanScalar(ReadOnlySpan<char> text, AnalyzerBuffers b)
    {
        int i = 0, n = text.Length;
        while (i < n)
        {
            if (!IsWordAt(text, i, out int skip))
            {
                i += skip;
                continue;
            }

            int s = i, codePoints = 0;
            while (i < n && IsWordAt(text, i, out int used))
            {
                i += used;
                codePoints++;
            }

            if (codePoints >= 2) b.AddToken(s, i - s);
        }
    }

    private static bool IsWordAt(ReadOnlySpan<char> text, int at, out int used)
    {
        if (text[at] < 0x80)
        {
            used = 1;
            return AsciiWord[text[at]];
        }

        if (Rune.DecodeFromUtf16(text[at..], out var r, out used) != OperationStatus.Done)
        {
            used = 1;
            return false;
        }

        return PythonText.IsWordChar(r);
    }

    private static ReadOnlySpan<bool> AsciiWord =>
    [
        false, false, false, false, false, false, false, false, false, false, false, false, false, false, false, false,
        false, false, false, false, false, false, false, false, false, false, false, false, false, false, false, false,
        false, false, false, false, false, false, false, false, false, false, false, false, false, false, false, false,
        true, true, true, true, true, true, true, true, true, true, false, false, false, false, false, false,
        false, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true,
        true, true, true, true, true, true, true, true, true, true, true, false, false, false, false, true,
        false, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true,
        true, true, true, true, true, true, true, true, true, true, true, false, false, false, false, false,
    ];
}
