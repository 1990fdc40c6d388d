#!/usr/bin/env bash
# bench/pretrained/cli.sh FOLDER MODEL.onnx [RUNS]: the cold process a user sees, `lineage bert embed FOLDER --file` on 32
# texts of ~128 WordPieces, beside the same work with ONNX Runtime as the encoder (Lineage.Benchmarks pretrained-embed-ort),
# in turn, RUNS times each after a warm-up; prints each run's wall seconds (GNU time). Quote medians; the machine is shared.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
folder=$1 onnx=$2 runs=${3:-5}
texts=$(mktemp)
python3 "$here/bench/pretrained/texts.py" >"$texts"
dotnet build "$here/src/Lineage.Cli" -c Release --nologo -v quiet >/dev/null
dotnet build "$here/bench/Lineage.Benchmarks" -c Release --nologo -v quiet >/dev/null
cli=(dotnet "$here/src/Lineage.Cli/bin/Release/net10.0/lineage.dll" --threads 2 bert embed "$folder" --file "$texts" --pooling mean)
ort=(dotnet "$here/bench/Lineage.Benchmarks/bin/Release/net10.0/Lineage.Benchmarks.dll" pretrained-embed-ort "$folder" "$onnx" "$texts" 2)
"${cli[@]}" >/dev/null; "${ort[@]}" >/dev/null
for ((i = 0; i < runs; i++)); do
    /usr/bin/time -f "lineage bert embed: %e s wall, %U s user" "${cli[@]}" >/dev/null
    /usr/bin/time -f "ONNX Runtime:       %e s wall, %U s user" "${ort[@]}" >/dev/null
done
rm -f "$texts"
