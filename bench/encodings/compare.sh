#!/usr/bin/env bash
# Side by side, on the same documents, in one run: scikit-learn's TfidfVectorizer, Lineage's TfidfVectorizer
# (1 thread and all cores) and ML.NET's FeaturizeText (TF-IDF word unigrams, L2), each in its own process. Each
# figure is the best of REPEATS runs (wall and CPU seconds); peak memory (max RSS) is the whole process's, from
# /usr/bin/time: the documents, every fitted model and the runtime included.
# Prints every line, then the ratios Lineage / scikit-learn and Lineage / ML.NET.
#   bench/encodings/compare.sh [DIR (default: the SpamAssassin folder of the data cache)] [REPEATS (default 5)]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${1:-${LINEAGE_DATA:-$here/data}/spamassassin}"
repeats="${2:-5}"
[[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import sklearn' 2>/dev/null || {
    echo "compare.sh: needs Debian's python3-sklearn (apt-get install python3-sklearn)" >&2; exit 2; }
dotnet build "$here/bench/Lineage.Benchmarks" -c Release --nologo -v quiet >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
timed() { /usr/bin/time -f "peak_rss_mb %M" -o "$out/$1.mem" "${@:2}" > "$out/$1.txt"; awk '{printf "%s peak_rss_mb %.0f\n", FILENAME, $2/1024}' "$out/$1.mem" | sed "s|$out/||"; }
timed sklearn /usr/bin/python3 "$here/bench/encodings/sklearn_tfidf.py" "$dir" "$repeats"
timed lineage dotnet "$here/bench/Lineage.Benchmarks/bin/Release/net10.0/Lineage.Benchmarks.dll" encodings-compare "$dir" "$repeats" lineage
timed mlnet dotnet "$here/bench/Lineage.Benchmarks/bin/Release/net10.0/Lineage.Benchmarks.dll" encodings-compare "$dir" "$repeats" mlnet
cat "$out/sklearn.txt" "$out/lineage.txt" "$out/mlnet.txt"
awk '
    / seconds / { for (i = 1; i <= NF; i++) if ($i == "seconds") s[$1 " " $2 ($3 == "seconds" ? "" : " " $3)] = $(i+1) }
    END {
        sk = s["sklearn fit_transform threads=1"]; skt = s["sklearn transform threads=1"]; ml = s["mlnet fit_transform"]; mlt = s["mlnet transform"]
        for (k in s) if (k ~ /^lineage fit_transform/) printf "ratio %s vs sklearn fit_transform: %.1fx faster; vs mlnet: %.1fx\n", k, sk / s[k], ml / s[k]
        for (k in s) if (k ~ /^lineage transform/) printf "ratio %s vs sklearn transform: %.1fx faster; vs mlnet: %.1fx\n", k, skt / s[k], mlt / s[k]
    }' "$out/sklearn.txt" "$out/lineage.txt" "$out/mlnet.txt" | sort
