using Lineage.Neural.Core;

namespace Lineage.Neural.Tests.Core;

public class TorchRuntimeTests
{
    [Fact]
    public void PreferPassiveWait_AfterLibtorchLoaded_ChangesNothing()
    {
        if (Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable) is not null) return;   // the user's policy wins
        TorchRuntime.Initialize();
        Assert.False(TorchRuntime.PreferPassiveWait());   // too late: OpenMP read its environment when libtorch loaded
        Assert.Null(Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable));
    }
}
