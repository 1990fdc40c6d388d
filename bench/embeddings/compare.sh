#!/usr/bin/env bash
# Word2Vec side by side: Lineage vs fastText (Debian `fasttext`, no subwords) vs gensim (Debian `python3-gensim`),
# same corpus, same hyper-parameters (skip-gram, dim 100, window 5, 5 negatives, sample 1e-3, min_count 5,
# 5 epochs, lr 0.025, all cores), then Lineage's GloVe end to end.
# Each command is timed as a whole process with /usr/bin/time -v (wall seconds, peak RSS); words/s is
# corpus tokens × epochs / wall seconds, so vocabulary building and saving are included for every tool.
# Accuracy: our analogy set (src/Lineage.Experiments/Embeddings/lineage-analogies.txt), 3CosAdd among the
# 30,000 most frequent words, scored by `lineage vectors eval` for every tool's vectors.
#
# usage: bench/embeddings/compare.sh [CORPUS] [ROUNDS]
#   CORPUS  default: the tour's English bundle, written by `lineage word2vec corpus` (~8.6 M words)
#   ROUNDS  default 1; the tools run in turn (ours, fastText, gensim) each round, so drift hits all alike
# environment:
#   TOOLS="lineage gensim"  run only these, in this order (default: lineage fasttext gensim glove); gensim-openblas is
#                           gensim with its BLAS calls on OpenBLAS instead of the system's libblas.so.3 (see gensim-python.sh)
#   BASE_DLL=…/lineage.dll  also run another build of the CLI as "lineage-base" (before/after in one run)
#   THREADS, WORK           threads (default: all cores) and work folder (default: a new /tmp folder)
#   SUMMARY_ONLY=1          run nothing; print the summary of the rounds already in $WORK (same TOOLS and BASE_DLL)
# gensim runs under bench/embeddings/gensim-python.sh (python3 with gensim, or Debian bookworm's under python3.11).
# Timings on a shared machine are noisy: compare the ratios from the same run, not absolute numbers.
set -euo pipefail
{ # the whole script is read before it runs, so editing this file during a (long) run cannot break that run
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${WORK:-$(mktemp -d /tmp/lineage-w2v-bench.XXXXXX)}"
threads="${THREADS:-$(nproc)}"
corpus="${1:-$work/corpus.txt}"
rounds="${2:-1}"
lineage=("$here/lineage")
tools=(${TOOLS:-lineage fasttext gensim glove})
[[ -n "${BASE_DLL:-}" ]] && tools=(lineage-base "${tools[@]}")
analogies="$here/src/Lineage.Experiments/Embeddings/lineage-analogies.txt"

[[ -f "$corpus" ]] || "${lineage[@]}" word2vec corpus -o "$corpus" -q
tokens=$(wc -w < "$corpus")
echo "corpus: $corpus ($tokens tokens), $threads threads, $rounds round(s), work folder $work"

timed() { # name, vectors, command...: runs it under /usr/bin/time -v, scores the vectors, appends "name wall_s peak_kb cpu_s accuracy" to $work/times
    local name=$1 vectors=$2; shift 2
    /usr/bin/time -v -o "$work/$name.time" "$@" > "$work/$name.log" 2>&1 || { echo "$name failed:"; tail -5 "$work/$name.log"; return 1; }
    local wall peak cpu
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$work/$name.time")
    peak=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")
    cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$work/$name.time")
    local load acc
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    acc=$(accuracy "$vectors")
    echo "$name $wall $peak $cpu ${acc%\%}" >> "$work/times"
    printf '  %-12s %8.1f s wall  %8.1f s cpu  %8.0f words/cpu-s  %6.0f MB  accuracy %s  load average after %s\n' \
        "$name" "$wall" "$cpu" "$(awk -v n="$tokens" -v c="$cpu" 'BEGIN {print n * 5 / c}')" "$((peak / 1024))" "$acc" "$load"
}

accuracy() { # vector file → total accuracy on our analogy set
    "${lineage[@]}" vectors eval "$1" --analogies "$analogies" --restrict-vocab 30000 -q 2>/dev/null \
        | awk -F'│' '/Total accuracy/ {gsub(/ /,"",$5); print $5}'
}

if [[ -n "${SUMMARY_ONLY:-}" ]]; then rounds=0; else rm -f "$work/times"; fi   # SUMMARY_ONLY=1: summarise $WORK's rounds again
"$lineage" --help > /dev/null   # builds the CLI once, outside the timings; then run the built dll directly
lineage=(dotnet "$here/src/Lineage.Cli/bin/Release/net10.0/lineage.dll")
if [[ " ${tools[*]} " == *" gensim "* ]]; then   # finds (or extracts, once) a Python with gensim, outside the timings
    "$here/bench/embeddings/gensim-python.sh" -c 'import gensim' || exit 1
fi
if [[ " ${tools[*]} " == *" gensim-openblas "* ]]; then
    GENSIM_BLAS=openblas "$here/bench/embeddings/gensim-python.sh" -c 'import gensim' || exit 1
fi
for ((r = 1; r <= rounds; r++)); do
    echo "round $r (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
    for tool in "${tools[@]}"; do
        case $tool in
            lineage) timed lineage "$work/lineage.bin" "${lineage[@]}" word2vec train "$corpus" -o "$work/lineage.bin" --format binary --threads "$threads" --seed 1 -q ;;
            lineage-base) timed lineage-base "$work/lineage-base.bin" dotnet "$BASE_DLL" word2vec train "$corpus" -o "$work/lineage-base.bin" --format binary --threads "$threads" --seed 1 -q ;;
            fasttext) timed fasttext "$work/fasttext.vec" fasttext skipgram -input "$corpus" -output "$work/fasttext" -dim 100 -ws 5 -neg 5 -t 1e-3 -minCount 5 \
                -epoch 5 -lr 0.025 -thread "$threads" -minn 0 -maxn 0 -verbose 0 ;;
            gensim) timed gensim "$work/gensim.bin" "$here/bench/embeddings/gensim-python.sh" "$here/bench/embeddings/gensim_word2vec.py" "$corpus" "$work/gensim.bin" "$threads" ;;
            gensim-openblas) timed gensim-openblas "$work/gensim-openblas.bin" env GENSIM_BLAS=openblas "$here/bench/embeddings/gensim-python.sh" \
                "$here/bench/embeddings/gensim_word2vec.py" "$corpus" "$work/gensim-openblas.bin" "$threads" ;;
            glove) timed glove "$work/glove.txt" "${lineage[@]}" glove train "$corpus" -o "$work/glove.txt" --epochs 10 --threads "$threads" --seed 1 -q ;;
            *) echo "unknown tool $tool (TOOLS: lineage fasttext gensim gensim-openblas glove)"; exit 1 ;;
        esac
    done
