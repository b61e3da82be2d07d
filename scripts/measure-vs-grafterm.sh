#!/usr/bin/env bash
# Measures the idle console side by side with grafterm (slok/grafterm, pinned
# by tools/grafterm), both against the same demo Prometheus: grafterm draws
# scripts/grafterm.json (four singlestats and four graphs of the golden
# signals, with the queries of opsdeck's defaults), opsdeck draws every pane
# of the demo (metrics, Alertmanager, Postgres, Redis, drift, Celery).
# The sandbox starts once; then, round after round, each program runs alone
# in a 160x48 tmux pane at a 2 s refresh and a 15 m window, idle for the
# duration (default 60 s), the order swapped every round. Prints, per run, CPU
# seconds, peak RSS, RSS at the end and peak RssAnon (sampled every second from
# /proc/<pid>/status), and per round opsdeck's CPU as a fraction of
# grafterm's; then the median and spread of each.
#
#   scripts/measure-vs-grafterm.sh [rounds] [seconds]     (make measure-vs)
#   OPSDECK_BIN=path                the console measured (bin/opsdeck)
#   OPSDECK_BASE_BIN=path           another console build measured in the same
#                                   rounds (e.g. the commit before a change)
#   OPSDECK_ALT_BIN=path            a third, "alt" (e.g. a wrapper that sets GOGC)
#   OPSDECK_STORE=victoriametrics   every contender reads a VictoriaMetrics (Debian's)
#                                   scraping the demo's API instead of its Prometheus,
#                                   with vmalert evaluating the demo's rules (recording
#                                   and alerting, to its Alertmanager) and served under
#                                   VictoriaMetrics' own API (-vmalert.proxyURL)
#   OPSDECK_STORE=thanos            every contender reads a Thanos querier (make thanos) in
#                                   front of two replicas of the demo's Prometheus (its
#                                   configuration, rules and flags, external labels
#                                   replica="a" and "b", alerts sent without them), each with
#                                   its sidecar, deduplicated by replica
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
duration=${2:-60}
bin=${OPSDECK_BIN:-bin/opsdeck}
base=${OPSDECK_BASE_BIN:-}
alt=${OPSDECK_ALT_BIN:-}
[[ -x $bin ]] || { echo "measure-vs: $bin not built (make build)" >&2; exit 1; }
[[ -z $base || -x $base ]] || { echo "measure-vs: $base is not a program" >&2; exit 1; }
[[ -z $alt || -x $alt ]] || { echo "measure-vs: $alt is not a program" >&2; exit 1; }
command -v tmux >/dev/null || { echo "measure-vs: tmux missing (scripts/deps.sh)" >&2; exit 1; }

# grafterm, built once into the user's cache at the version tools/grafterm pins.
version=$(awk '$1 == "github.com/slok/grafterm" && $2 ~ /^v/ {print $2}' tools/grafterm/go.mod)
grafterm=${GRAFTERM_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/opsdeck/grafterm-$version}
if [[ ! -x $grafterm ]]; then
  echo "building grafterm $version (once)" >&2
  mkdir -p "$(dirname "$grafterm")"
  (cd tools/grafterm && go build -o "$grafterm" github.com/slok/grafterm/cmd/grafterm)
fi

work=$(mktemp -d)
sock="opsdeck-vs-$$"
demo_pid=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  if [[ -n $demo_pid ]]; then kill -INT "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

: >"$work/demo.out"
"$bin" demo --serve >"$work/demo.out" 2>"$work/demo.err" &
demo_pid=$!
until cfg=$(sed -n 's/^config: //p' "$work/demo.out"); [[ -n $cfg ]]; do
  kill -0 "$demo_pid" 2>/dev/null || { echo "measure-vs: the demo did not start" >&2; cat "$work/demo.err" >&2; exit 1; }
  sleep 0.1
