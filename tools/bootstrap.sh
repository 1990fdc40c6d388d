#!/usr/bin/env bash
# Lineage bootstrap: make this machine able to build and run Lineage, touching the system only when needed.
#
#   tools/bootstrap.sh            check .NET and libstdc++ (fix libstdc++ on Debian 12 as root)
#   tools/bootstrap.sh --check    only report; change nothing, exit 1 if something is missing
#   tools/bootstrap.sh --pytorch  also install PyTorch 2.6 for bench/pytorch/compare.sh (never needed by the tests)
#
# What it may change, and only when the check fails:
#   TorchSharp-cpu 0.107.0 (libtorch 2.10) needs libstdc++ from GCC 13 or newer (symbol version GLIBCXX_3.4.32).
#   Debian 12 ships GCC 12's. On Debian 12, as root, this script then
#     1. adds the apt source /etc/apt/sources.list.d/lineage-trixie.sources (Debian 13, same mirror as bookworm),
#     2. pins it at priority 100 in /etc/apt/preferences.d/lineage-trixie, so nothing else comes from trixie
#        unless asked for by name,
#     3. runs `apt-get update` and `apt-get install -y -t trixie libstdc++6` (this also upgrades libc6; nothing is removed).
#   Anywhere else it prints what to install and stops.
#   SentencePiece's trainer (spm_train, for T5's vocabulary): when it is missing, as root on Debian or Ubuntu, it runs
#   `apt-get install -y sentencepiece`; elsewhere it says what to install and goes on (only T5 needs it).
#   With --pytorch, as root on Debian 12 (after the trixie source above): `apt-get install -y -t trixie python3-torch
#   python3-sympy` (torch 2.6 imports sympy >= 1.13 when an optimiser is built; bookworm's is 1.11).
set -euo pipefail

check_only=0 pytorch=0
[[ "${1:-}" == "--check" ]] && check_only=1
[[ "${1:-}" == "--pytorch" ]] && pytorch=1

say() { printf 'lineage bootstrap: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

os_id=unknown os_version=unknown
if [[ -r /etc/os-release ]]; then
    # shellcheck disable=SC1091
    os_id=$(. /etc/os-release && echo "${ID:-unknown}")
    os_version=$(. /etc/os-release && echo "${VERSION_ID:-unknown}")
fi

# --- .NET SDK 10 -------------------------------------------------------------------------------
check_dotnet() {
    if ! command -v dotnet >/dev/null 2>&1; then
        say "the .NET 10 SDK is not installed (no 'dotnet' on PATH)."
        case "$os_id" in
            ubuntu) say "install it with: sudo apt-get install -y dotnet-sdk-10.0" ;;
            *) say "install the .NET 10 SDK for your system (packages from Microsoft's Linux repository, or your distribution's dotnet-sdk-10.0), then run this again." ;;
        esac
        return 1
    fi
    if ! dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; then
        say "the .NET SDK found ($(dotnet --version 2>/dev/null || echo '?')) is not version 10; Lineage targets net10.0."
        say "install the .NET 10 SDK (dotnet-sdk-10.0), then run this again."
        return 1
    fi
}

# --- libstdc++ with GLIBCXX_3.4.32 ---------------------------------------------------------------
libstdcxx_path() {
    local p
    p=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
    [[ -z "$p" ]] && p=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 / {print $NF; exit}')
    echo "$p"
}

has_glibcxx() {
    local lib
    lib=$(libstdcxx_path)
    [[ -n "$lib" && -r "$lib" ]] && grep -qa 'GLIBCXX_3\.4\.32' "$lib"
}

# The URI of this machine's bookworm apt source, so the trixie source uses the same mirror.
bookworm_uri() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -r "$f" ]] || continue
        # deb822 stanzas: print the URIs of the first stanza whose Suites contain plain "bookworm".
        uri=$(awk 'BEGIN{RS=""; FS="\n"}
            { u=""; s=0
              for (i=1;i<=NF;i++) {
                if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); u=a[1] }
                if ($i ~ /^Suites:/) { n=split($i, b, /[ \t]+/); for (j=2;j<=n;j++) if (b[j]=="bookworm") s=1 }
              }
              if (s && u!="") { print u; exit } }' "$f")
        [[ -n "$uri" ]] && { echo "$uri"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -r "$f" ]] || continue
        uri=$(awk '$1=="deb" && $0 ~ / bookworm / { for (i=2;i<=NF;i++) if ($i !~ /^\[/) { print $i; exit } }' "$f")
        [[ -n "$uri" ]] && { echo "$uri"; return; }
    done
}

