#!/usr/bin/env bash
# How each cost grows with its input (issue 32, item 6): every command is timed as a whole cold process with
# /usr/bin/time (wall and CPU seconds, peak RSS), one JSON line per measurement appended to OUT; then
# `lineage bench scale-plot OUT` draws the plots and the table (docs/performance.md, "How the costs grow").
#   tfidf      `lineage encode tfidf` on the SpamAssassin folder at 1×, 4×, 16× (hard-linked copies), written to a
#              file and not written (report only), one thread; scikit-learn's fit_transform beside it (in-process
#              figure, and the whole process's peak memory: it holds every document).
#   word2vec   `lineage word2vec train` (skip-gram, the embeddings benchmark's settings, one epoch) on the tour's
#              English corpus at 1×, 4×, 16× (the file repeated); gensim beside it (corpus_file mode) up to
#              GENSIM_MAX_SCALE (default 4: one epoch at 4× took it 6 minutes, 16× would take 25).
#   attention  `lineage attention bench`: FlashAttention (ours) and libtorch's SDPA, B1 H2 D64, n = 1k … 64k forward
#              and 1k … 32k forward + backward; peak memory per case as the bench reports it.
#   gpt        the tour's GPT training step (bench/pytorch's twin harness, ours only) against batch (4 … 64 at context
#              192) and context (64 … 1,024 at batch 16), one libtorch thread.
# usage: bench/scale/run.sh [WHAT… (default: tfidf word2vec attention gpt)]
#   OUT=bench/scale/results/DATE.jsonl  WORK=/tmp/lineage-scale (copies of the corpora; reused)  SCALES="1 4 16"
# Timings on a shared machine are noisy: read the growth (a ratio within one run), not the absolute seconds.
set -euo pipefail
{
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
what=("${@:-tfidf word2vec attention gpt}")
what=(${what[*]})
out="${OUT:-$here/bench/scale/results/$(date -u +%F).jsonl}"
work="${WORK:-/tmp/lineage-scale}"
scales=(${SCALES:-1 4 16})
data="${LINEAGE_DATA:-$here/data}"
mkdir -p "$work" "$(dirname "$out")"
dll="$here/src/Lineage.Cli/bin/Release/net10.0/lineage.dll"
"$here/lineage" --help > /dev/null   # builds when stale
machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(date -u +%FT%TZ)"

# timed NAME JSON-FIELDS COMMAND…: runs COMMAND, appends {"what":…, fields, wall_s, cpu_s, peak_mib} to OUT.
timed() {
    local what="$1" fields="$2"; shift 2
    local t="$work/time.txt"
    /usr/bin/time -f "%e %U %S %M" -o "$t" "$@" > "$work/last.log" 2>&1 || { echo "failed: $* (see $work/last.log)" >&2; tail -5 "$work/last.log" >&2; return 1; }
    read -r wall user sys rss < "$t"
    local line
    line=$(printf '{"what":"%s",%s,"wall_s":%s,"cpu_s":%.2f,"peak_mib":%.1f,"machine":"%s"}' "$what" "$fields" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc -l)" "$machine")
    echo "$line" >> "$out"
    echo "$line"
}

for w in "${what[@]}"; do
  case "$w" in
  tfidf)
    src="$data/spamassassin"
    [[ -d "$src" ]] || "$here/lineage" data fetch spamassassin -q
    mb=$(du -sb "$src" | awk '{printf "%.1f", $1 / 1e6}')
    for s in "${scales[@]}"; do
        dir="$work/tfidf-x$s"
        if [[ ! -d "$dir" ]]; then
            mkdir -p "$dir.part"
            for ((i = 1; i <= s; i++)); do cp -al "$src" "$dir.part/c$i"; done
            mv "$dir.part" "$dir"
        fi
        cat "$dir"/*/*/* > /dev/null 2>&1 || true   # in the page cache for every tool alike
        input=$(echo "$mb * $s" | bc)
        timed tfidf "\"tool\":\"lineage\",\"mode\":\"written\",\"scale\":$s,\"input_mb\":$input" dotnet "$dll" encode tfidf "$dir" --threads 1 -q -o "$work/tfidf.mtx"
        rm -f "$work/tfidf.mtx"
        timed tfidf "\"tool\":\"lineage\",\"mode\":\"report\",\"scale\":$s,\"input_mb\":$input" dotnet "$dll" encode tfidf "$dir" --threads 1 -q
        timed tfidf "\"tool\":\"sklearn\",\"mode\":\"in-process\",\"scale\":$s,\"input_mb\":$input" /usr/bin/python3 "$here/bench/encodings/sklearn_tfidf.py" "$dir" 1
        fit=$(awk '/fit_transform/ { for (i = 1; i <= NF; i++) if ($i == "seconds") print $(i+1) }' "$work/last.log" | head -1)
        [[ -n "$fit" ]] && sed -i '$ s/,"machine"/,"fit_transform_s":'"$fit"',"machine"/' "$out"
    done ;;
  word2vec)
    corpus="$work/w2v-x1.txt"
    [[ -f "$corpus" ]] || dotnet "$dll" word2vec corpus -o "$corpus" -q
    words=$(wc -w < "$corpus")
    for s in "${scales[@]}"; do
        file="$work/w2v-x$s.txt"
        [[ -f "$file" ]] || { for ((i = 1; i <= s; i++)); do cat "$corpus"; done > "$file.part" && mv "$file.part" "$file"; }
        cat "$file" > /dev/null
        timed word2vec "\"tool\":\"lineage\",\"scale\":$s,\"words\":$((words * s)),\"epochs\":1,\"threads\":2" \
            dotnet "$dll" word2vec train "$file" -o "$work/w2v.bin" --format binary --threads 2 --epochs 1 --seed 1 -q
        # The vocabulary grows with the copies: a word seen once in the corpus passes min_count 5 from 5× on.
        vocab=$(grep -o '^[0-9,]* words ×' "$work/last.log" | tr -d ', words×')
        [[ -n "$vocab" ]] && sed -i '$ s/,"machine"/,"vocabulary":'"$vocab"',"machine"/' "$out"
        (( s <= ${GENSIM_MAX_SCALE:-4} )) && timed word2vec "\"tool\":\"gensim\",\"scale\":$s,\"words\":$((words * s)),\"epochs\":1,\"threads\":2" \
            "$here/bench/embeddings/gensim-python.sh" "$here/bench/embeddings/gensim_word2vec.py" "$file" "$work/gensim.bin" 2 sg 1
        rm -f "$work/w2v.bin" "$work/gensim.bin"
    done ;;
  attention)
    for pass in fwd fwd+bwd; do
        lengths=1024,2048,4096,8192,16384,32768,65536
        [[ "$pass" == fwd+bwd ]] && lengths=1024,2048,4096,8192,16384,32768
        dotnet "$dll" attention bench -n "$lengths" --impl flash,sdpa --pass "$pass" --mask full --heads 2 --repeats 1 -q > "$work/attention.txt" 2>&1
        # "Flash  n=1024   full   fwd   21.0 ms   12.8 GFLOP/s ( 14 % of the ceiling)  peak +292.0 KiB" (the first listing)
        awk -v pass="$pass" -v machine="$machine" '
            /ceiling after the cases/ { exit }
            $1 ~ /^(Flash|Sdpa)$/ && $2 ~ /^n=/ {
                n = substr($2, 3); ms = $5; gf = $7; peak = $(NF - 1); unit = $NF; sub(/^\+/, "", peak)
                mib = unit == "KiB" ? peak / 1024 : unit == "GiB" ? peak * 1024 : unit == "B" ? peak / 1048576 : peak
                printf "{\"what\":\"attention\",\"tool\":\"%s\",\"pass\":\"%s\",\"n\":%d,\"heads\":2,\"ms\":%s,\"gflops\":%s,\"peak_mib\":%.3f,\"machine\":\"%s\"}\n", tolower($1), pass, n, ms, gf, mib, machine
            }' "$work/attention.txt" | tee -a "$out"
    done ;;
  gpt)
    twins="$here/bench/pytorch/Lineage.Twins.Benchmarks/bin/Release/net10.0/Lineage.Twins.Benchmarks.dll"
    dotnet build "$here/bench/pytorch/Lineage.Twins.Benchmarks" -c Release --nologo -v quiet > /dev/null
    for shape in "4 192" "8 192" "16 192" "32 192" "64 192" "16 64" "16 128" "16 256" "16 512" "16 1024"; do
        read -r batch length <<< "$shape"
        TWINS_BATCH=$batch TWINS_LENGTH=$length timed gpt "\"tool\":\"lineage\",\"batch\":$batch,\"context\":$length,\"steps\":12" \
            dotnet "$twins" gpt "$work/twins" 12 2
        tps=$(grep -o "\"per_second\":[0-9.eE+-]*" "$work/last.log" | tail -1 | cut -d: -f2)
        [[ -n "$tps" ]] && sed -i '$ s/,"machine"/,"tokens_per_s":'"$tps"',"machine"/' "$out"
    done ;;
  *) echo "unknown: $w (tfidf, word2vec, attention or gpt)" >&2; exit 2 ;;
  esac
done
dotnet "$dll" bench scale-plot "$out" -q || true
exit 0
}
