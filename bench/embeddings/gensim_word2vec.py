#!/usr/bin/python3
"""Train gensim's Word2Vec on a whitespace-tokenised corpus file with the benchmark's settings.

usage: gensim_word2vec.py CORPUS OUT.bin THREADS [sg|cbow] [EPOCHS (default 5)]
corpus_file mode: gensim's fastest path (Cython workers over byte ranges, no Python per sentence).
"""
import sys
import time

from gensim.models import Word2Vec

corpus, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
sg = 0 if len(sys.argv) > 4 and sys.argv[4] == "cbow" else 1
epochs = int(sys.argv[5]) if len(sys.argv) > 5 else 5
start = time.time()
model = Word2Vec(corpus_file=corpus, vector_size=100, window=5, negative=5, hs=0, sample=1e-3, min_count=5,
                 epochs=epochs, workers=threads, sg=sg, alpha=0.025 if sg else 0.05, seed=1)
print(f"gensim: trained in {time.time() - start:.1f} s", file=sys.stderr)
model.wv.save_word2vec_format(out, binary=True)
