using System.Runtime.InteropServices;
using System.Text;

namespace Lineage.Neural.Pretrained;

/// <summary>
/// Canonical decomposition (NFD), which Hugging Face's BertTokenizer applies before stripping accents, in processes where
/// .NET cannot normalise.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers' BertTokenizer strips accents by <c>string.Normalize(FormD)</c> and dropping non-spacing marks;
/// in .NET's invariant globalization mode (the <c>lineage</c> command runs in it) Normalize leaves non-ASCII text unchanged,
/// so "café" would become [UNK] instead of "cafe". There the text is decomposed first through the system's ICU
/// (libicuuc), called directly; without ICU that is an error that says so, never a silent difference.
/// </remarks>
internal static class Nfd
{
    private static readonly bool DotNetNormalizes = "\u00e9".Normalize(NormalizationForm.FormD).Length == 2;
    private static readonly Lazy<Icu?> Library = new(Icu.TryLoad);

    /// <summary>The text itself when .NET normalises (the tokenizer does it) or it is ASCII; else its NFD form through ICU.</summary>
    /// <exception cref="NotSupportedException">Non-ASCII text, .NET cannot normalise and no ICU library is installed.</exception>
    public static string ForTokenizer(string text)
    {
        if (DotNetNormalizes || Ascii.IsValid(text)) return text;
        return (Library.Value ?? throw new NotSupportedException(
            "Accent stripping needs Unicode normalisation (NFD), but this process runs in .NET's invariant globalization mode and no ICU " +
            "library (libicuuc) was found. Install ICU (Debian 12: apt-get install libicu72; Ubuntu: libicu74).")).Normalize(text);
    }

    private sealed class Icu
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr GetInstance(ref int error);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int NormalizeFn(IntPtr normalizer, IntPtr source, int length, IntPtr destination, int capacity, ref int error);

        private const int BufferOverflow = 15;   // U_BUFFER_OVERFLOW_ERROR; errors are > 0, warnings < 0
        private readonly IntPtr _instance;
        private readonly NormalizeFn _normalize;

        private Icu(IntPtr instance, NormalizeFn normalize) => (_instance, _normalize) = (instance, normalize);

        public static Icu? TryLoad()
        {
            if (!OperatingSystem.IsLinux()) return null;
            for (int version = 90; version >= 50; version--)
            {
                if (!NativeLibrary.TryLoad($"libicuuc.so.{version}", out var lib)) continue;
                foreach (var suffix in new[] { $"_{version}", "" })
                {
                    if (!NativeLibrary.TryGetExport(lib, "unorm2_getNFDInstance" + suffix, out var get) ||
                        !NativeLibrary.TryGetExport(lib, "unorm2_normalize" + suffix, out var normalize)) continue;
                    int error = 0;
                    var instance = Marshal.GetDelegateForFunctionPointer<GetInstance>(get)(ref error);
                    if (error > 0 || instance == IntPtr.Zero) continue;
                    return new Icu(instance, Marshal.GetDelegateForFunctionPointer<NormalizeFn>(normalize));
                }
            }

            return null;
        }

        public string Normalize(string text)
        {
            var source = text.ToCharArray();
            var dest = new char[(text.Length * 3) + 16];
            for (int attempt = 0; ; attempt++)
            {
                var hs = GCHandle.Alloc(source, GCHandleType.Pinned);
                var hd = GCHandle.Alloc(dest, GCHandleType.Pinned);
                int error = 0, n;
                try
                {
                    n = _normalize(_instance, hs.AddrOfPinnedObject(), source.Length, hd.AddrOfPinnedObject(), dest.Length, ref error);
                }
                finally
                {
                    hs.Free();
                    hd.Free();
                }

                if (error == BufferOverflow && attempt == 0)
                {
                    dest = new char[n];
                    continue;
                }

                if (error > 0) throw new InvalidOperationException($"ICU's NFD normalisation failed (UErrorCode {error}).");
                return new string(dest, 0, n);
            }
        }
    }
}
