using Lineage.Neural.Core;

namespace Lineage.Neural.Tests;

/// <summary>GLIBC_TUNABLES for a process about to start: settings added after the user's, the user's own kept.</summary>
public class PeakMemoryTunablesTests
{
    [Fact]
    public void AddTunables_AppendsToWhatIsSet_AndKeepsASettingTheUserChose()
    {
        var environment = new Dictionary<string, string?> { ["GLIBC_TUNABLES"] = "glibc.malloc.mmap_max=5:glibc.malloc.tcache_count=0" };
        PeakMemory.AddTunables(environment, PeakMemory.KeptMemoryTunables);
        PeakMemory.AddTunables(environment, "glibc.malloc.arena_max=1");
        Assert.Equal("glibc.malloc.mmap_max=5:glibc.malloc.tcache_count=0:glibc.malloc.trim_threshold=68719476736:glibc.malloc.arena_max=1",
            environment["GLIBC_TUNABLES"]);
    }

    [Fact]
    public void AddTunables_ToAnEmptyEnvironment_SetsThem()
    {
        var environment = new Dictionary<string, string?> { ["GLIBC_TUNABLES"] = "" };
        PeakMemory.AddTunables(environment, PeakMemory.KeptMemoryTunables);
        Assert.Equal(PeakMemory.KeptMemoryTunables, environment["GLIBC_TUNABLES"]);
    }

    [Fact]
    public void Held_CountsWhatTheActionKeepsAlive_NotWhatItFrees()
    {
        if (!OperatingSystem.IsLinux()) return;
        TorchSharp.torch.ones(1L << 20).Dispose();   // warm-up: loads libtorch
        TorchSharp.torch.Tensor? kept = null;
        long keeps = PeakMemory.Held(() => kept = TorchSharp.torch.ones(16L << 20));   // 64 MiB of float32, kept
        long frees = PeakMemory.Held(() => TorchSharp.torch.ones(16L << 20).Dispose());
        kept!.Dispose();
        Assert.InRange(keeps, 60L << 20, 72L << 20);
        Assert.InRange(frees, -8L << 20, 8L << 20);
    }
}
