#!/usr/bin/env bash
# The load benchmark, to show what the gateway costs against plain proxies: wartesaal side by
# side with nginx and HAProxy, on this machine, in one run, driven by the same wrk on loopback.
#
#   benches/load/run.sh
#
# Cases:
#   (a) a waiting visitor's status poll       vs nginx serving a static file of the same size
#   (b) an admitted visitor, proxied           vs nginx and HAProxy proxying to the same upstream
#       (and at a paced load: p99 added to the upstream's own p99); beside them the floor,
#       benches/load/bare-proxy: hyper's server and wartesaal's upstream client with no gateway
#       between them, which shows how much of any gap is the gateway's own work
#   (c) new arrivals (ticket issued + page)    vs nginx serving a static file of the page's size
#
# Every contestant runs with THREADS server threads (wartesaal `server.threads`, nginx
# `worker_processes`, HAProxy `nbthread`) pinned to SERVER_CPUS; wrk and the fixed upstream (an
# nginx with one worker answering a 1 KiB page) share CLIENT_CPUS. Settings (environment):
#   THREADS=1 SERVER_CPUS=0 CLIENT_CPUS=1 CONNECTIONS=64 DURATION=10 WRK_THREADS=1
#   PACED_CONNECTIONS=8 PACED_DELAY_MS=2 (the paced run for added latency: 8 connections, each
#   waiting 2 ms between requests) PROFILE=release (dev: the debug build, for a quick check)
# With fewer than two CPUs nothing is pinned. Missing wrk/nginx/haproxy/curl are installed with
# apt-get (as root); everything the run starts is stopped and its files removed at the end.
set -euo pipefail

cd "$(dirname "$0")/../.."
THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10}
WRK_THREADS=${WRK_THREADS:-1}
PACED_CONNECTIONS=${PACED_CONNECTIONS:-8}
PACED_DELAY_MS=${PACED_DELAY_MS:-2}
CASES=${CASES:-a b c}
REPEAT=${REPEAT:-3}
want() { [[ " $CASES " == *" $1 "* ]]; }
if [ "$(nproc)" -ge 2 ]; then
    SERVER_CPUS=${SERVER_CPUS:-0}  # with THREADS above 1, give them CPUs too: SERVER_CPUS=0,1
    CLIENT_CPUS=${CLIENT_CPUS:-1}
    on_server() { exec taskset -c "$SERVER_CPUS" "$@"; }
    on_client() { exec taskset -c "$CLIENT_CPUS" "$@"; }
else
    SERVER_CPUS=all CLIENT_CPUS=all
    on_server() { exec "$@"; }
    on_client() { exec "$@"; }
fi

