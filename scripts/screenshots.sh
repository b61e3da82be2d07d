#!/usr/bin/env bash
# Real frames of the console, as PNGs: the built binary against the demo
# sandbox in a private tmux server; tmux capture-pane -e -> freeze (SVG) ->
# rsvg-convert (PNG). Pipeline from ../shared/GUIDE.md.
#
#   scripts/screenshots.sh            all frames into screenshots/
#   scripts/screenshots.sh --smoke    one frame into a temp dir (CI smoke test)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${OPSDECK_BIN:-bin/opsdeck}
out=screenshots
smoke=""
if [[ ${1:-} == --smoke ]]; then smoke=1; out=$(mktemp -d); fi
[[ -x $bin ]] || { echo "screenshots: $bin not built (make build)" >&2; exit 1; }
for tool in tmux rsvg-convert; do
  command -v "$tool" >/dev/null || { echo "screenshots: $tool missing (scripts/deps.sh --screenshots)" >&2; exit 1; }
done
freeze=(go run github.com/charmbracelet/freeze@v0.2.2)

work=$(mktemp -d)
sock="opsdeck-shots-$$"
demo_pid=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  if [[ -n $demo_pid ]]; then kill -INT "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true; fi
  [[ -n ${KEEP:-} ]] || rm -rf "$work"; echo "$work" > /tmp/shots.work
}
trap cleanup EXIT

# The files exist before the demo starts: on a busy machine the loop below
# can read them before the background shell has opened them.
: >"$work/demo.out"
"$bin" demo --serve >"$work/demo.out" 2>"$work/demo.err" &
demo_pid=$!
# No limit of our own: opsdeck bounds its wait by the limits its sandbox
# program gives, and ends, saying why, when no configuration comes.
until cfg=$(sed -n 's/^config: //p' "$work/demo.out"); [[ -n $cfg ]]; do
  kill -0 "$demo_pid" 2>/dev/null || { echo "screenshots: the demo did not start" >&2; cat "$work/demo.err" >&2; exit 1; }
  sleep 0.1
done

tmux -L "$sock" new-session -d -x 160 -y 48 "TERM=xterm-256color COLORTERM=truecolor exec $bin --config $cfg"
wait_for() { # wait_for <grep -E pattern> <seconds>
  for _ in $(seq 1 $(($2 * 10))); do
    tmux -L "$sock" capture-pane -p | grep -Eq "$1" && return 0
    sleep 0.1
  done
  echo "screenshots: timed out waiting for /$1/" >&2; tmux -L "$sock" capture-pane -p >&2; exit 1
}
keys() { # keys <key>...: each pressed, with time for the frame to follow
  for k; do tmux -L "$sock" send-keys "$k"; sleep 0.3; done
}
shot() { # shot <name>
  tmux -L "$sock" capture-pane -e -p >"$work/$1.ans"
  # freeze reads SGR 39/49 (default colours) badly: spell them out.
  scripts/sgr-defaults.pl "$work/$1.ans" >"$work/$1.fixed"
  "${freeze[@]}" --language ansi --font.family "DejaVu Sans Mono" --font.size 14 --window=false \
    --padding 12 --margin 0 --border.radius 6 --line-height 1.0 --background "#1f232b" -o "$work/$1.svg" <"$work/$1.fixed" >/dev/null
  # Braille (the charts) is not in DejaVu Sans Mono: pin glyphs to cells (14px x 0.602).
  go run ./tools/svgcells -cell 8.428 <"$work/$1.svg" >"$work/$1.cells.svg"
  rsvg-convert "$work/$1.cells.svg" -o "$out/$1.png"
  echo "  $out/$1.png"
}

