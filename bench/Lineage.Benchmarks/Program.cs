using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Lineage.Benchmarks -- --filter '*'
// Benchmarks report ratios against a baseline measured in the same run; these machines are noisy.
// `-- encodings-compare DIR` times the TF-IDF vectorizers side by side instead (bench/encodings/compare.sh).
// `-- tokenizers-compare VOCAB [DIR]` times our WordPiece and GPT-2 BPE beside Microsoft.ML.Tokenizers'.
// `-- pretrained-compare FOLDER MODEL.onnx [ROUNDS]` times bert embed's encoder beside ONNX Runtime on the same model (bench/pretrained);
// `-- pretrained-embed-ort FOLDER MODEL.onnx FILE` is `lineage bert embed --file` with ONNX Runtime as the encoder, for cold-process timings.
// `-- tokenizers-hf-check VOCAB ORACLE.jsonl` counts agreement with a port of Hugging Face's BERT tokenizer (bench/tokenizers).
// `-- mamba-scan [LENGTH] [ROUNDS]` times the Mamba mixer's chunked scan against the sequential loop.
if (args.Length > 0 && args[0] == "mamba-scan") return Lineage.Benchmarks.MambaScanCompare.Run(args);
if (args.Length > 0 && args[0] == "pretrained-embed-ort") return Lineage.Benchmarks.PretrainedEmbedOrt.Run(args);
if (args.Length > 0 && args[0] == "pretrained-compare") return Lineage.Benchmarks.PretrainedCompare.Run(args);
if (args.Length > 0 && args[0] == "tokenizers-hf-check") return Lineage.Benchmarks.TokenizersCompare.CheckAgainstHuggingFace(args);
if (args.Length > 0 && args[0] == "tokenizers-compare") return Lineage.Benchmarks.TokenizersCompare.Run(args);
if (args.Length > 0 && args[0] == "encodings-compare") return Lineage.Benchmarks.EncodingsCompare.Run(args);
BenchmarkSwitcher.FromAssembly(typeof(Lineage.Benchmarks.IdxBenchmarks).Assembly).Run(args);
return 0;
