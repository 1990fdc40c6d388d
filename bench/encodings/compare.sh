#!/usr/bin/env bash
# Side by side, on the same documents: scikit-learn's TfidfVectorizer, Lineage's TfidfVectorizer (1 thread and all
# cores) and ML.NET's FeaturizeText (TF-IDF word unigrams, L2), each in its own process. The three processes take
# turns for ROUNDS rounds, so that the machine's slow and fast spells (on our shared VMs the same program's best of 7
# moves by 30 % from one minute to the next) fall on all three alike; each figure is the best over all rounds of the
# best of REPEATS runs in a process (wall and CPU seconds). Peak memory (max RSS) is the whole process's, from
# /usr/bin/time, the largest over the rounds: the documents, every fitted model and the runtime included.
# Prints the best line of each, then the ratios Lineage / scikit-learn and Lineage / ML.NET.
#   bench/encodings/compare.sh [DIR (default: the SpamAssassin folder of the data cache)] [REPEATS (default 5)] [ROUNDS (default 3)]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${1:-${LINEAGE_DATA:-$here/data}/spamassassin}"
repeats="${2:-5}"
rounds="${3:-3}"
[[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import sklearn' 2>/dev/null || {
    echo "compare.sh: needs Debian's python3-sklearn (apt-get install python3-sklearn)" >&2; exit 2; }
dotnet build "$here/bench/Lineage.Benchmarks" -c Release --nologo -v quiet >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
timed() { /usr/bin/time -f "%M" -o "$out/$1.mem" "${@:2}" >> "$out/$1.txt"; cat "$out/$1.mem" >> "$out/$1.rss"; }
for ((round = 1; round <= rounds; round++)); do
    timed sklearn /usr/bin/python3 "$here/bench/encodings/sklearn_tfidf.py" "$dir" "$repeats"
    timed lineage dotnet "$here/bench/Lineage.Benchmarks/bin/Release/net10.0/Lineage.Benchmarks.dll" encodings-compare "$dir" "$repeats" lineage
    timed mlnet dotnet "$here/bench/Lineage.Benchmarks/bin/Release/net10.0/Lineage.Benchmarks.dll" encodings-compare "$dir" "$repeats" mlnet
done
for system in sklearn lineage mlnet; do
    sort -n "$out/$system.rss" | tail -1 | awk -v s="$system" '{printf "%s peak_rss_mb %.0f (largest of the rounds)\n", s, $1/1024}'
done
# The best (lowest seconds) line of each measurement over the rounds; the documents line once.
best() { awk '/^documents/ { if (!seen++) print; next }
              / seconds / { for (i = 1; i <= NF; i++) if ($i == "seconds") { key = $1 " " $2 ($3 == "seconds" ? "" : " " $3); if (!(key in s) || $(i+1) < s[key]) { s[key] = $(i+1); line[key] = $0 } } if (!(key in order)) order[key] = ++n }
              END { for (k in order) rank[order[k]] = k; for (j = 1; j <= n; j++) print line[rank[j]] }' "$1"; }
best "$out/sklearn.txt" > "$out/sklearn.best"; best "$out/lineage.txt" > "$out/lineage.best"; best "$out/mlnet.txt" > "$out/mlnet.best"
cat "$out/sklearn.best" "$out/lineage.best" "$out/mlnet.best"
awk '
    / seconds / { for (i = 1; i <= NF; i++) if ($i == "seconds") s[$1 " " $2 ($3 == "seconds" ? "" : " " $3)] = $(i+1) }
    END {
        sk = s["sklearn fit_transform threads=1"]; skt = s["sklearn transform threads=1"]; ml = s["mlnet fit_transform"]; mlt = s["mlnet transform"]
        for (k in s) if (k ~ /^lineage fit_transform/) printf "ratio %s vs sklearn fit_transform: %.1fx faster; vs mlnet: %.1fx\n", k, sk / s[k], ml / s[k]
        for (k in s) if (k ~ /^lineage transform/) printf "ratio %s vs sklearn transform: %.1fx faster; vs mlnet: %.1fx\n", k, skt / s[k], mlt / s[k]
    }' "$out/sklearn.best" "$out/lineage.best" "$out/mlnet.best" | sort
