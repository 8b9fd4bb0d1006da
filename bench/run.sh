#!/usr/bin/env bash
# bench/run.sh: Borderpost next to nginx on this machine, in one run, with
# one load generator (`borderpost-conformance load`). It measures
#
#   (a) nginx as a plain mTLS reverse proxy in front of a trivial upstream
#       (the ceiling for any proxy here),
#   (b) Borderpost accepting canonical messages durably (and MeMo ingress),
#   (c) Borderpost end to end DK→NO: a Danish sender's MeMo posted to
#       /dk/memo for a Norwegian person, translated to DPI (JWT + XAdES
#       signatures, CMS encryption) and delivered to the DPI simulator,
#       each at 16 and 64 connections with 2 KB and 64 KB messages,
#   (d) full mTLS handshakes per second (a new connection per request),
#   (e) `openssl speed rsa2048`, the signing bound of DPI egress,
#
# and prints a table with the Borderpost/nginx ratios, p99 latencies, peak
# RSS and fsyncs per accepted message next to DESIGN §13's targets.
#
#   bench/run.sh [--quick] [--profile] [--out DIR] [--keep]
#
#   --quick    3 s per case instead of 12 (a smoke test of the script)
#   --profile  also record a CPU profile of the gateway (perf) during two
#              cases and break it down by component
#   --out DIR  where results go (default target/bench/<date>)
#   --keep     keep the temporary directory (configs, journals, logs)
#
# Timing: ~5 minutes after the binaries are built. It builds them first
# (`cargo build --release`): incremental builds take a minute or two, but a
# FIRST release build takes ~8 minutes on 2 cores. nginx is installed with
# apt-get if missing. The script stops only the processes it started (by
# PID) and sends load only to 127.0.0.1.
#
# Placement (DESIGN §13): the servers under test (and `openssl speed`) run
# on CPU 1, the load generator and the simulators on CPU 0 (taskset), when
# the machine has two cores or more.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
COMMAND="bench/run.sh $*"

QUICK=0
PROFILE=0
KEEP=0
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --profile) PROFILE=1 ;;
    --keep) KEEP=1 ;;
    --out) shift; OUT=${1:?--out needs a directory} ;;
    -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$QUICK" = 1 ]; then DURATION=3; WARMUP=1; else DURATION=12; WARMUP=2; fi
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$ROOT/target/bench/$STAMP}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/borderpost-bench.XXXXXX")
CERTS=$ROOT/certs-example
BIN=$ROOT/target/release
STARTED=$(date +%s)

# Ports on 127.0.0.1, away from the demo's defaults (8443, 9090, 8501, 8502)
# so a demo someone is running is not disturbed.
BASE=${BENCH_PORT_BASE:-28400}
NGINX_PORT=$((BASE + 43))
GW_PORT=$((BASE + 44))
ADMIN_PORT=$((BASE + 90))
DK_PORT=$((BASE + 101))
NO_PORT=$((BASE + 102))

say() { printf '== %s (%ss)\n' "$*" "$(( $(date +%s) - STARTED ))"; }
fail() { echo "bench: $*" >&2; exit 1; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- our processes only, stopped by PID --------------------------------------

PIDS=()
LAST_PID=""
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "$KEEP" = 1 ]; then
    echo "bench: kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CPU CMD...: runs CMD in the background on CPU (or anywhere when
# there is no pinning), logs to $WORK/NAME.log, sets LAST_PID.
start() {
  local name=$1 cpu=$2
  shift 2
  if [ -n "$cpu" ]; then
    taskset -c "$cpu" "$@" >"$WORK/$name.log" 2>&1 &
  else
    "$@" >"$WORK/$name.log" 2>&1 &
  fi
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# stop PID: SIGTERM, then SIGKILL after 10 s; forgets it.
stop() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local kept=()
  for i in "${PIDS[@]}"; do [ "$i" = "$pid" ] || kept+=("$i"); done
  PIDS=("${kept[@]+"${kept[@]}"}")
}