# Ports on loopback; BASE_PORT moves them all.
BASE=${BASE_PORT:-18080}
P_UPSTREAM=$((BASE + 1)) P_STATIC=$((BASE + 2)) P_NGINX=$((BASE + 3)) P_HAPROXY=$((BASE + 4))
P_WARTESAAL=$((BASE + 5)) P_ADMIN=$((BASE + 6)) P_BARE=$((BASE + 7))
# A port taken by something else would be measured instead of our servers: refuse to start.
for port in $(seq "$BASE" $((BASE + 7))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port on 127.0.0.1 is in use; stop what listens there or set BASE_PORT" >&2
        exit 1
    fi
done

need=()
for tool in wrk nginx haproxy curl taskset pgrep; do
    command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin" command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing: ${need[*]}; run as root to install them, or: apt-get install wrk nginx-light haproxy curl util-linux procps" >&2
        exit 1
    fi
    echo "installing ${need[*]} (apt-get)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light haproxy curl util-linux procps >/dev/null
fi
export PATH="$PATH:/usr/sbin"

# PROFILE=dev runs the debug binaries: a check that the benchmark works (CI), not a measure.
profile="${PROFILE:-release}"
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
echo "building the $profile binaries" >&2
# The gateway and the floor in one build, which packaging/deb/build.sh then finds fresh.
cargo build --profile "$profile" --quiet -p wartesaal -p bare-proxy --bins
BIN=$PWD/target/$dir/wartesaal
BARE=$PWD/target/$dir/bare-proxy

WORK=$(mktemp -d /tmp/wartesaal-load.XXXXXX)
chmod 755 "$WORK" # nginx's workers run as nobody and read the static files
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() {
    for _ in $(seq 100); do
        if curl -s -o /dev/null "http://127.0.0.1:$1/"; then return 0; fi
        sleep 0.1
    done
    echo "nothing answers on port $1:" >&2
    tail -n 5 "$WORK"/*.log >&2
    exit 1
}

# nginx: one config per role, each a foreground master with its own prefix.
nginx_conf() { # name workers port server-block
    mkdir -p "$WORK/$1"
    cat >"$WORK/$1/nginx.conf" <<EOF
daemon off;
worker_processes $2;
pid $WORK/$1/nginx.pid;
error_log $WORK/$1/error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    default_type text/html;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=64;
    client_body_temp_path $WORK/$1/body;
    proxy_temp_path $WORK/$1/proxy;
    upstream booking { server 127.0.0.1:$P_UPSTREAM; keepalive 256; }
    server {
        listen 127.0.0.1:$3 reuseport;
        $4
    }
}
EOF
}

# The fixed upstream: a 1 KiB page for every path.
BODY=$(head -c 1024 /dev/zero | tr '\0' 'x')
nginx_conf upstream 1 "$P_UPSTREAM" "location / { return 200 \"$BODY\"; }"
on_client nginx -p "$WORK/upstream" -c "$WORK/upstream/nginx.conf" 2>"$WORK/upstream.log" &
PIDS+=($!)
UPSTREAM_PID=$!
wait_port "$P_UPSTREAM"

# wartesaal: room "wait" (nobody is let in), room "open" (everybody is).
"$BIN" keygen >"$WORK/secret.key"
cat >"$WORK/wartesaal.toml" <<EOF
[server]
listen = "127.0.0.1:$P_WARTESAAL"
threads = $THREADS

[admin]
listen = "127.0.0.1:$P_ADMIN"

[keys]
files = ["$WORK/secret.key"]

[state]
dir = "$WORK/state"

[[rooms]]
id = "wait"
hosts = ["*"]
path_prefix = "/wait"
upstream = "http://127.0.0.1:$P_UPSTREAM"
title = "Impfzentrum Lasttest"
time_zone = "Europe/Berlin"
admit_per_minute = 0.001
# wrk replays one cookie: a ticket renewed every 3 minutes stays fresh for the run, as in a
# browser that keeps the renewed cookie (with the default 15m, every 45 s).
hold_place_for = "1h"

[[rooms]]
id = "open"
hosts = ["*"]
path_prefix = "/open"
upstream = "http://127.0.0.1:$P_UPSTREAM"
title = "Offen"
admit_per_minute = 1000000
# wrk replays one cookie: a pass renewed every 36 s stays fresh for the run, as in a browser.
session_duration = "1h"
max_upstream_concurrency = 4096

[rooms.issuance]
# wrk replays one pass on all its connections, standing in for many visitors' passes: no bound
# per pass (a real pass copied that widely gets 429).
pass_requests_in_flight = 0
pass_requests_per_second = 0
EOF
"$BIN" check --config "$WORK/wartesaal.toml" >/dev/null
RUST_LOG=warn on_server "$BIN" run --config "$WORK/wartesaal.toml" 2>"$WORK/wartesaal.log" &
PIDS+=($!)
WARTESAAL_PID=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$P_ADMIN/readyz" && break
    sleep 0.1
done

cookie_of() { # url [cookie] -> the Set-Cookie's name=value
    curl -s -o /dev/null -D - ${2:+-b "$2"} "$1" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1
}
W=http://127.0.0.1:$P_WARTESAAL
# The first number may be let straight through by the bucket's first token; the next waits.
cookie_of "$W/wait/" >/dev/null
TICKET=$(cookie_of "$W/wait/")
STATUS_URL="$W/.wartesaal/status?room=wait"
STATUS_BYTES=$(curl -s -b "$TICKET" "$STATUS_URL" | wc -c)
curl -s -b "$TICKET" "$STATUS_URL" | grep -q '"position"' || { echo "no waiting ticket: $(curl -s -b "$TICKET" "$STATUS_URL")" >&2; exit 1; }
PAGE_BYTES=$(curl -s "$W/wait/" | wc -c)
PASS=$(cookie_of "$W/open/")
[ "$(curl -s -b "$PASS" "$W/open/booking" | wc -c)" = 1024 ] || { echo "the pass does not reach the upstream" >&2; exit 1; }

# nginx serving static files of the same sizes as the status JSON and the waiting page.
mkdir -p "$WORK/static/root"
head -c "$STATUS_BYTES" /dev/zero | tr '\0' ' ' >"$WORK/static/root/status.json"
head -c "$PAGE_BYTES" /dev/zero | tr '\0' ' ' >"$WORK/static/root/page.html"
nginx_conf static "$THREADS" "$P_STATIC" "location / { root $WORK/static/root; }"
on_server nginx -p "$WORK/static" -c "$WORK/static/nginx.conf" 2>"$WORK/static.log" &
PIDS+=($!)
STATIC_PID=$!

# nginx and HAProxy proxying to the same upstream, with the same forwarded headers.
nginx_conf proxy "$THREADS" "$P_NGINX" "location / {
        proxy_pass http://booking;
        proxy_http_version 1.1;
        proxy_set_header Connection \"\";
        proxy_set_header Host \$host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
    }"
on_server nginx -p "$WORK/proxy" -c "$WORK/proxy/nginx.conf" 2>"$WORK/proxy.log" &
PIDS+=($!)
PROXY_PID=$!
cat >"$WORK/haproxy.cfg" <<EOF
global
    nbthread $THREADS
    maxconn 8000
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
    option forwardfor
    http-reuse always
frontend visitors
    bind 127.0.0.1:$P_HAPROXY
    default_backend booking
backend booking
    server upstream 127.0.0.1:$P_UPSTREAM
EOF
on_server haproxy -db -f "$WORK/haproxy.cfg" 2>"$WORK/haproxy.log" &
PIDS+=($!)
HAPROXY_PID=$!
on_server "$BARE" "127.0.0.1:$P_BARE" "127.0.0.1:$P_UPSTREAM" "$THREADS" 2>"$WORK/bare.log" &
PIDS+=($!)
BARE_PID=$!
wait_port "$P_STATIC"
wait_port "$P_NGINX"
wait_port "$P_BARE"
wait_port "$P_HAPROXY"

# CPU time (clock ticks) used so far by processes (all their threads).
HZ=$(getconf CLK_TCK)
ticks() {
    local t=0 p
    for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
    echo "$t"
}

# One wrk run: prints "req/s p50_ms p99_ms server_cpu_%" and fails on errors or unexpected
# statuses. `pids` are the contestant's processes, whose CPU use is measured during the run.
measure() { # "pids" connections url [cookie] [paced]
    local pids=$1 script="" before after out
    if [ "${5:-}" = paced ]; then
        script="$WORK/paced.lua"
        echo "function delay() return $PACED_DELAY_MS end" >"$script"
    fi
    # shellcheck disable=SC2086
    before=$(ticks $pids)
    if ! out=$(on_client wrk -t "$WRK_THREADS" -c "$2" -d "${DURATION}s" --latency \
        ${4:+-H "Cookie: $4"} ${script:+-s "$script"} "$3"); then
        echo "wrk failed against $3: $out" >&2
        exit 1
    fi
    # shellcheck disable=SC2086
    after=$(ticks $pids)
    echo "$out" >>"$WORK/wrk.log"
    if echo "$out" | grep -q "Non-2xx\|Socket errors" || ! echo "$out" | grep -q '^Requests/sec:'; then
        echo "wrk saw errors against $3:" >&2
        echo "$out" >&2
        exit 1
    fi
    echo "$out" | awk -v cpu="$(((after - before) * 100 / HZ / DURATION))" '
        function ms(v) {
            if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
            if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
            if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
            return v
        }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /^Requests\/sec:/ { rps = $2 }
        END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, cpu }'
}

# The run with the median req/s among REPEAT runs (lines of `measure`).
median() { sort -n | awk '{ line[NR] = $0 } END { print line[int((NR + 1) / 2)] }'; }

# Runs every contestant of a case REPEAT times, taking turns, so that a slow moment of the
# machine hits them all alike; sets RESULT[name] to each one's median run.
declare -A RESULT
contest() { # name "pids" connections url cookie paced, name "pids" …
    local -A runs=()
    local r i
    local -a spec=("$@")
    for r in $(seq "$REPEAT"); do
        for ((i = 0; i < ${#spec[@]}; i += 6)); do
            runs[${spec[i]}]+="$(measure "${spec[i + 1]}" "${spec[i + 2]}" "${spec[i + 3]}" "${spec[i + 4]}" "${spec[i + 5]}")"$'\n'
        done
    done
    for ((i = 0; i < ${#spec[@]}; i += 6)); do
        RESULT[${spec[i]}]=$(printf '%s' "${runs[${spec[i]}]}" | median)
    done
}

rows=()
row() { # case contestant "rps p50 p99 cpu" [ratio]
    local rps p50 p99 cpu
    read -r rps p50 p99 cpu <<<"$3"
    rows+=("$(printf '| %s | %s | %s | %s | %s | %s %% | %s |' "$1" "$2" "$rps" "$p50" "$p99" "$cpu" "${4:--}")")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
first() { echo "$1" | cut -d' ' -f1; }
third() { echo "$1" | cut -d' ' -f3; }

nginx_workers() { pgrep -P "$1" | tr '\n' ' '; }
WS=$WARTESAAL_PID
NS=$(nginx_workers "$STATIC_PID")
NP=$(nginx_workers "$PROXY_PID")
HP=$HAPROXY_PID
FP=$BARE_PID
UP=$(nginx_workers "$UPSTREAM_PID")

if want a; then
    echo "(a) status poll, ${STATUS_BYTES} bytes" >&2
    contest w "$WS" "$CONNECTIONS" "$STATUS_URL" "$TICKET" "" \
        n "$NS" "$CONNECTIONS" "http://127.0.0.1:$P_STATIC/status.json" "" ""
    row "(a) status poll (${STATUS_BYTES} B)" wartesaal "${RESULT[w]}" "$(ratio "$(first "${RESULT[w]}")" "$(first "${RESULT[n]}")") × nginx"
    row "(a) static file (${STATUS_BYTES} B)" nginx "${RESULT[n]}"
fi

if want b; then
    echo "(b) admitted visitor, proxied" >&2
    contest w "$WS" "$CONNECTIONS" "$W/open/booking" "$PASS" "" \
        n "$NP" "$CONNECTIONS" "http://127.0.0.1:$P_NGINX/open/booking" "" "" \
        h "$HP" "$CONNECTIONS" "http://127.0.0.1:$P_HAPROXY/open/booking" "" "" \
        f "$FP" "$CONNECTIONS" "http://127.0.0.1:$P_BARE/open/booking" "" ""
    row "(b) proxied" wartesaal "${RESULT[w]}" "$(ratio "$(first "${RESULT[w]}")" "$(first "${RESULT[n]}")") × nginx, $(ratio "$(first "${RESULT[w]}")" "$(first "${RESULT[h]}")") × HAProxy"
    row "(b) proxied" nginx "${RESULT[n]}"
    row "(b) proxied" HAProxy "${RESULT[h]}"
    row "(b) proxied, no gateway (floor)" bare_proxy "${RESULT[f]}" "$(ratio "$(first "${RESULT[f]}")" "$(first "${RESULT[n]}")") × nginx"

    echo "(b) paced: ${PACED_CONNECTIONS} connections, ${PACED_DELAY_MS} ms between requests" >&2
    contest u "$UP" "$PACED_CONNECTIONS" "http://127.0.0.1:$P_UPSTREAM/open/booking" "" paced \
        w "$WS" "$PACED_CONNECTIONS" "$W/open/booking" "$PASS" paced \
        n "$NP" "$PACED_CONNECTIONS" "http://127.0.0.1:$P_NGINX/open/booking" "" paced \
        h "$HP" "$PACED_CONNECTIONS" "http://127.0.0.1:$P_HAPROXY/open/booking" "" paced
    added() { awk -v a="$(third "$1")" -v b="$(third "${RESULT[u]}")" 'BEGIN { printf "p99 %+.3f ms", a - b }'; }
    row "(b) paced, upstream direct" "(upstream)" "${RESULT[u]}"
    row "(b) paced, proxied" wartesaal "${RESULT[w]}" "$(added "${RESULT[w]}")"
    row "(b) paced, proxied" nginx "${RESULT[n]}" "$(added "${RESULT[n]}")"
    row "(b) paced, proxied" HAProxy "${RESULT[h]}" "$(added "${RESULT[h]}")"
fi

issued() { curl -s "http://127.0.0.1:$P_ADMIN/metrics" | awk '/^wartesaal_queue_issued\{room="wait"\}/ { print $2 }'; }
issued_before=0 issued_after=0
if want c; then
    echo "(c) new arrivals, ${PAGE_BYTES}-byte page" >&2
    issued_before=$(issued)
    contest w "$WS" "$CONNECTIONS" "$W/wait/" "" "" \
        n "$NS" "$CONNECTIONS" "http://127.0.0.1:$P_STATIC/page.html" "" ""
    issued_after=$(issued)
    row "(c) new arrival (ticket + page, ${PAGE_BYTES} B)" wartesaal "${RESULT[w]}" "$(ratio "$(first "${RESULT[w]}")" "$(first "${RESULT[n]}")") × nginx"
    row "(c) static file (${PAGE_BYTES} B)" nginx "${RESULT[n]}"
fi
rss_kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$WARTESAAL_PID/status")

echo
echo "$(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)); server threads: $THREADS on CPU $SERVER_CPUS; wrk ($WRK_THREADS thread, $CONNECTIONS connections, ${DURATION} s, median of $REPEAT runs taken in turns) and the upstream on CPU $CLIENT_CPUS"
echo "$(nginx -v 2>&1 | sed 's/.*: //'), $(haproxy -v | head -1 | cut -d' ' -f1-3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $("$BIN" --version)"
echo
echo "| case | contestant | req/s | p50 ms | p99 ms | server CPU | ratio |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "tickets issued during (c): $(awk -v a="$issued_after" -v b="$issued_before" 'BEGIN { printf "%.0f", a - b }'); wartesaal resident memory at the end: $((rss_kb / 1024)) MiB"
