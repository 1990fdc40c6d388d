#!/usr/bin/python3
"""scikit-learn's TfidfVectorizer (defaults) on a folder of documents: fit_transform and transform throughput.

Reads the documents as bench/Lineage.Benchmarks' encodings-compare does (every file under DIR except hidden ones,
sorted by relative path, UTF-8 with replacement) and prints lines in the same format. Best of REPEATS runs.
Usage: /usr/bin/python3 sklearn_tfidf.py DIR [REPEATS]
"""
import gc
import os
import sys
import time

import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

root = sys.argv[1]
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
paths = sorted(
    os.path.relpath(os.path.join(d, f), root)
    for d, dirs, files in os.walk(root)
    for f in files
    if not any(part.startswith(".") for part in os.path.relpath(os.path.join(d, f), root).split(os.sep)))
docs = [open(os.path.join(root, p), "rb").read().decode("utf-8", "replace") for p in paths]
mb = sum(len(d.encode("utf-8", "surrogatepass")) for d in docs) / 1e6
print(f"documents {len(docs)} MB {mb:.2f} sklearn {sklearn.__version__}")


def report(name, work):
    best, best_cpu, last = float("inf"), float("inf"), None
    for _ in range(repeats):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        last = work()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    print(f"{name} seconds {best:.4f} cpu_seconds {best_cpu:.4f} docs_per_s {len(docs) / best:.0f} mb_per_s {mb / best:.2f} "
          f"shape {last.shape[0]}x{last.shape[1]} nnz {last.nnz}")


fitted = TfidfVectorizer().fit(docs)
report("sklearn fit_transform threads=1", lambda: TfidfVectorizer().fit_transform(docs))
report("sklearn transform threads=1", lambda: fitted.transform(docs))
