#!/usr/bin/env bash
# gensim-python.sh ARGS… — runs ARGS with a Python that can import gensim (for compare.sh's gensim row).
#   1. /usr/bin/python3 when it imports gensim (Debian bookworm: apt install python3-gensim);
#   2. otherwise /usr/bin/python3.11 with Debian bookworm's gensim 4.2.0 and its dependencies extracted (dpkg -x, no
#      installation, nothing outside the cache folder changes) into ${XDG_CACHE_HOME:-~/.cache}/lineage-bench/gensim-py311
#      the first time: Debian trixie ships Python 3.13 and no gensim for it, but bookworm's 3.11 wheels still run under
#      trixie's python3.11 (needs the bookworm entries in apt's sources);
#   3. otherwise one line saying what is missing, exit 1.
# With no ARGS it prints the Python command it would use (environment assignments first).
# GENSIM_BLAS=openblas: run gensim's BLAS calls (scipy's sdot/saxpy, its inner loop) on Debian bookworm's OpenBLAS
# (libopenblas0-pthread, extracted into the same cache, one thread) instead of the system's libblas.so.3, which on a
# plain Debian is the netlib reference BLAS; only the python3.11 route supports it.
set -euo pipefail

blas="${GENSIM_BLAS:-system}"
[[ $blas == system || $blas == openblas ]] || { echo "gensim-python.sh: GENSIM_BLAS is 'system' or 'openblas', not '$blas'." >&2; exit 1; }
if [[ $blas == system ]] && /usr/bin/python3 -c 'import gensim' 2>/dev/null; then
    [[ $# -eq 0 ]] && { echo /usr/bin/python3; exit 0; }
    exec /usr/bin/python3 "$@"
fi

if [[ ! -x /usr/bin/python3.11 ]]; then
    echo "gensim-python.sh: /usr/bin/python3 has no gensim and there is no /usr/bin/python3.11 to run Debian bookworm's python3-gensim with; install python3-gensim." >&2
    exit 1
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/lineage-bench/gensim-py311"
root="$cache/root"
packages=(python3-gensim python3-scipy python3-numpy python3-smart-open liblbfgsb0 python3-decorator)
probe='import gensim; from gensim.models.word2vec_inner import train_batch_sg'
env_of() {
    if [[ $blas == openblas ]]; then
        echo "OPENBLAS_NUM_THREADS=1 LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu/openblas-pthread:$root/usr/lib/x86_64-linux-gnu PYTHONPATH=$root/usr/lib/python3/dist-packages"
    else
        echo "LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu PYTHONPATH=$root/usr/lib/python3/dist-packages"
    fi
}

if [[ ! -f "$cache/ok" ]]; then
    echo "gensim-python.sh: extracting Debian bookworm's gensim for python3.11 into $cache (once)…" >&2
    rm -rf "$cache"
    mkdir -p "$cache/debs"
    chmod 777 "$cache/debs" 2>/dev/null || true   # apt-get download runs as _apt where it can
    if ! (cd "$cache/debs" && apt-get download -q "${packages[@]/%//bookworm}" >/dev/null 2>"$cache/apt.log"); then
        echo "gensim-python.sh: apt-get download of bookworm's ${packages[*]} failed (is bookworm in apt's sources? see $cache/apt.log)." >&2
        exit 1
    fi
    for deb in "$cache"/debs/*.deb; do dpkg -x "$deb" "$root"; done
    if ! env $(env_of) /usr/bin/python3.11 -c "$probe" 2>"$cache/probe.log"; then
        echo "gensim-python.sh: bookworm's gensim does not import under /usr/bin/python3.11 (see $cache/probe.log)." >&2
        exit 1
    fi
    touch "$cache/ok"
fi

if [[ $blas == openblas && ! -f "$cache/ok-openblas" ]]; then
    echo "gensim-python.sh: extracting Debian bookworm's OpenBLAS into $cache (once)…" >&2
    if ! (cd "$cache/debs" && apt-get download -q libopenblas0-pthread/bookworm >/dev/null 2>"$cache/apt-openblas.log"); then
        echo "gensim-python.sh: apt-get download of bookworm's libopenblas0-pthread failed (see $cache/apt-openblas.log)." >&2
        exit 1
    fi
    dpkg -x "$cache"/debs/libopenblas0-pthread_*.deb "$root"
    if ! env $(env_of) /usr/bin/python3.11 -c "$probe; import sys; sys.exit('openblas' not in open('/proc/self/maps').read())" 2>"$cache/probe-openblas.log"; then
        echo "gensim-python.sh: gensim does not load bookworm's OpenBLAS (see $cache/probe-openblas.log)." >&2
        exit 1
    fi
    touch "$cache/ok-openblas"
fi

[[ $# -eq 0 ]] && { echo "$(env_of) /usr/bin/python3.11"; exit 0; }
exec env $(env_of) /usr/bin/python3.11 "$@"