done
prom=$(sed -n 's/.*prometheus: {url: "\([^"]*\)".*/\1/p' "$cfg" | head -1)
[[ -n $prom ]] || { echo "measure-vs: no Prometheus in $cfg" >&2; exit 1; }
printf '{"version":"v1","datasources":{"prometheus":{"prometheus":{"address":"%s"}}}}\n' "$prom" >"$work/datasources.json"
if [[ ${OPSDECK_STORE:-prometheus} == victoriametrics ]]; then
  for b in victoria-metrics vmalert curl python3; do command -v $b >/dev/null || { echo "measure-vs: $b missing (scripts/deps.sh)" >&2; exit 1; }; done
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  # The demo Prometheus's own configuration: its targets, interval and rule files.
  promconf=$(curl -fsS "$prom/api/v1/status/flags" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["config.file"])')
  confdir=$(dirname "$promconf")
  vmport=$(free_port) vmaport=$(free_port)
  mkdir -p "$work/vm"
  sed -n '/^scrape_configs:/,$p' "$promconf" | sed '1i global: {scrape_interval: 1s}' >"$work/vm/scrape.yml"
  am=$(sed -n '/alertmanagers:/,/targets/p' "$promconf" | sed -n 's/.*targets: \["\([^"]*\)".*/\1/p')
  rules=()
  for f in $(sed -n 's/^rule_files: \[\(.*\)\]/\1/p' "$promconf" | tr -d ' "' | tr ',' ' '); do
    [[ $f == /* ]] || f=$confdir/$f
    rules+=("-rule=$f")
  done
  victoria-metrics -storageDataPath="$work/vm/data" -httpListenAddr="127.0.0.1:$vmport" -promscrape.config="$work/vm/scrape.yml" \
    -memory.allowedPercent=5 -loggerLevel=WARN -vmalert.proxyURL="http://127.0.0.1:$vmaport" >"$work/vm/vm.log" 2>&1 &
  vm_pid=$!
  vmalert "${rules[@]}" -datasource.url="http://127.0.0.1:$vmport" -remoteWrite.url="http://127.0.0.1:$vmport" \
    -remoteWrite.flushInterval=1s -notifier.url="http://$am" -evaluationInterval=1s \
    -httpListenAddr="127.0.0.1:$vmaport" -loggerLevel=WARN >"$work/vm/vmalert.log" 2>&1 &
  vmalert_pid=$!
  trap 'kill $vm_pid $vmalert_pid 2>/dev/null || true; cleanup' EXIT
  until curl -fsS "http://127.0.0.1:$vmport/health" >/dev/null 2>&1; do kill -0 $vm_pid || { cat "$work/vm/vm.log" >&2; exit 1; }; sleep 0.2; done
  sed "s#$prom#http://127.0.0.1:$vmport#" "$cfg" >"$work/vm/opsdeck.yaml"
  cfg=$work/vm/opsdeck.yaml prom=http://127.0.0.1:$vmport
  printf '{"version":"v1","datasources":{"prometheus":{"prometheus":{"address":"%s"}}}}\n' "$prom" >"$work/datasources.json"
  echo "store: VictoriaMetrics $(dpkg-query -W -f '${Version}' victoria-metrics 2>/dev/null) at $prom, vmalert with ${#rules[@]} rule files" >&2
  sleep 30 # the windows the rules' rates need
elif [[ ${OPSDECK_STORE:-prometheus} == thanos ]]; then
  for b in prometheus curl python3; do command -v $b >/dev/null || { echo "measure-vs: $b missing (scripts/deps.sh)" >&2; exit 1; }; done
  thanos=$(go run ./tools/serverbuild thanos)
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  flags=$(curl -fsS "$prom/api/v1/status/flags")
  promconf=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["config.file"])' <<<"$flags")
  features=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["data"].get("enable-feature", ""))' <<<"$flags")
  confdir=$(dirname "$promconf")
  th_pids=() endpoints=()
  for r in a b; do
    d=$work/thanos/$r pport=$(free_port) gport=$(free_port) hport=$(free_port)
    mkdir -p "$d"
    # The demo's configuration, rule files from its directory, the replica
    # told by an external label that its alerts leave behind.
    sed -e "s#^global:#global:\n  external_labels: {replica: \"$r\"}#" \
      -e 's#^alerting:#alerting:\n  alert_relabel_configs: [{action: labeldrop, regex: replica}]#' "$promconf" >"$d/prometheus.yml"
    (cd "$confdir" && exec prometheus --config.file="$d/prometheus.yml" --storage.tsdb.path="$d/data" --web.listen-address="127.0.0.1:$pport" \
      ${features:+--enable-feature=$features} --log.level=warn >"$d/prometheus.log" 2>&1) &
    th_pids+=($!)
    until curl -fsS "http://127.0.0.1:$pport/-/ready" >/dev/null 2>&1; do sleep 0.2; done
    "$thanos" sidecar --prometheus.url="http://127.0.0.1:$pport" --tsdb.path="$d/data" --grpc-address="127.0.0.1:$gport" \
      --http-address="127.0.0.1:$hport" --log.level=warn >"$d/sidecar.log" 2>&1 &
    th_pids+=($!) endpoints+=("--endpoint=127.0.0.1:$gport")
  done
  qport=$(free_port)
  "$thanos" query --http-address="127.0.0.1:$qport" --grpc-address="127.0.0.1:$(free_port)" "${endpoints[@]}" \
    --query.replica-label=replica --log.level=warn >"$work/thanos/query.log" 2>&1 &
  th_pids+=($!)
  trap 'kill "${th_pids[@]}" 2>/dev/null || true; cleanup' EXIT
  until [[ $(curl -fsS "http://127.0.0.1:$qport/api/v1/stores" 2>/dev/null | grep -o '"lastError":null' | wc -l) == 2 ]]; do sleep 0.2; done
  sed "s#$prom#http://127.0.0.1:$qport#" "$cfg" >"$work/thanos/opsdeck.yaml"
  cfg=$work/thanos/opsdeck.yaml prom=http://127.0.0.1:$qport
  printf '{"version":"v1","datasources":{"prometheus":{"prometheus":{"address":"%s"}}}}\n' "$prom" >"$work/datasources.json"
  echo "store: Thanos $("$thanos" --version 2>&1 | sed -n 's/^thanos, version \([^ ]*\).*/\1/p') at $prom, two replicas of Prometheus $(prometheus --version 2>&1 | sed -n 's/^prometheus, version \([^ ]*\).*/\1/p')" >&2
  sleep 30 # the windows the rules' rates need
fi
sleep 5 # a few samples in Prometheus for the first frames

hz=$(getconf CLK_TCK)
# complete SCREEN NAME: whether the screen has data where it should.
complete() {
  local s=$1
  if [[ $2 == grafterm ]]; then
    grep -q 'reqps' <<<"$s" && grep -Eq '[0-9.]+ ?%' <<<"$s" && grep -q 'MiB' <<<"$s"
    return
  fi
  # Every pane live, each with its data: the four metrics, the alert strip
  # (Alertmanager's answer), Postgres, Redis, drift and Celery.
  grep -Eq '[0-9] req/s' <<<"$s" && grep -Eq '[0-9] %' <<<"$s" && grep -Eq '[0-9] (ms|s|µs) ' <<<"$s" &&
    grep -Eq '[0-9] MiB' <<<"$s" && grep -Eq 'alerts? firing|firing' <<<"$s" &&
    grep -Eq '─ Postgres ─+ live' <<<"$s" && grep -Eq '[0-9]+/[0-9]+ conn' <<<"$s" &&
    grep -Eq '─ Redis ─+ live' <<<"$s" && grep -q 'queued celery' <<<"$s" &&
    grep -Eq '─ Schema drift ─+ live' <<<"$s" && grep -q 'revisions' <<<"$s" &&
    grep -Eq '─ Celery ─+ live' <<<"$s" && grep -Eq '[0-9]+/[0-9]+ workers' <<<"$s"
}
# run NAME COMMAND: one program alone in the pane; writes "cpu hwm rss anon"
# (s, then KiB: peak RSS, RSS at the end, peak RssAnon) to $work/run.
run() {
  local name=$1 cmd=$2 pid screen anon peak=0 before after
  tmux -L "$sock" new-session -d -x 160 -y 48 "exec $cmd"
  pid=$(tmux -L "$sock" display-message -p '#{pane_pid}')
  for _ in $(seq 1 600); do
    screen=$(tmux -L "$sock" capture-pane -p)
    complete "$screen" "$name" && break
    sleep 0.05
  done
  complete "$screen" "$name" || { echo "measure-vs: $name: no complete frame within 30 s" >&2; echo "$screen" >&2; exit 1; }
  before=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat")
  for _ in $(seq 1 "$duration"); do
    sleep 1
    anon=$(awk '/^RssAnon/{print $2}' "/proc/$pid/status")
    ((anon > peak)) && peak=$anon
  done
  after=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat")
  # Still complete at the end: every pane stayed live through the run.
  screen=$(tmux -L "$sock" capture-pane -p)
  complete "$screen" "$name" || { echo "measure-vs: $name: a pane lost its data during the run" >&2; echo "$screen" >&2; exit 1; }
  echo "$screen" >"$work/last-$name.txt"
  echo "$(echo "($after - $before) / $hz" | bc -l) $(awk '/^VmHWM/{print $2}' "/proc/$pid/status") $(awk '/^VmRSS/{print $2}' "/proc/$pid/status") $peak" >"$work/run"
  tmux -L "$sock" kill-server
}

contenders=(grafterm opsdeck)
[[ -n $base ]] && contenders+=(base)
[[ -n $alt ]] && contenders+=(alt)
command_of() {
  case $1 in
  grafterm) echo "$grafterm -c scripts/grafterm.json -u $work/datasources.json -r 2s -d 15m" ;;
  opsdeck) echo "$bin --config $cfg --refresh 2s" ;;
  base) echo "$base --config $cfg --refresh 2s" ;;
  alt) echo "$alt --config $cfg --refresh 2s" ;;
  esac
}
echo "idle ${duration}s at a 2s refresh, 160x48, $rounds rounds; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  order=("${contenders[@]}")
  if ((r % 2 == 0)); then order=(); for ((i = ${#contenders[@]} - 1; i >= 0; i--)); do order+=("${contenders[i]}"); done; fi
  declare -A cpu=()
  for name in "${order[@]}"; do
    run "$name" "$(command_of "$name")"
    read -r c hwm rss anon <"$work/run"
    cpu[$name]=$c
    printf '%-8s round %d: %.2f CPU-s, peak RSS %.1f MiB, end RSS %.1f MiB, peak RssAnon %.1f MiB (load %s)\n' \
      "$name" "$r" "$c" "$(echo "$hwm / 1024" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$(echo "$anon / 1024" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)" |
      tee -a "$work/results"
  done
  for name in opsdeck base alt; do
    [[ -n ${cpu[$name]:-} ]] || continue
    printf '%-8s round %d: %.2f× grafterm CPU\n' "$name" "$r" "$(echo "${cpu[$name]} / ${cpu[grafterm]}" | bc -l)" | tee -a "$work/results"
  done
  unset cpu
done
echo "every opsdeck pane live at the end of its last run:"
sed -n '2p;/─ Postgres ─/p' "$work/last-opsdeck.txt"
# Medians and ranges of what was printed, per contender and figure.
awk '
  / CPU-s,/ { n=$1; cpu[n]=cpu[n] " " $4; hwm[n]=hwm[n] " " $8; rss[n]=rss[n] " " $12; anon[n]=anon[n] " " $16 }
  / grafterm CPU/ { n=$1; x=$4; sub("×", "", x); ratio[n]=ratio[n] " " x }
  function stat(list,   a, k, i, j, t) { k=split(list, a, " "); for (i=1;i<=k;i++) for (j=i+1;j<=k;j++) if (a[j]+0<a[i]+0) {t=a[i];a[i]=a[j];a[j]=t}
    return sprintf("median %s (%s–%s)", (k%2 ? a[(k+1)/2] : sprintf("%.2f", (a[k/2]+a[k/2+1])/2)), a[1], a[k]) }
  END {
    for (n in cpu) printf "%-8s CPU-s %s; peak RSS MiB %s; end RSS MiB %s; peak RssAnon MiB %s\n", n, stat(cpu[n]), stat(hwm[n]), stat(rss[n]), stat(anon[n])
    for (n in ratio) printf "%-8s CPU ÷ grafterm CPU %s\n", n, stat(ratio[n])
  }' "$work/results"
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
