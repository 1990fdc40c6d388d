using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lineage.Text.Encodings;

/// <summary>
/// A zeroed array of unmanaged items in native memory that, on Linux, asks for transparent huge pages (2 MiB) when it
/// spans at least one: for large tables that are written all over as soon as they exist (a hash table's slots).
/// </summary>
/// <remarks>
/// Why: the first touch of each 4 KiB page costs a page fault, about 11 µs on our 2-core virtual machines (measured
/// 2026-12-06: touching 64 MiB took 184–224 ms in 4 KiB pages, 4–73 ms in huge pages). A term table of 200,000 terms
/// touches 16 MiB of slots, plus 16 MiB more in the tables it outgrew on the way; in the managed heap those faults were
/// the largest single cost of a fit. NumPy advises huge pages for its large arrays in the same way. Where the system
/// gives no huge pages (transparent_hugepage set to never, or not Linux) this is plain zeroed native memory.
/// The memory is freed by <see cref="Dispose"/> or, failing that, by the finalizer.
/// </remarks>
internal sealed unsafe class HugePageArray<T> : IDisposable where T : unmanaged
{
    private const nuint HugePage = HugePages.Size;
    private void* _mapping;      // what mmap returned (Linux, large) or NativeMemory allocated
    private nuint _mappedBytes;  // 0 when NativeMemory allocated it

    public HugePageArray(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        nuint bytes = (nuint)Math.Max(1, length) * (nuint)sizeof(T);
        if (OperatingSystem.IsLinux() && bytes >= HugePage)
        {
            // Anonymous mappings come zeroed. Whole huge pages, and one more, so the items can start on a 2 MiB boundary
            // and every 2 MiB of them can be a huge page.
            nuint pages = (bytes + HugePage - 1) & ~(HugePage - 1);
            nuint mapped = pages + HugePage;
            nint at = HugePages.Mmap(0, mapped, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (at == -1) throw new InsufficientMemoryException($"Could not map {mapped:N0} bytes for a table of {length:N0} items.");
            _mapping = (void*)at;
            _mappedBytes = mapped;
            nuint aligned = ((nuint)at + HugePage - 1) & ~(HugePage - 1);
            HugePages.Advise(aligned, pages);
            Pointer = (T*)aligned;
        }
        else
        {
            _mapping = NativeMemory.AllocZeroed(bytes);
            Pointer = (T*)_mapping;
        }

        GC.AddMemoryPressure((long)bytes);
        HugePages.Count((long)bytes);
    }

    ~HugePageArray() => Free();

    /// <summary>The first item; valid until disposed.</summary>
    public T* Pointer { get; private set; }

    public int Length { get; }

    public Span<T> AsSpan() => new(Pointer, Length);

    public Span<T> AsSpan(int start, int length)
    {
        if ((uint)start > (uint)Length || (uint)length > (uint)(Length - start)) throw new ArgumentOutOfRangeException(nameof(start));
        return new(Pointer + start, length);
    }

    /// <summary>A new array of <paramref name="length"/> items that starts with the first <paramref name="used"/> of these (this one is left as it is).</summary>
    public HugePageArray<T> CopyTo(int length, int used)
    {
        var bigger = new HugePageArray<T>(length);
        AsSpan(0, used).CopyTo(bigger.AsSpan());
        return bigger;
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_mapping is null) return;
        if (_mappedBytes > 0) _ = HugePages.Munmap((nint)_mapping, _mappedBytes);
        else NativeMemory.Free(_mapping);
        _mapping = null;
        Pointer = null;
        long bytes = (long)((nuint)Math.Max(1, Length) * (nuint)sizeof(T));
        GC.RemoveMemoryPressure(bytes);
        HugePages.Count(-bytes);
    }

    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 0x02, MapAnonymous = 0x20;
}

/// <summary>
/// Transparent huge pages for large buffers: <see cref="HugePageArray{T}"/> in native memory, <see cref="NewArray{T}"/>
/// for managed arrays, the bytes the native arrays hold, and the libc calls (P/Invoke cannot be declared in a generic type).
/// </summary>
internal static partial class HugePages
{
    /// <summary>A huge page on x86-64 and most ARM64 Linux systems: 2 MiB.</summary>
    public const nuint Size = 2 << 20;

    private const int MadvHugePage = 14;

    private static long _liveBytes;

    /// <summary>Bytes held by the native arrays not yet freed (for memory accounting beside the managed heap).</summary>
    public static long LiveBytes => Interlocked.Read(ref _liveBytes);

    internal static void Count(long bytes) => Interlocked.Add(ref _liveBytes, bytes);

    /// <summary>
    /// A managed array of <paramref name="length"/> items, not zeroed (the caller writes every item), whose whole 2 MiB
    /// ranges are advised for huge pages before the first write when it is 4 MiB or more (NumPy's threshold), on Linux.
    /// </summary>
    /// <remarks>
    /// For the large arrays a fit returns (a count matrix's columns and values: 20 MiB for the spam corpus), whose
    /// first write faulted in every 4 KiB page: 5,000 faults, 100 of a fit's 340 ms on a busy day (2026-12-06), 36 ms
    /// with this advice. The advice is only a hint on the array's own address range: contents and the garbage
    /// collector's handling are unchanged; where there are no transparent huge pages nothing happens.
    /// </remarks>
    public static unsafe T[] NewArray<T>(int length) where T : unmanaged
    {
        var array = GC.AllocateUninitializedArray<T>(length);
        nuint bytes = (nuint)length * (nuint)sizeof(T);
        if (!OperatingSystem.IsLinux() || bytes < 2 * Size) return array;
        nuint start = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        nuint from = (start + Size - 1) & ~(Size - 1), to = (start + bytes) & ~(Size - 1);
        Advise(from, to - from);
        return array;
    }

    /// <summary>Asks for huge pages for [<paramref name="start"/>, +<paramref name="bytes"/>), both multiples of <see cref="Size"/>; only a hint, ignored where unsupported.</summary>
    internal static void Advise(nuint start, nuint bytes)
    {
        try
        {
            _ = Madvise((nint)start, bytes, MadvHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // no libc: plain pages
        }
    }


    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    internal static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    internal static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise")]
    internal static partial int Madvise(nint address, nuint length, int advice);
}
