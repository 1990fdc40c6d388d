#!/usr/bin/env bash
# tools/fuzz.sh TARGET MINUTES — fuzz one reader with afl++ and SharpFuzz (issue 29); `tools/fuzz.sh all MINUTES` runs every
# target, one after another, MINUTES each; `tools/fuzz.sh list` names them.
#
# What it does, touching the system only when something is missing (and saying so):
#   - afl-fuzz: on Debian/Ubuntu as root it runs `apt-get install -y afl++`; elsewhere it says what to install and stops;
#   - the sharpfuzz .NET tool (SharpFuzz.CommandLine 2.3.0, pinned in .config/dotnet-tools.json): `dotnet tool restore`;
#   - builds fuzz/Lineage.Fuzz (Release), copies its output to fuzz/out/TARGET/bin (hard links) and instruments real copies
#     of the Lineage assemblies the target runs there (`sharpfuzz X.dll`); the build output itself is never instrumented;
#   - writes the seed corpus with `Lineage.Fuzz seeds` (small valid files from Lineage's own writers);
#   - runs afl-fuzz -i seeds -o fuzz/out/TARGET/findings -t 5000 -m none -V SECONDS -- dotnet Lineage.Fuzz.dll TARGET
#     under `nice -n 19`, with a 1 GiB managed-heap limit so an allocation sized by the file is an OutOfMemory finding;
#   - replays what afl-fuzz saved (crashes/, hangs/) through the uninstrumented build and prints each exception;
#   - ends with one line per target: executions, paths (corpus count), crashes, hangs, from fuzzer_stats.
# fuzz/out is git-ignored. A previous run's findings are kept as fuzz/out/TARGET/findings.previous.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

