#!/usr/bin/env bash
# HTTP throughput and latency of zegel-sidecar, in one run against one upstream:
#
#   direct     wrk -> upstream (nginx serving a static FHIR Patient JSON)
#   nginx      wrk -> nginx as a plain reverse proxy (keepalive to the upstream) -> upstream
#   hyper      wrk -> zegel-bare-proxy -> upstream: the sidecar's stack (tokio, hyper-util's
#              server and pooled client) doing nothing else; the floor any zegel figure
#              stands on (tests/src/bin/zegel-bare-proxy.rs)
#   zegel-on   wrk -> zegel-sidecar, everything on: JWT (EdDSA, JWKS file), Casbin decision,
#              durable access record in SQLite (WAL, synchronous=FULL), outcome records
#   zegel-off  the same sidecar config with [audit] enabled = false
#
# at 1, 16 and 64 connections as fast as they go (wrk --latency, closed loop), and at 16
# connections paced to about 1,000 requests/s in all (each connection pauses a random 0-32
# ms between a response and its next request: latency below saturation); cells are
# interleaved per connection count. Then the sidecars' RSS, the fsync cost of the log's filesystem,
# PASS/MISS against the targets, and a full verification of the zegel-on log.
#
# Usage:  bench/http.sh
# Env:    DURATION=10 (s per measurement)  WARMUP=2 (s)  CONNS="1 16 64" ("": paced cells only)  THREADS=1 (wrk -t)
#         PACED_CONNS=16  PACE_MS=16 (mean pause per connection; PACED_CONNS="" skips them)
#         NOISY_PCT=10 RETRIES=1 (measure a cell again when other processes used more than
#         NOISY_PCT% of the machine)  IDLE_WAIT_BUDGET=120 (s spent at most waiting for quiet)
#         PORT_BASE=18480 (uses PORT_BASE..+4)  BENCH_TMP=/tmp (where the log lives)
#         CARGO_TARGET_DIR (default ~/.cache/zegel-bench-target)  SKIP_BUILD=1  KEEP=1
#         ZEGEL_LOG (sidecar log level, default info)  TOKIO_WORKER_THREADS (sidecar workers)
#         ZEGEL_BIN_DIR (use binaries from there, e.g. for A/B runs; implies SKIP_BUILD=1)
# Needs:  cargo, nginx and wrk (installed with apt-get when missing), python3 or dd.
# Everything listens on 127.0.0.1 only. Run it on an idle machine: the CPU used by other
# processes is measured and printed for every cell (column 'other').
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS-"1 16 64"}
PACED_CONNS=${PACED_CONNS-16}
PACE_MS=${PACE_MS:-16}
NOISY_PCT=${NOISY_PCT:-10}
RETRIES=${RETRIES:-1}
IDLE_WAIT_BUDGET=${IDLE_WAIT_BUDGET:-120}
THREADS=${THREADS:-1}
PORT_BASE=${PORT_BASE:-18480}
BENCH_TMP=${BENCH_TMP:-/tmp}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/zegel-bench-target}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${ZEGEL_BIN_DIR:-$CARGO_TARGET_DIR/release}
# The two proxies are built as deployed (`--profile dist`: whole-program optimisation);
# the tools in release.
PROXY_BIN=${ZEGEL_BIN_DIR:-$CARGO_TARGET_DIR/dist}
UP_PORT=$PORT_BASE
NGX_PORT=$((PORT_BASE + 1))
ON_PORT=$((PORT_BASE + 2))
OFF_PORT=$((PORT_BASE + 3))
BARE_PORT=$((PORT_BASE + 4))
REQ_PATH=/fhir/Patient/p123
TARGETS=(direct nginx hyper zegel-on zegel-off)
declare -A PORT=([direct]=$UP_PORT [nginx]=$NGX_PORT [hyper]=$BARE_PORT [zegel-on]=$ON_PORT
    [zegel-off]=$OFF_PORT)

say() { printf '%s\n' "$*" >&2; }
die() { say "bench/http.sh: $*"; exit 2; }