install_trixie_libstdcxx() {
    local uri
    uri=$(bookworm_uri)
    [[ -n "$uri" ]] || die "no bookworm apt source found to derive a trixie source from; add Debian 13 (trixie) to apt, pinned at priority 100, and run: apt-get install -y -t trixie libstdc++6"
    say "libstdc++ lacks GLIBCXX_3.4.32 (needed by libtorch 2.10 in TorchSharp-cpu 0.107.0)."
    say "installing Debian 13's libstdc++6: adding apt source 'trixie' ($uri) pinned at priority 100."
    cat > /etc/apt/sources.list.d/lineage-trixie.sources <<EOF
# Added by Lineage's tools/bootstrap.sh: Debian 13 (trixie), only for libstdc++6 (GLIBCXX_3.4.32, needed by libtorch 2.10).
Types: deb
URIs: $uri
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    cat > /etc/apt/preferences.d/lineage-trixie <<'EOF'
# Added by Lineage's tools/bootstrap.sh: take nothing from trixie unless it is asked for by name (-t trixie).
Package: *
Pin: release n=trixie
Pin-Priority: 100
EOF
    say "running: apt-get update"
    apt-get update -qq
    say "running: apt-get install -y -t trixie libstdc++6"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie libstdc++6 >/dev/null
    has_glibcxx || die "libstdc++6 from trixie was installed but $(libstdcxx_path) still lacks GLIBCXX_3.4.32."
    say "done: $(libstdcxx_path) now provides GLIBCXX_3.4.32."
}

check_libstdcxx() {
    has_glibcxx && return 0
    local lib
    lib=$(libstdcxx_path)
    if [[ $check_only == 1 ]]; then
        say "${lib:-libstdc++.so.6} lacks GLIBCXX_3.4.32 (libtorch 2.10 needs libstdc++ from GCC 13+); run tools/bootstrap.sh to fix."
        return 1
    fi
    if [[ "$os_id" == debian && "$os_version" == 12 ]]; then
        if [[ $(id -u) -eq 0 ]]; then
            install_trixie_libstdcxx
            return 0
        fi
        say "${lib:-libstdc++.so.6} lacks GLIBCXX_3.4.32, which libtorch 2.10 (TorchSharp-cpu 0.107.0) needs."
        say "as root, run these (they add Debian 13 as a low-priority apt source and take only libstdc++6 from it):"
        say "  sudo tools/bootstrap.sh"
        return 1
    fi
    say "${lib:-libstdc++.so.6} lacks GLIBCXX_3.4.32, which libtorch 2.10 (TorchSharp-cpu 0.107.0) needs."
    say "install libstdc++ from GCC 13 or newer (Ubuntu 24.04+, Debian 13+ and Fedora 39+ ship it: package libstdc++6 / libstdc++),"
    say "then run this again."
    return 1
}

# --- SentencePiece's trainer (spm_train) ------------------------------------------------------
# T5's vocabulary is trained with Google's own SentencePiece trainer, packaged by Debian and Ubuntu as `sentencepiece`.
# Only T5 needs it, so a missing trainer is reported, not fatal; as root on Debian or Ubuntu it is installed.
check_sentencepiece() {
    command -v spm_train >/dev/null 2>&1 && return 0
    if [[ $check_only == 0 && $(id -u) -eq 0 && ( "$os_id" == debian || "$os_id" == ubuntu ) ]] && command -v apt-get >/dev/null 2>&1; then
        say "spm_train (SentencePiece's trainer, used for T5's vocabulary) is missing: running apt-get install -y sentencepiece"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sentencepiece >/dev/null 2>&1 \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sentencepiece >/dev/null; } \
            || say "could not install sentencepiece; T5's experiments will say so."
        command -v spm_train >/dev/null 2>&1 && return 0
    fi
    say "spm_train is not installed; T5 needs it (Debian/Ubuntu: sudo apt-get install sentencepiece)."
}

# --- PyTorch, only for bench/pytorch/compare.sh -------------------------------------------------------------
check_pytorch() {
    /usr/bin/python3 -c 'import torch, torch._dynamo' >/dev/null 2>&1 && return 0
    if [[ $(id -u) -eq 0 && "$os_id" == debian && -e /etc/apt/sources.list.d/lineage-trixie.sources ]]; then
        say "running: apt-get install -y -t trixie python3-torch python3-sympy (for bench/pytorch/compare.sh only)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie python3-torch python3-sympy >/dev/null \
            || say "could not install python3-torch; bench/pytorch/compare.sh will say so."
        return 0
    fi
    say "bench/pytorch/compare.sh needs PyTorch: apt-get install -t trixie python3-torch python3-sympy"
}

status=0
check_dotnet || status=1
check_libstdcxx || status=1
check_sentencepiece
[[ $pytorch == 1 ]] && check_pytorch
exit $status
