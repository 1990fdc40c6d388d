#!/usr/bin/python3
"""Compares two results.json files metric by metric, leaving out timings, speeds and memory (which change from run to
run): prints each experiment's claims (passed before / after) and every non-timing metric that differs.
Usage: tools/compare-results.py BEFORE/results.json AFTER/results.json"""
import json, re, sys

TIMING = re.compile(r"(seconds|_s$|_ms$|per_second|per_s$|_sec|throughput|speed|gflop|mib|_mb$|bytes_per|rss|memory|wall|ratio_vs|speedup|time)", re.I)

def load(path):
    return {e["id"]: e for e in json.load(open(path))["experiments"]}

before, after = load(sys.argv[1]), load(sys.argv[2])
same = changed = 0
for id in sorted(set(before) | set(after)):
    b, a = before.get(id), after.get(id)
    if b is None or a is None:
        print(f"{id}: only {'after' if b is None else 'before'}"); continue
    cb = sum(c["passed"] for c in b["claims"]); ca = sum(c["passed"] for c in a["claims"])
    diffs = []
    for k in sorted(set(b["metrics"]) | set(a["metrics"])):
        if TIMING.search(k): continue
        vb, va = b["metrics"].get(k), a["metrics"].get(k)
        if vb == va: same += 1; continue
        changed += 1
        rel = abs(va - vb) / max(abs(vb), 1e-12) if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
        diffs.append(f"    {k}: {vb} -> {va}" + (f" ({rel:.1%})" if rel is not None else ""))
    print(f"{id}: {b['status']} -> {a['status']}, claims {cb}/{len(b['claims'])} -> {ca}/{len(a['claims'])}, {len(diffs)} non-timing metrics differ")
    for d in diffs: print(d)
print(f"non-timing metrics: {same} equal, {changed} differ")