# --- tools -------------------------------------------------------------------------------
need_apt=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
command -v wrk >/dev/null || need_apt+=(wrk)
if [ ${#need_apt[@]} -gt 0 ]; then
    say "installing ${need_apt[*]} with apt-get"
    apt-get install -y "${need_apt[@]}" >/dev/null 2>&1 ||
        { apt-get update >/dev/null && apt-get install -y "${need_apt[@]}" >/dev/null; } ||
        die "cannot install ${need_apt[*]}"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# --- build -------------------------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ] && [ -z "${ZEGEL_BIN_DIR:-}" ]; then
    say "building the binaries into $CARGO_TARGET_DIR (a cold build takes minutes)"
    (cd "$REPO" && cargo build --profile dist --quiet -p zegel-sidecar -p zegel-tests \
        --bin zegel-sidecar --bin zegel-bare-proxy &&
        cargo build --release --quiet --bin zegel-mint-token --bin zegel-analyzer) ||
        die "build failed"
fi
for b in zegel-sidecar zegel-bare-proxy; do
    [ -x "$PROXY_BIN/$b" ] || die "$PROXY_BIN/$b missing (build, or unset SKIP_BUILD)"
done
for b in zegel-mint-token zegel-analyzer; do
    [ -x "$BIN/$b" ] || die "$BIN/$b missing (build, or unset SKIP_BUILD)"
done

# --- scratch directory and cleanup -------------------------------------------------------
for p in "$UP_PORT" "$NGX_PORT" "$ON_PORT" "$OFF_PORT" "$BARE_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        die "port $p is in use (set PORT_BASE)"
    fi
done
W=$(mktemp -d "$BENCH_TMP/zegel-bench.XXXXXX")
chmod 755 "$W" # nginx workers (nobody) read www/; key files keep their own 0600
declare -A SPID=()
cleanup() {
    [ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null || true
    for t in "${!SPID[@]}"; do kill "${SPID[$t]}" 2>/dev/null || true; done
    if [ "${KEEP:-0}" = 1 ]; then say "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
# Our own links to the binaries: a concurrent cargo build cannot swap them mid-run.
mkdir "$W/bin"
for b in zegel-sidecar zegel-bare-proxy zegel-mint-token zegel-analyzer; do
    from=$BIN
    [[ $b = zegel-mint-token || $b = zegel-analyzer ]] || from=$PROXY_BIN
    ln "$from/$b" "$W/bin/$b" 2>/dev/null || cp "$from/$b" "$W/bin/$b"
done
BIN=$W/bin

# --- upstream and nginx proxy (one nginx, two server blocks) -----------------------------
mkdir -p "$W/www" "$W/nginx-tmp"
cp "$REPO/bench/patient.json" "$W/www/patient.json"
chmod 644 "$W/www/patient.json"
cat >"$W/nginx.conf" <<EOF
worker_processes auto;
pid $W/nginx.pid;
error_log $W/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    open_file_cache max=16 inactive=60s;
    client_body_temp_path $W/nginx-tmp/body;
    proxy_temp_path $W/nginx-tmp/proxy;
    fastcgi_temp_path $W/nginx-tmp/fastcgi;
    uwsgi_temp_path $W/nginx-tmp/uwsgi;
    scgi_temp_path $W/nginx-tmp/scgi;

    upstream app {
        server 127.0.0.1:$UP_PORT;
        keepalive 64;
        keepalive_requests 1000000;
    }
    # The upstream: a static FHIR Patient resource for /fhir/Patient/<id>.
    server {
        listen 127.0.0.1:$UP_PORT;
        root $W/www;
        default_type application/fhir+json;
        location /fhir/Patient/ { try_files /patient.json =404; }
    }
    # nginx as a plain reverse proxy in front of it.
    server {
        listen 127.0.0.1:$NGX_PORT;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
"$NGINX" -e "$W/nginx-error.log" -c "$W/nginx.conf" -p "$W" || die "nginx did not start"

# --- keys, token, policy, sidecar configs ------------------------------------------------
"$BIN/zegel-sidecar" keygen --private "$W/log.pem" --public "$W/log.pub.pem" >/dev/null
"$BIN/zegel-sidecar" keygen --private "$W/jwt.pem" --public "$W/jwt.pub.pem" >/dev/null
ISSUER=https://idp.bench.invalid
AUDIENCE=zegel-bench
TOKEN=$("$BIN/zegel-mint-token" --key "$W/jwt.pem" --jwks "$W/jwks.json" --ttl-seconds 86400 \
    --claims "{\"iss\":\"$ISSUER\",\"aud\":\"$AUDIENCE\",\"sub\":\"uzi:900012345\",
               \"name\":\"J. de Arts\",\"roles\":[\"arts\"],\"org\":\"ura:00012345\",
               \"department\":\"cardiologie\"}")
cp "$REPO/policies/model.conf" "$W/model.conf"
cat >"$W/policy.csv" <<'EOF'
p, verpleegkundige, ura:00012345, ecd:Patient, read, allow
p, arts, ura:00012345, ecd:Patient, read, allow
p, arts, ura:00012345, ecd:Observation, search, allow
EOF
sidecar_config() { # name port enabled
    cat >"$W/$1.toml" <<EOF
application = "ecd"

[listen]
address = "127.0.0.1:$2"

[upstream]
url = "http://127.0.0.1:$UP_PORT"

[audit]
database = "sqlite:$1.db"
chain_id = "bench-$1"
signing_key = "log.pem"
checkpoint_file = "$1.checkpoints"
enabled = $3

[policy]
model = "model.conf"
policy = "policy.csv"

[[identity]]
kind = "jwt"
issuer = "$ISSUER"
audience = ["$AUDIENCE"]
jwks_file = "$W/jwks.json" # absolute: config.rs does not resolve identity paths
[identity.claims]
organisation = "org"
department = "department"

[[route]]
pattern = "/fhir/Patient/{patient}"
resource = "Patient"
patient = "patient"
methods = ["GET"]
EOF
}
sidecar_config zegel-on "$ON_PORT" true
sidecar_config zegel-off "$OFF_PORT" false

wait_port() { # port pid what
    for _ in $(seq 1 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || die "$3 exited; see its log in $W (KEEP=1 keeps it)"
        sleep 0.05
    done
    die "$3 does not listen on $1"
}
for t in zegel-on zegel-off; do
    ZEGEL_LOG=${ZEGEL_LOG:-info} "$BIN/zegel-sidecar" run --config "$W/$t.toml" 2>"$W/$t.log" &
    SPID[$t]=$!
done
"$BIN/zegel-bare-proxy" --listen "127.0.0.1:$BARE_PORT" --upstream "127.0.0.1:$UP_PORT" \
    2>"$W/hyper.log" &
SPID[hyper]=$!
wait_port "$UP_PORT" "$(cat "$W/nginx.pid")" nginx
for t in hyper zegel-on zegel-off; do wait_port "${PORT[$t]}" "${SPID[$t]}" "$t"; done

# Every target must answer 200 with the Patient before anything is measured.
for t in "${TARGETS[@]}"; do
    code=$(curl -s -o "$W/smoke-$t.json" -w '%{http_code}' \
        -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:${PORT[$t]}$REQ_PATH") || true
    [ "$code" = 200 ] && cmp -s "$W/smoke-$t.json" "$W/www/patient.json" ||
        die "$t answered $code to GET $REQ_PATH (want 200 and the Patient)"
done
ON_REQUESTS=1 # the smoke request

# --- fsync cost on the log's filesystem --------------------------------------------------
fsync_probe() {
    if command -v python3 >/dev/null; then
        python3 - "$W/fsync.probe" <<'EOF'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
buf, ts = b"z" * 4096, []
for _ in range(300):
    t = time.perf_counter()
    os.write(fd, buf)
    os.fsync(fd)
    ts.append(time.perf_counter() - t)
os.close(fd)
ts.sort()
print(f"{ts[len(ts) // 2] * 1e3:.3f} {ts[int(len(ts) * 0.99)] * 1e3:.3f} python:4KiB-append+fsync,300x")
EOF
    else
        local s
        s=$(dd if=/dev/zero of="$W/fsync.probe" bs=4k count=300 oflag=dsync 2>&1 |
            awk '/copied/ { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^s/) { print $i; exit } }')
        awk -v s="$s" 'BEGIN { printf "%.3f - dd:4KiB-oflag=dsync,300x\n", s * 1000 / 300 }'
    fi
    rm -f "$W/fsync.probe"
}
read -r FSYNC_MS FSYNC_P99_MS FSYNC_HOW < <(fsync_probe)

# --- measurements ------------------------------------------------------------------------
to_ms() { # wrk latency value (12.3us, 1.2ms, 1.05s, 1.2m) -> ms
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) printf "%.3f", v / 1000;
        else if (v ~ /ms$/) printf "%.3f", v + 0;
        else if (v ~ /s$/) printf "%.3f", v * 1000;
        else if (v ~ /m$/) printf "%.3f", v * 60000;
        else printf "nan" }'
}
declare -A RPS=() P50=() P99=() BAD=() SRVCPU=() OTHER=()
wrk_run() { # target conns seconds outfile [-s script]
    local th=$THREADS
    [ "$th" -gt "$2" ] && th=$2
    wrk -t"$th" -c"$2" -d"$3"s --latency --timeout 5s "${@:5}" \
        -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:${PORT[$1]}$REQ_PATH" >"$4"
    if [ "$1" = zegel-on ]; then
        ON_REQUESTS=$((ON_REQUESTS + $(awk '/requests in/ { print $1 }' "$4")))
    fi
}
# CPU accounting per cell, in clock ticks: the servers (nginx master and workers, both
# sidecars, all threads), wrk (this shell's children), and the whole machine; what is
# left is other processes, i.e. noise.
SERVER_PIDS=("$(cat "$W/nginx.pid")" $(pgrep -P "$(cat "$W/nginx.pid")") "${SPID[@]}")
server_ticks() {
    local p n=0
    for p in "${SERVER_PIDS[@]}"; do # utime + stime: fields 14, 15 of /proc/PID/stat
        [ -r "/proc/$p/stat" ] && n=$((n + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
    done
    echo "$n"
}
child_ticks() { # CPU of this shell's finished children (wrk), into CHILD_TICKS
    times >"$W/times" # `times` must run in this shell, not in a $(...) subshell
    CHILD_TICKS=$(awk -v hz="$HZ" 'NR == 2 { gsub(/[ms]/, " ")
        print int(($1 * 60 + $2 + $3 * 60 + $4) * hz + 0.5) }' "$W/times")
}
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
NCPU=$(nproc)
HZ=$(getconf CLK_TCK)
cat >"$W/pace.lua" <<EOF
-- a random pause, 0 to 2x PACE_MS: the connections must not fire in lockstep bursts
function delay() return math.random(0, 2 * $PACE_MS) end
EOF
CELLS=() # "conns" (closed loop) or "conns paced"
for c in $CONNS; do
    CELLS+=("$c")
    for p in $PACED_CONNS; do [ "$p" = "$c" ] && CELLS+=("$c paced"); done
done
for p in $PACED_CONNS; do [[ " $CONNS " == *" $p "* ]] || CELLS+=("$p paced"); done
measure() { # target cell
    local t=$1 cell=$2 c=${2%% *} script=() out s0 s1 w0 w1 m0 m1 n
    [ "$cell" = "$c" ] || script=(-s "$W/pace.lua")
    say "measuring $t at $cell connections (${WARMUP}s warm-up, ${DURATION}s)"
    wrk_run "$t" "$c" "$WARMUP" "$W/warm.txt" "${script[@]}"
    out=$W/wrk-$t-${cell// /-}.txt
    child_ticks
    s0=$(server_ticks) w0=$CHILD_TICKS m0=$(machine_ticks)
    wrk_run "$t" "$c" "$DURATION" "$out" "${script[@]}"
    child_ticks
    s1=$(server_ticks) w1=$CHILD_TICKS m1=$(machine_ticks)
    RPS[$t,$cell]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
    P50[$t,$cell]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    P99[$t,$cell]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    BAD[$t,$cell]=$(awk '/Non-2xx or 3xx responses:/ { n += $NF }
                         /Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
                         END { print n + 0 }' "$out")
    n=$(awk '/requests in/ { print $1 }' "$out")
    SRVCPU[$t,$cell]=$(awk -v d=$((s1 - s0)) -v n="$n" -v hz="$HZ" \
        'BEGIN { printf "%.0f", d / hz * 1e6 / n }')
    OTHER[$t,$cell]=$(awk -v m=$((m1 - m0)) -v s=$((s1 - s0)) -v w=$((w1 - w0)) \
        -v secs="$DURATION" -v ncpu="$NCPU" -v hz="$HZ" \
        'BEGIN { o = (m - s - w) / (secs * ncpu * hz) * 100; printf "%.0f%%", o < 0 ? 0 : o }')
}
busy_pct() { # % of the machine busy during a sample of $1 seconds
    local m0
    m0=$(machine_ticks)
    sleep "$1"
    awk -v m=$(($(machine_ticks) - m0)) -v s="$1" -v ncpu="$NCPU" -v hz="$HZ" \
        'BEGIN { printf "%.0f", m / (s * ncpu * hz) * 100 }'
}
# Other work on the machine spoils a cell: wait (within a budget) for a quiet moment
# before each cell, and measure a cell again when other processes took more than
# NOISY_PCT of the machine during it, keeping the quieter attempt.
WAITED=0
RETRIED=0
measure_quietly() { # target cell
    local t=$1 cell=$2 attempt keep=()
    for attempt in $(seq 0 "$RETRIES"); do
        while [ "$WAITED" -lt "$IDLE_WAIT_BUDGET" ] && [ "$(busy_pct 1)" -gt 10 ]; do
            WAITED=$((WAITED + 1))
        done
        if [ "$attempt" -gt 0 ]; then
            RETRIED=$((RETRIED + 1))
            keep=("${RPS[$t,$cell]}" "${P50[$t,$cell]}" "${P99[$t,$cell]}" "${BAD[$t,$cell]}"
                "${SRVCPU[$t,$cell]}" "${OTHER[$t,$cell]}")
            say "  again: other processes took ${OTHER[$t,$cell]} of the machine"
        fi
        measure "$t" "$cell"
        if [ "$attempt" -gt 0 ] && [ "${OTHER[$t,$cell]%\%}" -gt "${keep[5]%\%}" ]; then
            RPS[$t,$cell]=${keep[0]} P50[$t,$cell]=${keep[1]} P99[$t,$cell]=${keep[2]}
            BAD[$t,$cell]=${keep[3]} SRVCPU[$t,$cell]=${keep[4]} OTHER[$t,$cell]=${keep[5]}
        fi
        [ "${OTHER[$t,$cell]%\%}" -gt "$NOISY_PCT" ] || break
    done
}
IDLE_BEFORE=$(busy_pct 2)%
STARTED=$(date +%s)
for cell in "${CELLS[@]}"; do
    for t in "${TARGETS[@]}"; do measure_quietly "$t" "$cell"; done
done
ELAPSED=$(($(date +%s) - STARTED))

# --- sidecar memory, then stop them (SIGTERM: drain, stop record, final checkpoint) ------
declare -A RSS=() HWM=()
for t in zegel-on zegel-off; do
    RSS[$t]=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/${SPID[$t]}/status")
    HWM[$t]=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/${SPID[$t]}/status")
done
for t in zegel-on zegel-off; do kill -TERM "${SPID[$t]}"; done
for t in zegel-on zegel-off; do
    wait "${SPID[$t]}" || die "$t exited with status $? on SIGTERM; see $W/$t.log"
    unset "SPID[$t]"
done
set +e
VERIFY=$("$BIN/zegel-analyzer" verify --source "sqlite:$W/zegel-on.db" \
    --public-key "$W/log.pub.pem" --checkpoint-file "$W/zegel-on.checkpoints" 2>&1)
VERIFY_RC=$?
set -e
RECORDS=$(sed -n 's/^chain [^ ]*: \([0-9]*\) records.*/\1/p' <<<"$VERIFY")

# --- report ------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }'; }
echo
echo "zegel-sidecar HTTP benchmark ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "machine: $(nproc) CPU ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -r), log on $(df -PT "$W" | awk 'NR == 2 { print $2 " " $1 }')"
echo "request: GET $REQ_PATH with a bearer JWT (EdDSA), upstream answers $(wc -c <"$W/www/patient.json")-byte FHIR JSON from nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"
echo "load: wrk -t$THREADS, ${DURATION}s per cell after ${WARMUP}s warm-up, cells interleaved per connection count; ${ELAPSED}s in all"
echo "machine busy before the run (2 s sample): $IDLE_BEFORE of $NCPU CPUs; waited ${WAITED}s for quiet, measured $RETRIED noisy cells again; sidecar tokio workers: ${TOKIO_WORKER_THREADS:-$NCPU (default)}"
echo "fsync on the log's filesystem: median $FSYNC_MS ms, p99 $FSYNC_P99_MS ms ($FSYNC_HOW)"
echo
printf '%-8s  %-9s  %8s  %8s  %8s  %8s  %9s  %11s  %10s  %5s  %s\n' \
    conns target req/s "p50 ms" "p99 ms" "x nginx" "x direct" "p99-direct" "srv us/req" other errors
for cell in "${CELLS[@]}"; do
    for t in "${TARGETS[@]}"; do
        printf '%-8s  %-9s  %8s  %8s  %8s  %8s  %9s  %11s  %10s  %5s  %s\n' "$cell" "$t" \
            "${RPS[$t,$cell]}" "${P50[$t,$cell]}" "${P99[$t,$cell]}" \
            "$(ratio "${RPS[$t,$cell]}" "${RPS[nginx,$cell]}")" \
            "$(ratio "${RPS[$t,$cell]}" "${RPS[direct,$cell]}")" \
            "$(awk -v a="${P99[$t,$cell]}" -v b="${P99[direct,$cell]}" 'BEGIN { printf "%+.3f ms", a - b }')" \
            "${SRVCPU[$t,$cell]}" "${OTHER[$t,$cell]}" "${BAD[$t,$cell]}"
    done
done
echo "'paced': each connection pauses a random 0-$((2 * PACE_MS)) ms between a response and its next request."
echo "srv us/req: CPU time (user+sys) of the serving processes per request: nginx (the upstream, and the"
echo "proxy for 'nginx') and the sidecar; 'other': CPU used by unrelated processes during the cell, in %"
echo "of the machine (noise); errors: non-2xx responses and socket errors."
echo
for t in zegel-on zegel-off; do
    echo "sidecar $t memory after the runs: VmRSS ${RSS[$t]} MB, VmHWM (peak) ${HWM[$t]} MB"
done
echo
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo MISS; fi; }
allowed=$(awk -v f="$FSYNC_MS" 'BEGIN { printf "%.3f", f + 0.3 }')
echo "targets:"
top=$(awk '{ print $NF }' <<<"$CONNS")
for c in $CONNS; do [ "$c" = 64 ] && top=64; done
if [ -n "$top" ]; then # no closed-loop cells with CONNS=""
    r=$(awk -v a="${RPS[zegel-on,$top]}" -v b="${RPS[nginx,$top]}" 'BEGIN { printf "%.2f", a / b }')
    echo "  $(verdict "$(awk -v r="$r" 'BEGIN { print (r >= 1.0) }')")  zegel-on throughput >= 1.0x nginx at $top connections: ${r}x"
fi
for cell in "${CELLS[@]}"; do
    [ "${cell%% *}" = 16 ] || continue
    added=$(awk -v a="${P99[zegel-on,$cell]}" -v b="${P99[direct,$cell]}" 'BEGIN { printf "%.3f", a - b }')
    echo "  $(verdict "$(awk -v a="$added" -v m="$allowed" 'BEGIN { print (a <= m) }')")  zegel-on p99 added over direct at $cell connections <= one fsync + 0.3 ms ($allowed ms): $added ms"
done
echo "  $(verdict "$(awk -v h="${HWM[zegel-on]}" 'BEGIN { print (h < 30) }')")  zegel-on RSS < 30 MB: peak ${HWM[zegel-on]} MB (now ${RSS[zegel-on]} MB)"
echo
if [ -n "$top" ]; then
    echo "the stack's floor at $top connections: hyper (zegel-bare-proxy) $(ratio "${RPS[hyper,$top]}" "${RPS[nginx,$top]}") nginx;"
    echo "  zegel-off $(ratio "${RPS[zegel-off,$top]}" "${RPS[hyper,$top]}") and zegel-on $(ratio "${RPS[zegel-on,$top]}" "${RPS[hyper,$top]}") of hyper's throughput"
    echo
fi
errors=0
for k in "${!BAD[@]}"; do errors=$((errors + BAD[$k])); done
for t in zegel-on zegel-off; do
    n=$(grep -E ' (WARN|ERROR) ' "$W/$t.log" | grep -vc 'AUDIT IS DISABLED' || true)
    echo "sidecar $t log: $n warnings/errors$([ "$n" = 0 ] || printf ': %s' "$(grep -E ' (WARN|ERROR) ' "$W/$t.log" | grep -v 'AUDIT IS DISABLED' | head -3 | tr '\n' ' ')")"
done
[ "$errors" = 0 ] || echo "WARNING: $errors non-2xx responses or socket errors (see the errors column)"
echo "zegel-on log: zegel-analyzer verify exit $VERIFY_RC, ${RECORDS:-?} records; wrk and curl completed $ON_REQUESTS requests (2 records each + start, policy-load, stop = $((2 * ON_REQUESTS + 3)); requests cut off at the end of a run add records)"
if [ "$VERIFY_RC" != 0 ]; then
    printf '%s\n' "$VERIFY"
    exit 1
fi
