using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Lineage.Benchmarks -- --filter '*'
// Benchmarks report ratios against a baseline measured in the same run; these machines are noisy.
BenchmarkSwitcher.FromAssembly(typeof(Lineage.Benchmarks.IdxBenchmarks).Assembly).Run(args);
