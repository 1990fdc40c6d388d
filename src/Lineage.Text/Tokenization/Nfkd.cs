using System.Runtime.InteropServices;
using System.Text;

namespace Lineage.Text.Tokenization;

/// <summary>
/// Unicode decomposition for accent stripping: compatibility (NFKD), as Python's <c>unicodedata.normalize('NFKD', s)</c>,
/// and canonical (NFD, <see cref="DecomposeCanonical"/>), which BERT's tokenizer applies.
/// </summary>
/// <remarks>
/// .NET normalises through ICU, except in its invariant globalization mode (the <c>lineage</c> command runs in it, so
/// that it starts on machines without ICU), where <see cref="string.Normalize(NormalizationForm)"/> leaves non-ASCII text
/// unchanged. There the system's ICU (libicuuc) is called directly when it is installed; without it, accent stripping is
/// an error that says so, never a silent no-op.
/// </remarks>
internal static class Nfkd
{
    private static readonly bool DotNetNormalizes = "\u00e9".Normalize(NormalizationForm.FormKD).Length == 2;
    private static readonly Lazy<IcuNormalizer?> Icu = new(() => IcuNormalizer.TryLoad("unorm2_getNFKDInstance"));
    private static readonly Lazy<IcuNormalizer?> IcuCanonical = new(() => IcuNormalizer.TryLoad("unorm2_getNFDInstance"));

    /// <summary>The NFD form of <paramref name="text"/> (canonical decomposition); a lone surrogate stays as it is.</summary>
    /// <exception cref="NotSupportedException">No Unicode normalisation is available in this process.</exception>
    public static string DecomposeCanonical(string text) => Normalize(text, NormalizationForm.FormD, IcuCanonical, "NFD");

    /// <summary>The NFKD form of <paramref name="text"/>; a lone surrogate stays as it is.</summary>
    /// <exception cref="NotSupportedException">No Unicode normalisation is available in this process.</exception>
    public static string Decompose(string text) => Normalize(text, NormalizationForm.FormKD, Icu, "NFKD");

    private static string Normalize(string text, NormalizationForm form, Lazy<IcuNormalizer?> icu, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (DotNetNormalizes) return WithDotNet(text, form);
        return (icu.Value ?? throw new NotSupportedException(
                $"Accent stripping needs Unicode normalisation ({name}), but this process runs in .NET's invariant globalization mode " +
                "and no ICU library (libicuuc) was found. Install ICU (Debian 12: apt-get install libicu72; Ubuntu: libicu74) or strip no accents."))
            .Normalize(text);
    }

    /// <summary>NFKD through the system's ICU directly (the invariant-mode path), or null when ICU is not installed.</summary>
    internal static string? WithIcu(string text) => Icu.Value?.Normalize(text);

    // .NET refuses lone surrogates: the valid stretches between them are decomposed one by one.
    private static string WithDotNet(string text, NormalizationForm form)
    {
        try
        {
            return text.Normalize(form);
        }
        catch (ArgumentException)
        {
            var sb = new StringBuilder(text.Length);
            int start = 0;
            for (int i = 0; i < text.Length; i++)
            {
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
                if (!char.IsSurrogate(text[i])) continue;
                sb.Append(text[start..i].Normalize(form)).Append(text[i]);
                start = i + 1;
            }

            return sb.Append(text[start..].Normalize(form)).ToString();
        }
    }

    private sealed class IcuNormalizer
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr GetInstance(ref int error);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int NormalizeFn(IntPtr normalizer, IntPtr source, int length, IntPtr destination, int capacity, ref int error);

        private const int BufferOverflow = 15;                  // U_BUFFER_OVERFLOW_ERROR; errors are > 0, warnings < 0
        private readonly IntPtr _instance;
        private readonly NormalizeFn _normalize;

        private IcuNormalizer(IntPtr instance, NormalizeFn normalize) => (_instance, _normalize) = (instance, normalize);

        public static IcuNormalizer? TryLoad(string getter)
        {
            if (!OperatingSystem.IsLinux()) return null;
            for (int version = 90; version >= 50; version--)
            {
                if (!NativeLibrary.TryLoad($"libicuuc.so.{version}", out var lib)) continue;
                foreach (var suffix in new[] { $"_{version}", "" })
                {
                    if (!NativeLibrary.TryGetExport(lib, getter + suffix, out var get) ||
                        !NativeLibrary.TryGetExport(lib, "unorm2_normalize" + suffix, out var normalize)) continue;
                    int error = 0;
                    var instance = Marshal.GetDelegateForFunctionPointer<GetInstance>(get)(ref error);
                    if (error > 0 || instance == IntPtr.Zero) continue;
                    return new IcuNormalizer(instance, Marshal.GetDelegateForFunctionPointer<NormalizeFn>(normalize));
                }
            }

            return null;
        }

        public string Normalize(string text)
        {
            var source = text.ToCharArray();
            var dest = new char[text.Length * 3 + 16];
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

                if (error > 0) throw new InvalidOperationException($"ICU's normalisation failed (UErrorCode {error}).");
                return new string(dest, 0, n);
            }
        }
    }
}
