#!/usr/bin/python3
"""Writes sklearn_tfidf.json.gz: scikit-learn's CountVectorizer / TfidfVectorizer output on real e-mails.

The C# parity test (tests/Lineage.Text.Tests/Encodings/SklearnParityTests.cs) reads the fixture and checks that
Lineage's vectorizers give the same vocabulary (same order) and the same values (within 1e-12).

Run:  /usr/bin/python3 make_sklearn_fixture.py DATA_DIR   (DATA_DIR = the data cache, e.g. ../../../../data)
Needs Debian's python3-sklearn (1.2.1 when this fixture was made). Documents: every 100th SpamAssassin message
(sorted by path), first 1,500 characters, read as UTF-8 with replacement; plus a few hand-written edge cases.
"""
import gzip
import json
import os
import sys

import sklearn
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

data = sys.argv[1] if len(sys.argv) > 1 else "../../../../data"
root = os.path.join(data, "spamassassin")
paths = sorted(
    os.path.join(d, f) for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))
    for f in os.listdir(os.path.join(root, d)) if f.endswith(".txt"))
docs = []
for p in paths[::100]:
    with open(os.path.join(root, p), "rb") as fh:
        docs.append(fh.read().decode("utf-8", errors="replace")[:1500])

docs += [
    "",                                   # empty document
    "a I ! ? .",                           # no token of two characters
    "dog bites man",
    "man bites dog",
    "Café naïve ÉCOLE straße ΣΟΦΟΣ İstanbul",  # Python's str.lower (final sigma, dotted I)
    "snake_case under_score 42 4x4 ½ ²³ x²",  # \w: underscore, digits, other numbers
    "tab\tand  double   spaces\n\nnew lines",
    "emoji 😀😀 text 𝐁𝐨𝐥𝐝 math letters",         # astral: symbols are not \w, mathematical letters are
    "CJK 漢字テキスト 한국어",
    "Ångström façade résumé ﬁnancial Ⅻ ñandú ǅemal Ｆｕｌｌｗｉｄｔｈ e\u0301te\u0301 naïveté",  # NFKD: ligatures, compatibility, combining
    "हिन्दी पाठ Tiếng Việt Ελληνικά ά ῷ", # scripts whose marks are and are not combining (class 0 vowel signs)
]

configs = [
    ("tfidf_default", "tfidf", {}),
    ("tfidf_bigrams_l1_sublinear", "tfidf", dict(ngram_range=(1, 2), min_df=2, max_df=0.9, sublinear_tf=True, norm="l1")),
    ("tfidf_raw_idf_no_norm_binary", "tfidf", dict(smooth_idf=False, norm=None, binary=True)),
    ("tfidf_char_wb", "tfidf", dict(analyzer="char_wb", ngram_range=(2, 4), max_features=300)),
    ("tfidf_char_cased", "tfidf", dict(analyzer="char", ngram_range=(1, 3), lowercase=False, min_df=2, max_df=30)),
    ("tfidf_pattern_stop_words", "tfidf", dict(token_pattern=r"(?u)\b\w+\b", stop_words=["the", "and", "to", "of", "a", "i"])),
    ("tfidf_no_idf_trigrams", "tfidf", dict(use_idf=False, ngram_range=(2, 3), min_df=3)),
    ("count_default", "count", {}),
    ("count_binary_bigrams_max_features", "count", dict(binary=True, ngram_range=(1, 2), max_features=1000)),
    ("tfidf_strip_accents_unicode", "tfidf", dict(strip_accents="unicode")),
    ("count_strip_accents_ascii_char_wb", "count", dict(strip_accents="ascii", analyzer="char_wb", ngram_range=(1, 3), min_df=2)),
    ("tfidf_strip_accents_unicode_cased_bigrams", "tfidf", dict(strip_accents="unicode", lowercase=False, ngram_range=(1, 2), min_df=2)),
]



def untied_limit(params, wanted):
    """The largest max_features <= wanted with no tie in corpus frequency at the cut.

    scikit-learn ranks terms with numpy's unstable argsort, so which of several equally frequent terms survive the
    cut is arbitrary; Lineage keeps the first in code-point order. The fixture avoids such a cut."""
    p = {k: v for k, v in params.items() if k != "max_features"}
    p.pop("sublinear_tf", None), p.pop("norm", None), p.pop("smooth_idf", None), p.pop("use_idf", None)
    X = CountVectorizer(**p).fit_transform(docs)
    tfs = sorted(X.sum(axis=0).A1.tolist(), reverse=True)
    k = wanted
    while k > 1 and tfs[k - 1] == tfs[k]:
        k -= 1
    return k


for _, _, params in configs:
    if "max_features" in params:
        params["max_features"] = untied_limit(params, params["max_features"])

out = {"sklearn": sklearn.__version__, "documents": docs, "cases": []}
for name, kind, params in configs:
    v = (TfidfVectorizer if kind == "tfidf" else CountVectorizer)(**params)
    X = v.fit_transform(docs).tocsr()
    X.sort_indices()
    vocab = [t for t, _ in sorted(v.vocabulary_.items(), key=lambda p: p[1])]
    case = {
        "name": name, "kind": kind,
        "params": {k: (list(val) if isinstance(val, tuple) else val) for k, val in params.items()},
        "vocabulary": vocab,
        "indptr": X.indptr.tolist(), "indices": X.indices.tolist(),
        "data": [float(x) for x in X.data],
    }
    if kind == "tfidf":
        case["idf"] = [float(x) for x in v.idf_] if v.use_idf else None
    out["cases"].append(case)
    print(f"{name}: {X.shape[0]}x{X.shape[1]}, nnz {X.nnz}")

here = os.path.dirname(os.path.abspath(__file__))
with gzip.open(os.path.join(here, "sklearn_tfidf.json.gz"), "wt", encoding="utf-8", compresslevel=9) as fh:
    json.dump(out, fh, ensure_ascii=False, separators=(",", ":"))
