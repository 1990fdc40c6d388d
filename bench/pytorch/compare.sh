#!/usr/bin/env bash
# Our training steps against PyTorch's, same work: for each MODEL (gpt, lstm, vit, clip: the tour's networks), our
# bench program (Lineage.Twins.Benchmarks) builds the network as the tour does, writes its initial weights and N fixed
# batches, and trains N steps through our trainer; then twins.py trains PyTorch's twin of the network from those
# weights on those batches, same optimiser, hyper-parameters and threads. The two take turns for ROUNDS rounds (ours,
# PyTorch's, ours, ...) so that the shared machine's slow and fast spells fall on both alike. Each run's throughput
# counts the steps after the first WARMUP; the figure is the median over the rounds, peak RSS the largest. "per
# CPU-s" is the same ratio by process CPU time per step (less moved by other sessions' load than wall time).
# The loss at step 1 must agree within 1e-4 in every round (else the script fails: the two did not do the same work);
# the loss after N steps is printed for both.
#   bench/pytorch/compare.sh [ROUNDS (default 3)] [STEPS (default 30)] [MODELS (default "gpt lstm vit clip")]
# With TWINS_PHASES=1 both sides run the step written out with each phase timed (zero_grad, forward, backward, clip,
# optimiser step, loss to the host) instead of our trainer, and a line per model compares the phases.
#
# BLAS: Debian's python3-torch calls whatever libblas.so.3 the loader finds; Debian's default is the reference
# (netlib) BLAS, 5-10x slower than any tuned one, which would flatter us. PyTorch therefore runs on OpenBLAS built
# for OpenMP (libopenblas0-openmp: it shares torch's libgomp threads; the pthread build spawns its own beside them
# and was 5x slower on a 2-thread ViT step here): TORCH_BLAS_DIR if set, else the system's when installed, else the
# trixie package unpacked into ~/.cache/lineage/openblas (apt-get download + dpkg -x: nothing on the system
# changes). Ours is TorchSharp-cpu's libtorch with MKL inside. Each PyTorch line names the BLAS it loaded.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
steps="${2:-30}"
models="${3:-gpt lstm vit clip}"
warmup=5
py=/usr/bin/python3
if ! "$py" -c 'import torch' 2>/dev/null; then
    echo "PyTorch not installed: apt-get install -t trixie python3-torch" >&2
    exit 0
fi

blas_dir="${TORCH_BLAS_DIR:-}"
if [[ -z "$blas_dir" ]]; then
    for candidate in /usr/lib/x86_64-linux-gnu/openblas-openmp "$HOME/.cache/lineage/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp"; do
        [[ -e "$candidate/libblas.so.3" ]] && { blas_dir="$candidate"; break; }
    done
fi
if [[ -z "$blas_dir" ]] && command -v apt-get >/dev/null && command -v dpkg >/dev/null; then
    cache="$HOME/.cache/lineage/openblas"
    echo "compare.sh: unpacking Debian's libopenblas0-openmp into $cache for PyTorch (the system is not changed)" >&2
    mkdir -p "$cache"
    ( cd "$cache" && { apt-get download -t trixie libopenblas0-openmp 2>/dev/null || apt-get download libopenblas0-openmp; } >/dev/null \
        && dpkg -x libopenblas0-openmp_*.deb . ) || true
    [[ -e "$cache/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3" ]] && blas_dir="$cache/usr/lib/x86_64-linux-gnu/openblas-openmp"
fi
[[ -n "$blas_dir" ]] || echo "compare.sh: WARNING: no OpenBLAS found; PyTorch runs on the system's libblas.so.3 (may be the slow reference BLAS)" >&2

dotnet build "$here/bench/pytorch/Lineage.Twins.Benchmarks" -c Release --nologo -v quiet >/dev/null
ours="$here/bench/pytorch/Lineage.Twins.Benchmarks/bin/Release/net10.0/Lineage.Twins.Benchmarks.dll"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; load before:$(uptime | sed 's/.*load average://'); rounds $rounds, steps $steps (warm-up $warmup)"
for model in $models; do
    for ((round = 1; round <= rounds; round++)); do
        nice -n 5 dotnet "$ours" "$model" "$out/data" "$steps" "$warmup" | tee -a "$out/$model.jsonl"
        LD_LIBRARY_PATH="$blas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" nice -n 5 "$py" "$here/bench/pytorch/twins.py" "$model" "$out/data" | tee -a "$out/$model.jsonl"
    done
done
echo "load after:$(uptime | sed 's/.*load average://')"
"$py" - "$out" $models <<'EOF'
import json, statistics, sys
folder, models = sys.argv[1], sys.argv[2:]
failed = []
print(f"{'model':6} {'unit':>7} {'threads':>7} {'lineage/s':>10} {'pytorch/s':>10} {'ours/theirs':>11} {'per CPU-s':>9} "
      f"{'RSS MiB ours':>12} {'theirs':>7} {'loss@1 ours':>12} {'theirs':>10} {'loss@N ours':>12} {'theirs':>10}")
for model in models:
    runs = [json.loads(line) for line in open(f"{folder}/{model}.jsonl")]
    ours = [r for r in runs if r["impl"] == "lineage"]
    theirs = [r for r in runs if r["impl"] == "pytorch"]
    for a, b in zip(ours, theirs):
        if abs(a["loss_first"] - b["loss_first"]) > 1e-4:
            failed.append(f"{model}: loss at step 1 differs: ours {a['loss_first']:.6f}, PyTorch {b['loss_first']:.6f}")
    mine = statistics.median(r["per_second"] for r in ours)
    other = statistics.median(r["per_second"] for r in theirs)
    cpu = lambda rs: statistics.median(r.get("cpu_ms_per_step", float("nan")) for r in rs)
    print(f"{model:6} {ours[0]['unit']:>7} {ours[0]['threads']:>7} {mine:10.0f} {other:10.0f} {mine / other:10.2f}x {cpu(theirs) / cpu(ours):8.2f}x "
          f"{max(r['peak_rss_mib'] for r in ours):12.0f} {max(r['peak_rss_mib'] for r in theirs):7.0f} "
          f"{ours[0]['loss_first']:12.6f} {theirs[0]['loss_first']:10.6f} {ours[0]['loss_last']:12.6f} {theirs[0]['loss_last']:10.6f}")
    if "phases_ms" in ours[0] and "phases_ms" in theirs[0]:              # TWINS_PHASES=1: medians per phase
        phase = lambda rs, n: statistics.median(r["phases_ms"][n] for r in rs)
        print("       ms/step " + "  ".join(f"{n} {phase(ours, n):.1f} vs {phase(theirs, n):.1f}" for n in ours[0]["phases_ms"]) + "  (ours vs PyTorch)")
print(f"PyTorch {theirs[0]['torch']} on {theirs[0]['blas']}")
for line in failed:
    print("FAILED (not the same work): " + line, file=sys.stderr)
sys.exit(1 if failed else 0)
EOF
