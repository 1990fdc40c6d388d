using TorchSharp;

namespace Lineage.Neural.Core.Training;

/// <summary>One seed for everything: libtorch's generator (initialisation, dropout) and .NET's (shuffling).</summary>
public static class Seeding
{
    /// <summary>Seeds libtorch and returns a .NET generator for data order, seeded apart from the model
    /// so that changing the model does not change the batches.</summary>
    public static Random Seed(int seed)
    {
        torch.manual_seed(seed);
        return new Random(unchecked(seed * 7919 + 17));
    }
}