wait_for '[0-9] MiB' 30
wait_for '[0-9] queued celery' 10
sleep 3 # one more poll so every pane is live
shot overview
[[ -n $smoke ]] && { file "$out/overview.png"; exit 0; }
tmux -L "$sock" send-keys '?'
wait_for 'any key closes' 5
shot help
keys Escape Tab Tab Enter
wait_for 'query: histogram_quantile' 5
sleep 2.5
# The time cursor, a few minutes back: every metric pane reads that instant.
for _ in $(seq 1 40); do tmux -L "$sock" send-keys h; done
wait_for 'cursor [0-9]' 5
sleep 0.5
shot zoom-latency
# Live again (p), then the Postgres sessions drill-down: esc, focus Postgres
# (two more tabs) and zoom.
keys p
keys Escape Tab Tab Enter
wait_for 'QUERY TEXT' 5
sleep 2.5
shot postgres-sessions
# The lock tree (v): the worker's transaction holds up two of the API's
# updates, one behind the other; then the top statements (v again).
tmux -L "$sock" send-keys v
wait_for 'lock tree · [0-9]+ session' 5
sleep 0.5
shot postgres-locks
tmux -L "$sock" send-keys v
wait_for 'statements over the last' 10
sleep 2.5
shot postgres-statements
keys v
# The drift pane zoomed: pending revisions, schema differences and their SQL.
keys Escape Tab Tab Enter
wait_for 'CREATE TABLE' 5
sleep 1
shot drift
keys Escape
# The reset's question: what it would empty, before anything happens.
tmux -L "$sock" send-keys R
wait_for 'empty [0-9]+ table' 10
sleep 0.5
shot reset-confirm
tmux -L "$sock" send-keys n; sleep 0.5
# The migration's preflight: an index built without CONCURRENTLY, and the
# worker's transaction it would queue behind. Not run (n): the worker is
# cancelled first, from the Postgres sessions (back two panes, zoom, c, y).
tmux -L "$sock" send-keys m
wait_for 'Run it\?' 20
sleep 0.5
shot preflight
tmux -L "$sock" send-keys n; sleep 0.5
keys BTab BTab Enter
wait_for 'sessions [1-9][0-9]* of' 10 # the list read, not only its header
tmux -L "$sock" send-keys c
wait_for 'Cancel the query of pid' 10
tmux -L "$sock" send-keys y
wait_for 'cancelled the query of pid' 10
keys Escape Escape Tab Tab
# A migration, confirmed, its output streamed.
tmux -L "$sock" send-keys m
wait_for 'Run it\?' 20
tmux -L "$sock" send-keys y
wait_for '✔ done in' 60
sleep 0.5
shot action-output
tmux -L "$sock" send-keys Escape; sleep 0.5
# The demo's error spike comes a minute into each five-minute cycle; its
# alert fires some 20 s later.
wait_for '[0-9] firing:' 300
sleep 2.5
shot incident
# The Celery pane during the incident (the focus is on drift; the next pane
# is Celery's), zoomed: the failing re-index, its exception and arguments.
keys Tab
tmux -L "$sock" send-keys Enter
wait_for 'failed [0-9:]+ app.tasks.reindex_embeddings' 30
sleep 2.5
shot celery
tmux -L "$sock" send-keys Escape; sleep 0.5
# The SLO pane (the last one) during the incident, zoomed: availability
# burns its budget several times as fast as it allows, pairs breach.
keys Tab
tmux -L "$sock" send-keys Enter
wait_for '⚠ [0-9.]+× burn origin-api/requests-availability' 10
sleep 0.5
shot slo
tmux -L "$sock" send-keys Escape; sleep 0.5
# The breakdown during the incident: the error rate by handler names the
# route the incident hits (past the SLO pane, round to the second pane).
keys Tab Tab
tmux -L "$sock" send-keys b
wait_for 'Error rate \(5xx\) by handler' 10
wait_for 'OVER 15m' 10
sleep 0.5
shot breakdown
# enter focuses every metric pane on that route; g draws the same window a
# day earlier under every chart, and the time axes mark what changed (the
# migration run above, the alerts, the healthy instance's deploy).
tmux -L "$sock" send-keys Enter
wait_for '◎ handler=' 10
tmux -L "$sock" send-keys g
wait_for 'vs 1d ·' 5
wait_for '% vs 1d' 10
sleep 2.5
shot focus
# The focused error rate zoomed: its ghost line and the list of changes.
tmux -L "$sock" send-keys Enter
wait_for 'what changed \(' 10
sleep 1
shot changes
# Back to every route; the P95 pane's traced requests, then the slowest
# one's trace from Jaeger.
for k in Escape Escape Tab; do tmux -L "$sock" send-keys "$k"; sleep 0.5; done
tmux -L "$sock" send-keys t
wait_for 'TRACE ID' 10
sleep 0.5
shot traces
tmux -L "$sock" send-keys Enter
wait_for '[0-9] spans · ' 10
keys Down Down
wait_for 'db.statement' 5
shot waterfall
# That request's log lines (L), from VictoriaLogs, by its trace id.
tmux -L "$sock" send-keys L
wait_for 'Logs · trace' 10
wait_for ' [0-9]+ ms' 15
sleep 0.5
shot logs-trace
tmux -L "$sock" send-keys Escape; sleep 0.5
# Alertmanager's view: the alerts by group, the watchdog silenced since the
# demo began; then a silence of the firing alert, its reach said before it
# is made; then the silences.
keys Escape Escape
tmux -L "$sock" send-keys A
wait_for '\[alerts\] silences' 10
wait_for 'silenced by opsdeck demo' 10
sleep 0.5
shot alerts
tmux -L "$sock" send-keys s
wait_for 'New silence' 5
tmux -L "$sock" send-keys -l 'rollback to 1.4.1 under way'
tmux -L "$sock" send-keys Enter
wait_for 'Run it\?' 10
sleep 0.5
shot silence-confirm
tmux -L "$sock" send-keys y
wait_for '✔ done in' 10
# (Two presses apart: escape then tab at once would read as alt+tab.)
keys Escape
tmux -L "$sock" send-keys Tab
wait_for 'alerts \[silences\]' 5
wait_for 'rollback to 1.4.1' 10
sleep 0.5
shot silences
# The responders' timeline: the console again, on the demo with a git
# checkout of the application made here (deploys.repo: the demo's deploy
# from 1.4.1 to 1.4.2 brought three commits, one with a migration) and a
# state directory of its own. A note, a figure pinned, then the report,
# whose "What changed" is the postmortem's timeline.
repo="$work/origin"
git init -q -b main "$repo"
commit() { # commit <author> <message> <file>
  mkdir -p "$(dirname "$repo/$3")"; echo "$2" >>"$repo/$3"
  git -C "$repo" add -A
  git -C "$repo" -c user.name="$1" -c user.email="$1@origin.example" commit -qm "$2"
}
commit Ana "first release" app/main.py; git -C "$repo" tag v1.4.1
commit Ana "chat: retry the model call once on a timeout" app/chat.py
commit Bo "messages: index on (conversation_id, created_at)" alembic/versions/1e9b7a6c5d40_messages_index.py
commit Ana "users/me: cache the profile for 30 s" app/users.py; git -C "$repo" tag v1.4.2
sed "s|^    disposable: true|&\n    deploys: {repo: \"$repo\"}|" "$cfg" >"$work/timeline.yaml"
tmux -L "$sock" kill-server 2>/dev/null || true
while tmux -L "$sock" has-session 2>/dev/null; do sleep 0.2; done
# In $work: the report is written to the working directory.
tmux -L "$sock" new-session -d -x 160 -y 48 "cd $work && TERM=xterm-256color COLORTERM=truecolor XDG_STATE_HOME=$work/state exec $(realpath "$bin") --config $work/timeline.yaml --window 1h"
wait_for '[0-9] MiB' 30
tmux -L "$sock" send-keys Tab
sleep 0.5
tmux -L "$sock" send-keys '*'
wait_for 'pin kept' 5
tmux -L "$sock" send-keys n
wait_for 'Note for demo' 5
tmux -L "$sock" send-keys -l 'errors up since the deploy; rolling api back to 1.4.1'
tmux -L "$sock" send-keys Enter
wait_for 'note kept' 5
tmux -L "$sock" send-keys w
wait_for 'report written to' 20
report=$(tmux -L "$sock" capture-pane -p | sed -n 's/.*report written to \([^ ]*\).*/\1/p' | head -1)
# The report's timeline and the deploy's commits, as the file holds them.
sed -n '/^## What changed/,/^## [^W]/p' "$report" | sed '$d' | cut -c1-156 >"$work/timeline.md"
tmux -L "$sock" new-window "cat $work/timeline.md; sleep 600"
wait_for 'What changed' 5
shot report-timeline
# The overview: the demo's environment and two more on its servers, one of
# them a production whose database cannot be reached.
scripts/demo-envs.py --overview-refresh 2s "$cfg" "$work/three.yaml" demo staging:plain production:protected:nodb
tmux -L "$sock" kill-server 2>/dev/null || true
# (A new server only once the old one has gone.)
while tmux -L "$sock" has-session 2>/dev/null; do sleep 0.2; done
sleep 0.5
tmux -L "$sock" new-session -d -x 160 -y 48 "TERM=xterm-256color COLORTERM=truecolor exec $bin --config $work/three.yaml --overview"
wait_for 'PG down' 20
wait_for 'staging .*conn' 20
sleep 2.5
shot overview-all
