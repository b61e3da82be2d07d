#!/usr/bin/env bash
# Measures the opsdeck binary the way an on-call engineer runs it: the console
# against the demo sandbox at a 2 s refresh, idle for a while (default 60 s).
# The sandbox runs apart (`opsdeck demo --serve`, which starts opsdeck-sandbox
# from beside the binary); only the console's process is measured.
# Prints one line: CPU seconds used while idle, peak and final RSS, and the time
# from start to the first frame with numbers in all four metric panes.
#
#   scripts/measure.sh [seconds]       (make measure)
#   OPSDECK_MEASURE_KEYS=g scripts/measure.sh   keys pressed first (g: the ghost line)
#   OPSDECK_MEASURE_OVERVIEW=5 scripts/measure.sh   the overview of five environments
#                                    (copies of the demo's, each on its own clients)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-60}
bin=${OPSDECK_BIN:-bin/opsdeck}
[[ -x $bin ]] || { echo "measure: $bin not built (make build)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "measure: tmux missing (scripts/deps.sh)" >&2; exit 1; }

work=$(mktemp -d)
sock="opsdeck-measure-$$"
demo_pid=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  if [[ -n $demo_pid ]]; then kill -INT "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

: >"$work/demo.out" # exists before the loop reads it, however busy the machine
"$bin" demo --serve >"$work/demo.out" 2>"$work/demo.err" &
demo_pid=$!
# No limit of our own: opsdeck bounds its wait by the limits its sandbox
# program gives, and ends, saying why, when no configuration comes.
until cfg=$(sed -n 's/^config: //p' "$work/demo.out"); [[ -n $cfg ]]; do
  kill -0 "$demo_pid" 2>/dev/null || { echo "measure: the demo did not start" >&2; cat "$work/demo.err" >&2; exit 1; }
  sleep 0.1
done
# Let Prometheus gather a few samples so the first frame can have numbers.
sleep 5

args="--refresh 2s"
if [[ -n ${OPSDECK_MEASURE_OVERVIEW:-} ]]; then
  # N environments, each the demo's under another name.
  scripts/demo-envs.py "$cfg" "$work/overview.yaml" $(seq -f 'env%g' 1 "$OPSDECK_MEASURE_OVERVIEW")
  cfg="$work/overview.yaml" args="--refresh 2s --overview --env env1"
fi

hz=$(getconf CLK_TCK)
t0=$(date +%s.%N)
tmux -L "$sock" new-session -d -x 160 -y 48 "exec $bin --config $cfg $args"
pid=$(tmux -L "$sock" display-message -p '#{pane_pid}')
first=""
for _ in $(seq 1 300); do
  screen=$(tmux -L "$sock" capture-pane -p)
  if [[ -n ${OPSDECK_MEASURE_OVERVIEW:-} ]]; then
    if [[ $(grep -Ec 'rate [0-9.]+ req/s' <<<"$screen") -ge $OPSDECK_MEASURE_OVERVIEW ]]; then
      first=$(echo "$(date +%s.%N) - $t0" | bc)
      break
    fi
  elif grep -Eq '[0-9] req/s' <<<"$screen" && grep -Eq '[0-9] %|<0.01 %' <<<"$screen" &&
     grep -Eq '[0-9] (ms|s|µs) ' <<<"$screen" && grep -Eq '[0-9] MiB' <<<"$screen"; then
    first=$(echo "$(date +%s.%N) - $t0" | bc)
    break
  fi
  sleep 0.02
done
[[ -n $first ]] || { echo "measure: no complete frame within 6 s" >&2; tmux -L "$sock" capture-pane -p >&2; exit 1; }
# The figures are the console's own: the pane's shell has exec'd it by its
# first frame, and the sandbox (opsdeck-sandbox, the child of the `demo
# --serve` above) is another process, not counted.
want=$(basename "$bin" | cut -c1-15) # a process's name, as the kernel keeps it
[[ $(cat "/proc/$pid/comm") == "$want" ]] || { echo "measure: pane process $pid is $(cat "/proc/$pid/comm"), not the console" >&2; exit 1; }

if [[ -n ${OPSDECK_MEASURE_KEYS:-} ]]; then
  tmux -L "$sock" send-keys "$OPSDECK_MEASURE_KEYS"
  sleep 3
fi

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(ticks)
sleep "$duration"
after=$(ticks)
kill -0 "$pid" 2>/dev/null || { echo "measure: opsdeck exited during the run" >&2; exit 1; }
hwm=$(awk '/^VmHWM/{print $2}' "/proc/$pid/status")
rss=$(awk '/^VmRSS/{print $2}' "/proc/$pid/status")
# RssAnon is the memory the process itself filled (heap, stacks); RSS adds
# the binary's pages it has touched; PSS shares those with other processes.
anon=$(awk '/^RssAnon/{print $2}' "/proc/$pid/status")
pss=$(awk '/^Pss:/{print $2}' "/proc/$pid/smaps_rollup")
printf 'opsdeck idle %ss at 2s refresh: %.2f CPU-s, peak RSS %.1f MiB, RSS %.1f MiB, RssAnon %.1f MiB, PSS %.1f MiB, first complete frame %.2f s after start\n' \
  "$duration" "$(echo "($after - $before) / $hz" | bc -l)" "$(echo "$hwm / 1024" | bc -l)" "$(echo "$rss / 1024" | bc -l)" \
  "$(echo "$anon / 1024" | bc -l)" "$(echo "$pss / 1024" | bc -l)" "$first"