say() { printf 'fuzz.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage="usage: tools/fuzz.sh TARGET|all MINUTES   (tools/fuzz.sh list: the targets)"
target="${1:-}"
minutes="${2:-}"
[[ -n "$target" ]] || die "$usage"

out=fuzz/out
bin=fuzz/Lineage.Fuzz/bin/Release/net10.0
mkdir -p "$out"

build() {
    say "building fuzz/Lineage.Fuzz (Release)"
    # Two runs side by side must not build at once.
    flock "$out/.build.lock" nice -n 19 dotnet build fuzz/Lineage.Fuzz -c Release --nologo -v quiet >"$out/build.log" 2>&1 \
        || { tail -20 "$out/build.log" >&2; die "the build failed (fuzz/out/build.log)"; }
}

if [[ "$target" == "list" ]]; then
    build
    exec dotnet "$bin/Lineage.Fuzz.dll" list
fi
[[ "$minutes" =~ ^[0-9]+$ && "$minutes" -ge 1 ]] || die "$usage"

if ! command -v afl-fuzz >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1 && grep -qE '^ID=(debian|ubuntu)' /etc/os-release 2>/dev/null; then
        say "afl-fuzz is missing: apt-get install -y afl++"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
    else
        die "afl-fuzz is missing: apt-get install afl++ (Debian/Ubuntu), or build AFL++ from https://github.com/AFLplusplus/AFLplusplus"
    fi
fi
command -v dpkg-deb >/dev/null 2>&1 || say "dpkg-deb is missing: the deb target cannot run (apt-get install dpkg)"

tools="${NUGET_PACKAGES:-$HOME/.nuget/packages}/sharpfuzz.commandline/2.3.0"
if [[ ! -d "$tools" ]]; then
    say "the sharpfuzz tool is missing: dotnet tool restore (SharpFuzz.CommandLine 2.3.0, local, .config/dotnet-tools.json)"
    dotnet tool restore >/dev/null
fi

build
if [[ "$target" == "all" ]]; then
    # One process per target, so one that fails does not stop the others; each prints its summary line last.
    summary=()
    for t in $(dotnet "$bin/Lineage.Fuzz.dll" list | awk '{print $1}'); do
        line=$("$here/tools/fuzz.sh" "$t" "$minutes" | tail -1) || line="$t: failed (see above)"
        summary+=("${line:-$t: failed (see above)}")
    done
    printf '%s\n' "${summary[@]}"
    exit 0
fi
dotnet "$bin/Lineage.Fuzz.dll" list | awk '{print $1}' | grep -qx "$target" || die "no target '$target'; tools/fuzz.sh list names them"

field() { awk -v k="$1" -F' *: *' '$1 == k { print $2 }' "$2"; }

fuzz_one() {
    local t="$1" dir="$out/$1"
    mkdir -p "$dir"
    rm -rf "$dir/bin" "$dir/seeds" "$dir/findings.previous"
    [[ -d "$dir/findings" ]] && mv "$dir/findings" "$dir/findings.previous"

    # A copy of the build: its files copied (so a rebuild never changes a running fuzzer's assemblies), its folders
    # (runtimes/: libtorch, 1 GB) hard-linked. The Lineage assemblies the target runs are instrumented in the copy.
    mkdir -p "$dir/bin"
    for entry in "$bin"/*; do
        if [[ -d "$entry" ]]; then cp -al "$entry" "$dir/bin/"; else cp "$entry" "$dir/bin/"; fi
    done
    for assembly in $(dotnet "$bin/Lineage.Fuzz.dll" assemblies "$t"); do
        DOTNET_ROLL_FORWARD=Major dotnet tool run sharpfuzz "$dir/bin/$assembly.dll" >"$dir/instrument.log" 2>&1 \
            || { cat "$dir/instrument.log" >&2; die "$t: sharpfuzz could not instrument $assembly.dll"; }
    done

    nice -n 19 dotnet "$bin/Lineage.Fuzz.dll" seeds "$dir/seeds" "$t" >&2
    local seeds="$dir/seeds/$t"
    [[ -n "$(ls -A "$seeds" 2>/dev/null)" ]] || die "$t: no seed files"

    # The commit fuzzed ("+" when the tree had changes), for docs/reliability.md's table.
    echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src fuzz 2>/dev/null || echo +)" >"$dir/commit"
    local seconds=$((minutes * 60))
    say "$t: afl-fuzz for $minutes min (log: $dir/afl.log)"
    set +e
    AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 \
        DOTNET_GCHeapHardLimit=0x40000000 \
        nice -n 19 afl-fuzz -i "$seeds" -o "$dir/findings" -t 5000 -m none -V "$seconds" \
        -- dotnet "$dir/bin/Lineage.Fuzz.dll" "$t" >"$dir/afl.log" 2>&1
    local rc=$?
    set -e
    rm -rf /dev/shm/lineage-fuzz/"$t"-*
    local stats="$dir/findings/default/fuzzer_stats"
    if [[ ! -f "$stats" ]]; then
        tail -30 "$dir/afl.log" >&2
        die "$t: afl-fuzz stopped without statistics (exit $rc; $dir/afl.log)"
    fi

    for kind in crashes hangs; do
        if compgen -G "$dir/findings/default/$kind/id:*" >/dev/null; then
            # Each saved input once more, outside afl-fuzz (uninstrumented build): the exception and the Lineage method it escaped from.
            DOTNET_GCHeapHardLimit=0x40000000 timeout 600 dotnet "$bin/Lineage.Fuzz.dll" replay "$t" "$dir/findings/default/$kind" >"$dir/$kind.txt" 2>&1 || true
            say "$t: $kind/ replayed ($dir/$kind.txt), by exception and place:"
            cut -f3 "$dir/$kind.txt" | sed 's/ | .*//' | sort | uniq -c | sort -rn | head -20 >&2
            rm -rf /dev/shm/lineage-fuzz/"$t"-replay-*
        fi
    done

    local execs paths crashes hangs speed runtime
    execs=$(field execs_done "$stats")
    paths=$(field corpus_count "$stats"); paths=${paths:-$(field paths_total "$stats")}
    crashes=$(field saved_crashes "$stats"); crashes=${crashes:-$(field unique_crashes "$stats")}
    hangs=$(field saved_hangs "$stats"); hangs=${hangs:-$(field unique_hangs "$stats")}
    speed=$(field execs_per_sec "$stats")
    runtime=$(field run_time "$stats")
    printf '%s: %s executions, %s paths, %s crashes, %s hangs (%s s, %s exec/s)\n' "$t" "$execs" "$paths" "$crashes" "$hangs" "${runtime:-?}" "$speed"
}

fuzz_one "$target"
