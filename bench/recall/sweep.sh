#!/usr/bin/env bash
# The recall grid: MQAR at N ∈ {64, 128, 256} (K = N/16 pairs, Zoology's figure 2) × width ∈ {32, 64, 128} × every
# mixer × learning rates, and selective copying per mixer × learning rates; one `lineage longctx recall --json` run per
# cell, appended to a JSON-lines file and summarised as CSV. Cells already done are skipped, so an interrupted sweep
# continues; `lineage longctx recall-grid` then keeps each cell's best learning rate (Zoology reports the best of 4).
#
# usage: bench/recall/sweep.sh [out-dir]            (default bench/recall/out-$BLOCK)
#   MIXERS="full mamba hyena"  LENGTHS="64 128 256"  WIDTHS="32 64 128"  STEPS_PER_PAIR=150  LRS="1e-3 3.2e-3 1e-2 3.2e-2"
#   VOCAB=512  BATCH=32  BLOCK=zoology  COPY_LENGTH=32  COPY_TOKENS=4  COPY_STEPS=600  TASKS="mqar selective-copy"
#   NICE=10  DLL=path/to/lineage.dll  STEPS=600 (one step count for every N instead of STEPS_PER_PAIR × K)
#   BLOCK=custom SHORT_CONV=3 (the chapter's former block: that convolution before every mixer, an MLP, positions)
# BLOCK=zoology puts each mixer in the block Zoology trains it in (RecallBlock.Zoology: no positions; attention after a
# convolution of 3 with an MLP; Hyena with an MLP; Mamba alone). LRS defaults to Zoology's four (np.logspace(-3, -1.5, 4)).
# MQAR's training steps grow with its pairs K = N/16 (150 per pair: 600 at N = 64, 1,200 at 128, 2,400 at 256): full
# attention needed 1,200 steps at N = 128 where 600 gave 0.22 (docs/long-context.md), and every mixer gets the same.
# Each cell's process keeps its freed memory in one malloc arena (GLIBC_TUNABLES), as the tour's chapters do: 8× fewer
# page faults on a Mamba step.
# Runs one cell at a time on one libtorch thread (the machine is shared); each cell prints its seconds. At the end
# `lineage longctx recall-grid` writes <out>/recall-grid/: mqar-n{N}.png and recall.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
BLOCK="${BLOCK:-zoology}"
SHORT_CONV="${SHORT_CONV:-3}"
out="${1:-bench/recall/out-$BLOCK}"
mkdir -p "$out"
jsonl="$out/recall.jsonl"
done_list="$out/done.txt"      # one line per finished cell: task mixer N width lr block
touch "$jsonl" "$done_list"
MIXERS="${MIXERS:-full flash longformer bigbird reformer linformer hyena mamba}"
LENGTHS="${LENGTHS:-64 128 256}"
WIDTHS="${WIDTHS:-32 64 128}"
STEPS="${STEPS:-}"
STEPS_PER_PAIR="${STEPS_PER_PAIR:-150}"
LRS="${LRS:-1e-3 3.2e-3 1e-2 3.2e-2}"
VOCAB="${VOCAB:-512}"         # Zoology: 8192; 512 (the smallest above N = 256) learns faster on a CPU budget
BATCH="${BATCH:-32}"
COPY_LENGTH="${COPY_LENGTH:-32}"
COPY_TOKENS="${COPY_TOKENS:-4}"
COPY_STEPS="${COPY_STEPS:-600}"
TASKS="${TASKS:-mqar selective-copy}"
NICE="${NICE:-10}"
dll="${DLL:-src/Lineage.Cli/bin/Release/net10.0/lineage.dll}"
[ -f "$dll" ] || dotnet build src/Lineage.Cli -c Release --nologo -v quiet
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736}"
if [ "$BLOCK" = zoology ]; then block_args=(--block zoology); else block_args=(--block custom --short-conv "$SHORT_CONV"); fi

run() {   # task mixer n width steps vocab lr [extra…]
  local key="$1 $2 $3 $4 $7 $BLOCK"
  [ "$BLOCK" = zoology ] || key+=" conv$SHORT_CONV"
  if grep -qxF "$key" "$done_list"; then echo "skip $key (done)"; return; fi
  local start=$SECONDS line
  line=$(nice -n "$NICE" dotnet "$dll" longctx recall --task "$1" --mixer "$2" --seq-len "$3" --width "$4" --steps "$5" \
      --lr "$7" --batch "$BATCH" --vocab "$6" "${block_args[@]}" --threads 1 --json "${@:8}" | tail -n 1)
  # Only a finished cell's JSON is kept: a stopped or failed one leaves nothing, so a rerun does it again.
  if [[ "$line" != "{"* ]]; then echo "$key: no result ($line)"; return; fi
  echo "$line" >> "$jsonl"
  echo "$key" >> "$done_list"
  echo "$key: $(sed -E 's/.*"accuracy":([0-9.eE-]+).*/\1/' <<< "$line") in $((SECONDS - start)) s"
}

for task in $TASKS; do
  for mixer in $MIXERS; do
    for lr in $LRS; do
      if [ "$task" = mqar ]; then
        for n in $LENGTHS; do
          steps="${STEPS:-$((STEPS_PER_PAIR * n / 16))}"
          for w in $WIDTHS; do run mqar "$mixer" "$n" "$w" "$steps" "$VOCAB" "$lr"; done
        done
      else
        run "$task" "$mixer" "$COPY_LENGTH" 64 "$COPY_STEPS" 16 "$lr" --copy-tokens "$COPY_TOKENS"
      fi
    done
  done
done

# CSV summary: task,mixer,length,width,accuracy,chance,steps,seconds,learning rate, block
python3 - "$jsonl" "$out/recall.csv" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
with open(sys.argv[2], "w") as f:
    f.write("task,mixer,length,width,causal,accuracy,chance,steps,examples,parameters,train_seconds,learning_rate,short_conv,mlp,positions\n")
    for r in rows:
        f.write(f"{r['task']},{r['mixer']},{r['length']},{r['width']},{str(r['causal']).lower()},{r['accuracy']:.4f},{r['chance']:.5f},"
                f"{r['steps']},{r['examples']},{r['parameters']},{r['trainSeconds']:.1f},{r.get('learningRate', '')},{r.get('shortConv', '')},"
                f"{str(r.get('mlp', '')).lower()},{str(r.get('positions', '')).lower()}\n")
print(f"{len(rows)} cells -> {sys.argv[2]}")
PY

# Zoology figure 2's layout (accuracy against width, one plot per N, the paper's points beside) and a Markdown table
dotnet "$dll" longctx recall-grid --from "$jsonl" -o "$out"
