// libtorch's RNG and thread count are process-wide: run these tests one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
