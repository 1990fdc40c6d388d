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
# Timings on a shared machine are noisy: compare the ratios from the same run, not absolute numbers.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${WORK:-$(mktemp -d /tmp/lineage-w2v-bench.XXXXXX)}"
threads="${THREADS:-$(nproc)}"
corpus="${1:-$work/corpus.txt}"
rounds="${2:-1}"
lineage=("$here/lineage")
analogies="$here/src/Lineage.Experiments/Embeddings/lineage-analogies.txt"

[[ -f "$corpus" ]] || "${lineage[@]}" word2vec corpus -o "$corpus" -q
tokens=$(wc -w < "$corpus")
echo "corpus: $corpus ($tokens tokens), $threads threads, $rounds round(s), work folder $work"

timed() { # name, command...: runs it under /usr/bin/time -v, appends "name wall_s peak_kb" to $work/times
    local name=$1; shift
    /usr/bin/time -v -o "$work/$name.time" "$@" > "$work/$name.log" 2>&1 || { echo "$name failed:"; tail -5 "$work/$name.log"; return 1; }
    local wall peak cpu
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$work/$name.time")
    peak=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")
    cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$work/$name.time")
    echo "$name $wall $peak $cpu" >> "$work/times"
    printf '  %-10s %8.1f s wall  %8.1f s cpu  %8.0f MB\n' "$name" "$wall" "$cpu" "$((peak / 1024))"
}

accuracy() { # vector file → total accuracy on our analogy set
    "${lineage[@]}" vectors eval "$1" --analogies "$analogies" --restrict-vocab 30000 -q 2>/dev/null \
        | awk -F'│' '/Total accuracy/ {gsub(/ /,"",$5); print $5}'
}

rm -f "$work/times"
"$lineage" --help > /dev/null   # builds the CLI once, outside the timings; then run the built dll directly
lineage=(dotnet "$here/src/Lineage.Cli/bin/Release/net10.0/lineage.dll")
for ((r = 1; r <= rounds; r++)); do
    echo "round $r"
    timed lineage "${lineage[@]}" word2vec train "$corpus" -o "$work/lineage.bin" --format binary --threads "$threads" --seed 1 -q
    timed fasttext fasttext skipgram -input "$corpus" -output "$work/fasttext" -dim 100 -ws 5 -neg 5 -t 1e-3 -minCount 5 \
        -epoch 5 -lr 0.025 -thread "$threads" -minn 0 -maxn 0 -verbose 0
    timed gensim /usr/bin/python3 "$here/bench/embeddings/gensim_word2vec.py" "$corpus" "$work/gensim.bin" "$threads"
    timed glove "${lineage[@]}" glove train "$corpus" -o "$work/glove.txt" --epochs 10 --threads "$threads" --seed 1 -q
done

echo
echo "median over rounds; words/s = $tokens tokens × 5 epochs / wall seconds; words/cpu-s the same over user + sys seconds"
printf '%-10s %10s %12s %10s %14s %10s %10s %16s\n' tool wall_s words/s cpu_s words/cpu-s peak_MB accuracy "ratio_to_lineage"
lineage_wall=$(awk '$1=="lineage" {print $2}' "$work/times" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
for tool in lineage fasttext gensim glove; do
    wall=$(awk -v t=$tool '$1==t {print $2}' "$work/times" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    peak=$(awk -v t=$tool '$1==t {print $3}' "$work/times" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    cpu=$(awk -v t=$tool '$1==t {print $4}' "$work/times" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    case $tool in
        lineage) file="$work/lineage.bin" ;; fasttext) file="$work/fasttext.vec" ;; gensim) file="$work/gensim.bin" ;; glove) file="$work/glove.txt" ;;
    esac
    acc=$(accuracy "$file")
    wps=$(awk -v n="$tokens" -v w="$wall" 'BEGIN {printf "%.0f", n * 5 / w}')
    wpc=$(awk -v n="$tokens" -v w="$cpu" 'BEGIN {printf "%.0f", n * 5 / w}')
    ratio=$(awk -v a="$lineage_wall" -v b="$wall" 'BEGIN {printf "%.2fx time", b / a}')
    if [[ $tool == glove ]]; then wps=-; wpc=-; fi
    printf '%-10s %10.1f %12s %10.1f %14s %10d %10s %16s\n' "$tool" "$wall" "$wps" "$cpu" "$wpc" "$((peak / 1024))" "$acc" "$ratio"
done
echo "(glove: Lineage's GloVe end to end — counting + 10 epochs — for reference; no GloVe is packaged in Debian)"