wait_port() {
  local port=$1 i
  for i in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  fail "nothing listens on 127.0.0.1:$port (see $WORK/*.log)"
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# --- tools --------------------------------------------------------------------

need_apt=()
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
NGINX=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
[ -n "$NGINX" ] || need_apt+=(nginx)
if [ "$PROFILE" = 1 ] && ! command -v perf >/dev/null 2>&1; then need_apt+=(linux-perf); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing ${need_apt[*]} (apt-get)"
  # No init system here: keep the nginx package from starting its own
  # server on port 80 (policy-rc.d 101 = "do not start services").
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | sudo_if_needed tee "$policy" >/dev/null
    sudo_if_needed chmod +x "$policy"
    made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -qq
  sudo_if_needed apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  if [ "$made_policy" = 1 ]; then sudo_if_needed rm -f "$policy"; fi
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi

PIN_SERVER=""
PIN_CLIENT=""
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  PIN_SERVER=1
  PIN_CLIENT=0
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

for port in $NGINX_PORT $GW_PORT $ADMIN_PORT $DK_PORT $NO_PORT; do
  port_free "$port" || fail "127.0.0.1:$port is in use (set BENCH_PORT_BASE)"
done

say "building release binaries (a first build takes ~8 minutes)"
cargo build --release --quiet --bin borderpost --bin borderpost-conformance

# --- the load generator -------------------------------------------------------

# load NAME ARGS...: one case, pinned to the client CPU, report in $OUT.
load() {
  local name=$1
  shift
  local pin=()
  [ -n "$PIN_CLIENT" ] && pin=(taskset -c "$PIN_CLIENT")
  "${pin[@]}" "$BIN/borderpost-conformance" load --pki "$CERTS" \
    --duration "${DURATION}s" --warmup "${WARMUP}s" --json "$OUT/$name.json" "$@" \
    >"$OUT/$name.txt" 2>&1 || {
    cat "$OUT/$name.txt" >&2
    fail "case $name failed"
  }
  printf '   %-22s %s\n' "$name" "$(grep -E '^requests' "$OUT/$name.txt" | sed 's/^requests *//')"
}

# CPU ticks (1/100 s) of processes, summed.
ticks() {
  local pid sum=0
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    sum=$((sum + $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")))
  done
  echo "$sum"
}

# Peak RSS (VmHWM, kB) of processes, summed; reset_peak starts it afresh.
peak_rss() {
  local pid sum=0 v
  for pid in "$@"; do
    v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
reset_peak() {
  local pid
  for pid in "$@"; do echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true; done
}

metric() {
  curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# case NAME KIND SERVER_PIDS -- LOAD_ARGS...: a load case with the server's
# CPU time, peak RSS and (Borderpost) journal syncs around it.
# KIND: nginx | gateway.
measure() {
  local name=$1 kind=$2 pids=$3
  shift 4
  local sims="$DK_PID $NO_PID"
  # shellcheck disable=SC2086
  reset_peak $pids
  local syncs0=0 appends0=0 cpu0 sim0
  # shellcheck disable=SC2086
  cpu0=$(ticks $pids)
  # shellcheck disable=SC2086
  sim0=$(ticks $sims)
  if [ "$kind" = gateway ]; then
    syncs0=$(metric borderpost_journal_syncs_total)
    appends0=$(metric borderpost_journal_appends_total)
  fi
  local perf_pid=""
  if [ "$PROFILE" = 1 ] && [ "$kind" = gateway ] && [[ " $PROFILE_CASES " == *" $name "* ]]; then
    ( sleep "$WARMUP"; exec perf record -F 997 -p "$GW_PID" -o "$OUT/$name.perf" -- sleep "$DURATION" ) \
      >"$WORK/perf-$name.log" 2>&1 &
    perf_pid=$!
  fi
  load "$name" "$@"
  if [ -n "$perf_pid" ]; then wait "$perf_pid" || true; fi
  local syncs1=0 appends1=0 cpu1 sim1 rss
  # shellcheck disable=SC2086
  cpu1=$(ticks $pids)
  # shellcheck disable=SC2086
  sim1=$(ticks $sims)
  # shellcheck disable=SC2086
  rss=$(peak_rss $pids)
  if [ "$kind" = gateway ]; then
    syncs1=$(metric borderpost_journal_syncs_total)
    appends1=$(metric borderpost_journal_appends_total)
  fi
  cat >"$OUT/$name.side.json" <<EOF
{"server": "$kind", "server_cpu_s": $(( cpu1 - cpu0 ))e-2, "sim_cpu_s": $(( sim1 - sim0 ))e-2,
 "peak_rss_kb": $rss, "syncs": $(( ${syncs1:-0} - ${syncs0:-0} )), "appends": $(( ${appends1:-0} - ${appends0:-0} ))}
EOF
}

# --- simulators (CPU 0, with the generator) -----------------------------------

say "starting the DK and NO simulators"
start sim-dk "$PIN_CLIENT" env RUST_LOG=warn "$BIN/borderpost-conformance" sim --country dk \
  --listen "127.0.0.1:$DK_PORT" --pki "$CERTS"
DK_PID=$LAST_PID
start sim-no "$PIN_CLIENT" env RUST_LOG=warn "$BIN/borderpost-conformance" sim --country no \
  --listen "127.0.0.1:$NO_PORT" --pki "$CERTS"
NO_PID=$LAST_PID
wait_port "$DK_PORT"
wait_port "$NO_PORT"
CURL_TLS=(--cacert "$CERTS/ca-all.crt" --cert "$CERTS/sender-dk.crt" --key "$CERTS/sender-dk.key")
sim_mode() {
  curl -sf "${CURL_TLS[@]}" -X POST "https://127.0.0.1:$1/sim/mode" \
    -H 'content-type: application/json' -d "{\"mode\":\"$2\"}" >/dev/null
}

# --- (a) nginx ------------------------------------------------------------------

say "nginx: plain mTLS reverse proxy to a trivial upstream"
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat >"$WORK/nginx/nginx.conf" <<EOF
# One worker (one core), like the gateway under test.
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
$user_line
events { worker_connections 8192; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  client_max_body_size 16m;
  # 64 KB bodies stay in memory, as they do in Borderpost.
  client_body_buffer_size 256k;
  upstream trivial {
    server unix:$WORK/nginx/upstream.sock;
    keepalive 128;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $CERTS/gateway.crt;
    ssl_certificate_key $CERTS/gateway.key;
    ssl_client_certificate $CERTS/ca-all.crt;
    ssl_verify_client on;
    ssl_verify_depth 2;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
    location / {
      proxy_pass http://trivial;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Client-DN \$ssl_client_s_dn;
    }
  }
  # The trivial upstream: answers every request at once.
  server {
    listen unix:$WORK/nginx/upstream.sock;
    location / { return 202 '{}'; }
  }
}
EOF
start nginx "$PIN_SERVER" "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log"
NGINX_PID=$LAST_PID
wait_port "$NGINX_PORT"
sleep 0.5
NGINX_PIDS="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"
NGINX_URL="https://127.0.0.1:$NGINX_PORT/v1/messages"
for size in 2048 65536; do
  for conns in 16 64; do
    measure "nginx-${size}-${conns}" nginx "$NGINX_PIDS" -- --target "$NGINX_URL" \
      --connections "$conns" --size "$size"
  done
done
measure nginx-handshakes nginx "$NGINX_PIDS" -- --target "https://127.0.0.1:$NGINX_PORT/" \
  --connections 16 --new-connections --method GET
stop "$NGINX_PID"

# --- Borderpost -----------------------------------------------------------------

# gateway_config NAME PHASE: the demo configuration for the bench ports, a
# fresh journal, quotas raised so they never interfere; PHASE "accept"
# holds deliveries (see below), "e2e" delivers as the demo does.
gateway_config() {
  local name=$1 phase=$2
  mkdir -p "$WORK/$name"
  "$BIN/borderpost" demo --print-config --data "$WORK/$name" --certs "$CERTS" \
    --ingress "127.0.0.1:$GW_PORT" --admin "127.0.0.1:$ADMIN_PORT" \
    --dk "127.0.0.1:$DK_PORT" --no "127.0.0.1:$NO_PORT" >"$WORK/$name/demo.toml"
  python3 - "$WORK/$name/demo.toml" "$phase" >"$WORK/$name/borderpost.toml" <<'PY'
import re, sys

text = open(sys.argv[1]).read()
phase = sys.argv[2]

def set_key(text, section, key, value):
    """Sets `key = value` in [section], adding the section if missing."""
    lines = text.split("\n")
    header = f"[{section}]"
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == header)
    except StopIteration:
        return text.rstrip("\n") + f"\n\n{header}\n{key} = {value}\n"
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    for i in range(start + 1, end):
        if re.match(rf"\s*{re.escape(key)}\s*=", lines[i]):
            lines[i] = f"{key} = {value}"
            return "\n".join(lines)
    lines.insert(start + 1, f"{key} = {value}")
    return "\n".join(lines)

# Quotas far above any rate reached here: the bench measures throughput.
text = set_key(text, "rate_limits", "sender_per_second", "1000000")
text = set_key(text, "rate_limits", "sender_burst", "1000000")
if phase == "accept":
    # Hold deliveries: the accept cases measure ingress and the durable
    # journal alone. With one delivery slot and the DK simulator in
    # "timeout" mode, the first delivery waits (upstream timeout 1 h) and
    # the scheduler waits for its slot: accepted copies stay durable in
    # `accepted` and cost no CPU in the background.
    text = set_key(text, "delivery", "concurrency", "1")
    text = set_key(text, "upstreams.dk", "timeout", '"1h"')
print(text, end="")
PY
}

GW_PID=""
start_gateway() {
  local name=$1 phase=$2
  gateway_config "$name" "$phase"
  start "gateway-$name" "$PIN_SERVER" env RUST_LOG=warn "$BIN/borderpost" serve \
    --config "$WORK/$name/borderpost.toml"
  GW_PID=$LAST_PID
  wait_port "$GW_PORT"
  wait_port "$ADMIN_PORT"
}

GW=https://127.0.0.1:$GW_PORT
PROFILE_CASES="bp-accept-2048-64 bp-e2e-2048-64"

say "Borderpost: durable accept (deliveries held)"
sim_mode "$DK_PORT" timeout
start_gateway accept-2k accept
for conns in 16 64; do
  measure "bp-accept-2048-$conns" gateway "$GW_PID" -- --target "$GW/v1/messages" \
    --connections "$conns" --size 2048
done
for conns in 16 64; do
  measure "bp-memo-2048-$conns" gateway "$GW_PID" -- --target "$GW/dk/memo" \
    --connections "$conns" --size 2048 --format memo
done
measure bp-handshakes gateway "$GW_PID" -- \
  --target "$GW/v1/messages/00000000-0000-0000-0000-000000000000" \
  --connections 16 --new-connections --method GET --expect-status 404
stop "$GW_PID"
# A fresh gateway, so its peak RSS is what 1,000 connections cost rather
# than the journal state the cases above built up (sled caches it).
start_gateway accept-1000 accept
measure bp-accept-2048-1000 gateway "$GW_PID" -- --target "$GW/v1/messages" \
  --connections 1000 --size 2048 --timeout 30s
stop "$GW_PID"
start_gateway accept-64k accept
for conns in 16 64; do
  measure "bp-accept-65536-$conns" gateway "$GW_PID" -- --target "$GW/v1/messages" \
    --connections "$conns" --size 65536
done
stop "$GW_PID"

say "Borderpost: end to end DK→NO (MeMo in, DPI out)"
sim_mode "$DK_PORT" normal
for size in 2048 65536; do
  start_gateway "e2e-$size" e2e
  for conns in 16 64; do
    measure "bp-e2e-$size-$conns" gateway "$GW_PID" -- --target "$GW/dk/memo" \
      --connections "$conns" --size "$size" --format memo --recipient no-fnr:31129956715 \
      --mode end-to-end --sim "https://127.0.0.1:$NO_PORT" --delivery-timeout 30s
  done
  stop "$GW_PID"
done
stop "$DK_PID"
stop "$NO_PID"

# --- (e) the signing bound ------------------------------------------------------

say "openssl speed rsa2048 (on the server's CPU)"
pin=()
[ -n "$PIN_SERVER" ] && pin=(taskset -c "$PIN_SERVER")
"${pin[@]}" openssl speed -seconds 3 rsa2048 >"$OUT/openssl-speed.txt" 2>/dev/null

if [ "$PROFILE" = 1 ]; then
  for name in $PROFILE_CASES; do
    [ -f "$OUT/$name.perf" ] || continue
    perf report -i "$OUT/$name.perf" --no-children --sort dso,sym --stdio \
      >"$OUT/$name.profile.txt" 2>/dev/null || true
  done
fi

# --- the table ------------------------------------------------------------------

{
  echo "- command: \`$COMMAND\` ($( [ "$QUICK" = 1 ] && echo quick || echo full ): ${DURATION} s per case after ${WARMUP} s warm-up)"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); runtime: $(( $(date +%s) - STARTED )) s"
  echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- placement: servers on CPU ${PIN_SERVER:-any}, load generator and simulators on CPU ${PIN_CLIENT:-any}; journal on $(df -T "$WORK" | awk 'NR == 2 { print $2 }')"
  echo "- versions: $("$NGINX" -v 2>&1 | sed 's/.*: //'), $(rustc --version | cut -d' ' -f1-2), $(openssl version | cut -d' ' -f1-2), Borderpost $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || echo '+local changes')"
  echo
  python3 - "$OUT" <<'PY'
import json, os, re, sys

out = sys.argv[1]

def case(name):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        return None
    report = json.load(open(path))
    side_path = os.path.join(out, name + ".side.json")
    report["side"] = json.load(open(side_path)) if os.path.exists(side_path) else {}
    return report

def f(x, digits=0):
    return "–" if x is None else f"{x:,.{digits}f}"

def ratio(a, b):
    return None if not a or not b else a / b

def verdict(value, target, higher_is_better=True):
    if value is None:
        return ""
    ok = value >= target if higher_is_better else value <= target
    return "✓" if ok else "✗"

def cpu_us(r, per):
    if not r or not per:
        return None
    return r["side"].get("server_cpu_s", 0) * 1e6 / per

def syncs_per(r, per):
    if not r or not per:
        return None
    return r["side"].get("syncs", 0) / per

speed = open(os.path.join(out, "openssl-speed.txt")).read()
m = re.search(r"^rsa\s+2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", speed, re.M)
sign = float(m.group(1)) if m else None
verify = float(m.group(2)) if m else None
bound = sign / 2 if sign else None

print("#### Durable accept vs nginx (keep-alive, closed loop)\n")
print("| case | conns | body | nginx req/s | Borderpost req/s | ratio | target | nginx p99 ms | Borderpost p99 ms | p99 ratio | target | fsync / msg | Borderpost peak RSS | server CPU µs/req nginx / Borderpost |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
rows = [("canonical accept", "bp-accept", s, c, 1.0) for s in (2048, 65536) for c in (16, 64)]
rows += [("MeMo ingress (decode, validate, journal)", "bp-memo", 2048, c, 0.5) for c in (16, 64)]
for label, prefix, size, conns, target in rows:
    n = case(f"nginx-{size}-{conns}")
    b = case(f"{prefix}-{size}-{conns}")
    if not b:
        continue
    r = ratio(b["throughput_per_s"], n and n["throughput_per_s"])
    p = ratio(b["latency_ms"]["p99"], n and n["latency_ms"]["p99"])
    fs = syncs_per(b, b["ok"])
    p99_target = "≤ 2.0×" if prefix == "bp-accept" else ""
    print(f"| {label} | {conns} | {size // 1024} KB | {f(n and n['throughput_per_s'])} | {f(b['throughput_per_s'])} "
          f"| {f(r, 2)}× {verdict(r, target)} | ≥ {target}× | {f(n and n['latency_ms']['p99'], 1)} "
          f"| {f(b['latency_ms']['p99'], 1)} | {f(p, 2)}× {verdict(p, 2.0, False) if p99_target else ''} | {p99_target} "
          f"| {f(fs, 3)} {verdict(fs, 0.1, False) if conns == 64 else ''} | {f(b['side'].get('peak_rss_kb', 0) / 1024, 0)} MB "
          f"| {f(cpu_us(n, n and n['ok']))} / {f(cpu_us(b, b['ok']))} |")
errors = {}
for file in sorted(os.listdir(out)):
    if file.endswith(".json") and not file.endswith(".side.json"):
        r = case(file[: -len(".json")])
        if r and r.get("errors"):
            errors[file[: -len(".json")]] = r["errors"]
print()
print("fsync / msg: `borderpost_journal_syncs_total` over the case ÷ accepted messages (target ≤ 0.1 at 64 connections). "
      "server CPU: the server process's user + system time over the case ÷ successful requests (nginx: master + worker).\n")

print("#### Full mTLS handshakes (a new connection per request, 16 connections, no resumption)\n")
print("| server | handshakes/s | p99 ms | server CPU µs/handshake | generator CPU |")
print("|---|---|---|---|---|")
for label, name in (("nginx", "nginx-handshakes"), ("Borderpost", "bp-handshakes")):
    r = case(name)
    if not r:
        continue
    gen = r.get("generator_cpu_s")
    busy = f"{gen / r['wall_s'] * 100:.0f} % of a core" if gen and r.get("wall_s") else "–"
    print(f"| {label} | {f(r['handshakes_per_s'])} | {f(r['latency_ms']['p99'], 1)} | {f(cpu_us(r, r['handshakes']))} | {busy} |")
n, b = case("nginx-handshakes"), case("bp-handshakes")
if n and b:
    print(f"\nBorderpost / nginx: {f(ratio(b['handshakes_per_s'], n['handshakes_per_s']), 2)}× "
          "(DESIGN §13 measured rustls at about 2× nginx). Each handshake also costs the generator an RSA-2048 "
          "signature (its client certificate), so a generator near 100 % of its core caps this figure.\n")

print("#### End to end DK→NO (MeMo to /dk/memo for a no-fnr recipient → DPI at the NO simulator)\n")
if sign:
    print(f"Signing bound (`openssl speed -seconds 3 rsa2048` on the server core): {f(sign)} sign/s, {f(verify)} verify/s; "
          f"two signatures per DPI message (JWT + XAdES) → {f(bound)} msg/s; target ≥ 0.8× = {f(bound * 0.8)} msg/s.\n")
print("| conns | body | delivered/s | ratio to bound | target | accept p99 ms | to delivery p50 ms | p99 ms | missing | gateway CPU ms/msg | NO sim CPU ms/msg | fsync / msg | peak RSS |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for size in (2048, 65536):
    for conns in (16, 64):
        r = case(f"bp-e2e-{size}-{conns}")
        if not r or not r.get("end_to_end"):
            continue
        e = r["end_to_end"]
        rr = ratio(e["throughput_per_s"], bound)
        delivered = e["delivered"] or None
        sim = r["side"].get("sim_cpu_s")
        print(f"| {conns} | {size // 1024} KB | {f(e['throughput_per_s'])} | {f(rr, 2)}× {verdict(rr, 0.8)} | ≥ 0.8× "
              f"| {f(r['latency_ms']['p99'], 1)} | {f(e['time_to_delivery_ms']['p50'], 1)} | {f(e['time_to_delivery_ms']['p99'], 1)} "
              f"| {e['missing']} | {f(cpu_us(r, delivered) and cpu_us(r, delivered) / 1000, 2)} "
              f"| {f(sim * 1000 / delivered if sim is not None and delivered else None, 2)} "
              f"| {f(syncs_per(r, delivered), 3)} | {f(r['side'].get('peak_rss_kb', 0) / 1024)} MB |")
print("\nClosed loop end to end: each connection sends its next MeMo when the previous one has arrived at the "
      "DPI simulator (at most 16 or 64 messages in flight end to end). fsync / msg here counts every journal "
      "sync of the case (intake, delivery outcome, receipts) ÷ delivered messages.\n")

r = case("bp-accept-2048-1000")
if r:
    rss = r["side"].get("peak_rss_kb", 0) / 1024
    print("#### 1,000 connections\n")
    print(f"Canonical accept, 2 KB, 1,000 keep-alive connections on a fresh gateway: {f(r['throughput_per_s'])} req/s, "
          f"p99 {f(r['latency_ms']['p99'], 1)} ms, peak RSS {f(rss)} MB (target ≤ 256 MB {verdict(rss, 256, False)}; "
          f"it includes the journal state of the {f(r['ok'])}-odd messages accepted meanwhile).\n")

if errors:
    print("#### Errors\n")
    for name, errs in errors.items():
        print(f"- {name}: " + ", ".join(f"{k}: {v}" for k, v in errs.items()))
    print()

# Profiles: self time by component (flat: the release build has no frame
# pointers, so symbols are grouped by crate and kind rather than by caller).
def category(dso, s):
    if "libcrypto" in dso or "libssl" in dso:
        return "OpenSSL (RSA signatures, CMS; payload AES-GCM)"
    if "sled" in s:
        return "journal state (sled)"
    if "journal" in s or "crc32" in s:
        return "journal log and records"
    if "rustls" in s or "ring_core" in s or "ring::" in s:
        return "TLS (rustls, ring)"
    if "hyper" in s or "httparse" in s or "h2::" in s or s.startswith("http::") or "<http::" in s:
        return "HTTP (hyper)"
    if "serde_json" in s or "serde_core" in s or "borderpost_core::canonical" in s:
        return "JSON (serde_json, canonical checks)"
    if "quick_xml" in s or "borderpost_core::xml" in s or "borderpost_dk" in s:
        return "XML (quick-xml, MeMo schema)"
    if "borderpost_no" in s or "zip::" in s or "zlib" in s or "flate" in s or "miniz" in s:
        return "DPI encode (ASiC-E, zip, JWT)"
    if "borderpost_core" in s:
        return "identifiers, canonical model"
    if "tokio" in s:
        return "tokio runtime"
    if "libc" in dso and any(k in s for k in ("malloc", "free", "_int_", "realloc", "consolidate", "unlink_chunk", "tcache")):
        return "allocator (glibc malloc, free)"
    if "libc" in dso and any(k in s for k in ("memmove", "memcpy", "memset", "memcmp")):
        return "memcpy, memset, memcmp"
    if "kernel" in dso:
        if any(k in s for k in ("ext4", "jbd2", "blk", "bio_", "iomap", "filemap", "fsync", "virtio", "iowrite", "writeback", "vfs_write", "copy_folio_from_iter")):
            return "kernel: file writes, fsync"
        if any(k in s for k in ("tcp", "ip_", "inet", "sock", "skb", "net_", "napi", "__dev", "loopback", "nf_", "softirq")):
            return "kernel: network"
        if any(k in s for k in ("page", "fault", "mm_", "mas_", "unmap", "memcg", "lruvec", "kmem", "folio", "vma")):
            return "kernel: page faults, memory"
        return "kernel: scheduling, wake-ups, syscalls"
    if "alloc::" in s or "drop_in_place" in s or "clone" in s:
        return "Rust copies and drops (various)"
    return "other"

for name in ("bp-accept-2048-64", "bp-e2e-2048-64"):
    path = os.path.join(out, name + ".profile.txt")
    if not os.path.exists(path):
        continue
    totals, total = {}, 0.0
    for line in open(path):
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*)", line)
        if not m:
            continue
        pct, dso, sym = float(m.group(1)), m.group(2), m.group(3)
        total += pct
        label = category(dso, sym)
        totals[label] = totals.get(label, 0.0) + pct
    print(f"#### Where the gateway's CPU goes: {name} (perf, self time)\n")
    print("| component | share of gateway CPU |")
    print("|---|---|")
    for label, pct in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"| {label} | {pct:.1f} % |")
    print()
PY
} | tee "$OUT/summary.md"

say "done: results in $OUT (summary.md, one .json and .txt per case)"