done

echo
echo "median over rounds (the mean of the middle two for an even number); words/s = $tokens tokens × 5 epochs / wall seconds; words/cpu-s the same over user + sys seconds;"
echo "cpu_vs_lineage = this tool's CPU seconds / Lineage's (so Lineage's throughput per CPU-second is that many times this tool's)"
printf '%-12s %10s %12s %10s %14s %10s %10s %16s\n' tool wall_s words/s cpu_s words/cpu-s peak_MB accuracy cpu_vs_lineage
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
lineage_cpu=$(awk '$1=="lineage" {print $4}' "$work/times" | median)
for tool in "${tools[@]}"; do
    wall=$(awk -v t=$tool '$1==t {print $2}' "$work/times" | median)
    peak=$(awk -v t=$tool '$1==t {print $3}' "$work/times" | median)
    cpu=$(awk -v t=$tool '$1==t {print $4}' "$work/times" | median)
    acc=$(awk -v t=$tool '$1==t {print $5}' "$work/times" | median)
    wps=$(awk -v n="$tokens" -v w="$wall" 'BEGIN {printf "%.0f", n * 5 / w}')
    wpc=$(awk -v n="$tokens" -v w="$cpu" 'BEGIN {printf "%.0f", n * 5 / w}')
    ratio=$(awk -v a="${lineage_cpu:-0}" -v b="$cpu" 'BEGIN {if (a > 0) printf "%.2fx", b / a; else print "-"}')
    if [[ $tool == glove ]]; then wps=-; wpc=-; fi
    printf '%-12s %10.1f %12s %10.1f %14s %10d %9s%% %16s\n' "$tool" "$wall" "$wps" "$cpu" "$wpc" "$((peak / 1024))" "$acc" "$ratio"
done
[[ " ${tools[*]} " == *" glove "* ]] && echo "(glove: Lineage's GloVe end to end — counting + 10 epochs — for reference; no GloVe is packaged in Debian)"
echo "per round (tool wall_s peak_kb cpu_s accuracy):"
cat "$work/times"
exit
}
