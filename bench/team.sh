#!/usr/bin/env bash
# Team journal benchmark (issue 17): database round trips per order, and what the team journal
# costs a batch. A private PostgreSQL server (initdb from the installed binaries, as the
# `postgres` user when run as root) behind a TCP proxy that adds DB_MS to each round trip and
# counts them (bench/latency_proxy.py, python3), and `linkus sandbox serve --latency-ms
# PORTAL_MS` as the portal (a real HTTP portal: the sandbox flag is not used, so the team
# journal is).
#
#   bash bench/team.sh
#   PBXS=100 PORTAL_MS=150 JOBS=8 REPS=5 bash bench/team.sh
#
# 1. One purchase at DB_MS 0 and 20: statements and wire round trips before and after the
#    order (from `-v`, and counted by the proxy), and the run's wall time.
# 2. A batch of PBXS at PORTAL_MS, REPS rounds: without the team journal, with it on the
#    server directly, 2 ms away and 20 ms away; the median of each and its ratio to off.
#
# The folders (linkus's data and locks, the sandbox's state, the database) are on tmpfs
# (/dev/shm) unless TMPDIR says otherwise: the question is what the team journal costs, and
# on a machine whose disk is busy with other work an fsync of the local journal now and then
# takes milliseconds, which put more noise into a batch's wall time (+-10%) than the whole
# difference being measured. The local journal's cost is the same in every case.
#
# Results (markdown) on stdout; progress on stderr. Everything is removed on exit.

set -euo pipefail
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi

PBXS=${PBXS:-100}
PORTAL_MS=${PORTAL_MS:-150}
JOBS=${JOBS:-8}
REPS=${REPS:-5}
declare -A RTS

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init team

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $PGBIN/initdb ]] || { log "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"; exit 1; }
command -v python3 >/dev/null || { log "python3 is needed for the latency proxy"; exit 1; }

PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/linkus-bench-pg.XXXXXXXX")
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[[ $(id -u) == 0 ]] && chown postgres "$PGDIR"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PGPORT=$(free_port)
as_pg "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres --no-sync >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
    -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" start >/dev/null
PROXY_PIDS=()
cleanup_team() {
    for pid in "${PROXY_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PGDIR"
    bench_cleanup
}
trap cleanup_team EXIT

# proxy DELAY_MS: starts a proxy to the server; sets PROXY_PORT and COUNTS.
proxy() {
    PROXY_PORT=$(free_port)
    COUNTS=$WORK/rt-$1.txt
    : >"$COUNTS"
    python3 "$REPO/bench/latency_proxy.py" "$PROXY_PORT" "$PGPORT" "$1" "$COUNTS" >"$WORK/proxy-$1.out" 2>&1 &
    PROXY_PIDS+=($!)
    for _ in $(seq 1 50); do grep -q ready "$WORK/proxy-$1.out" 2>/dev/null && break; sleep 0.1; done
}
db_url() { echo "postgresql://postgres@127.0.0.1:$1/postgres?sslmode=disable"; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) / 1000 }'; }

serve portal "$WORK/data" --latency-ms "$PORTAL_MS"
export LINKUS_BASE_URL=$SERVED_URL LINKUS_CLIENT_ID=bench LINKUS_CLIENT_SECRET=bench-secret
CONTACT_ID=3197218168379846218
PREFIX="T$(printf '%04d' $((RANDOM % 10000)))"
sn_of() { printf '%s%s%08d7' "$PREFIX" "$1" "$2"; }

LINKUS_TEAM_JOURNAL=$(db_url "$PGPORT") "$BIN" team init >/dev/null
"$BIN" products --sn 369471667338 >/dev/null 2>&1 </dev/null

echo "## Team journal: \`bash bench/team.sh\` (PORTAL_MS=$PORTAL_MS, PBXS=$PBXS, JOBS=$JOBS), $(date -u +%F)"
echo
echo "### One purchase: database round trips"
echo
echo "| DB added latency | statements before / after | wire round trips (whole run, connection set-up included) | wall time |"
echo "|---|---|---|---|"
for delay in 0 20; do
    proxy "$delay"
    total_rt=0; total_ms=0; runs=5; stmts=""
    for i in $(seq 1 $runs); do
        : >"$COUNTS"
        now_us_into t0
        err=$(LINKUS_TEAM_JOURNAL=$(db_url "$PROXY_PORT") "$BIN" -v purchase --sn "$(sn_of P$delay "$i")" \
            --plan "Linkus Cloud Service" --billing-contact $CONTACT_ID --years 1 --yes 2>&1 >/dev/null </dev/null)
        now_us_into t1
        stmts=$(grep -o 'team journal: [0-9]* statement(s) before.*' <<<"$err" | head -1 || true)
        after=$(grep -o 'team journal: [0-9]* statement(s) after' <<<"$err" | head -1 || true)
        rt=$(wc -l <"$COUNTS")
        total_rt=$((total_rt + rt))
        total_ms=$((total_ms + $(ms_between "$t0" "$t1")))
    done
    b=$(sed -E 's/team journal: ([0-9]+) statement.*/\1/' <<<"$stmts")
    a=$(sed -E 's/team journal: ([0-9]+) statement.*/\1/' <<<"$after")
    echo "| $delay ms | $b / $a | $((total_rt / runs)) | $((total_ms / runs)) ms (portal at $PORTAL_MS ms) |"
done
echo

echo "### A batch of $PBXS at $PORTAL_MS ms portal latency, --jobs $JOBS ($REPS rounds)"
echo
# Each batch gets a portal of its own (a new sandbox server with an empty order list) and
# local folders of its own: the batch reads the portal's order list, and a list grown by the
# batches before it would charge a later case for their orders. The team journal's database
# is shared, as it is in use. The cases take turns, in an order rotated each round, so that
# the machine's drift is spread over all of them.
declare -A RUNS
run_batch() { # CASE ROUND: one batch; its wall time in ms on stdout
    local case=$1 round=$2 journal dir=$WORK/r$2-$1
    mkdir -p "$dir/data" "$dir/locks" "$dir/cache" "$dir/portal"
    serve "portal-$round-$case" "$dir/portal" --latency-ms "$PORTAL_MS"
    local file=$dir/batch.csv
    { echo sn; for ((i = 1; i <= PBXS; i++)); do sn_of "B$round$case" "$i"; echo; done; } >"$file"
    case $case in
        off) journal=off ;;
        direct) journal=$(db_url "$PGPORT") ;;
        *) journal=$(db_url "${PROXY_OF[$case]}") ;;
    esac
    LINKUS_BASE_URL=$SERVED_URL LINKUS_DATA_DIR=$dir/data LINKUS_LOCK_DIR=$dir/locks LINKUS_CACHE_DIR=$dir/cache \
        "$BIN" products --sn 369471667338 >/dev/null 2>&1 </dev/null
    : >"${COUNTS_OF[$case]:-/dev/null}"
    now_us_into t0
    LINKUS_BASE_URL=$SERVED_URL LINKUS_DATA_DIR=$dir/data LINKUS_LOCK_DIR=$dir/locks LINKUS_CACHE_DIR=$dir/cache \
        LINKUS_TEAM_JOURNAL=$journal "$BIN" purchase --from "$file" --plan "Linkus Cloud Service" \
        --billing-contact $CONTACT_ID --years 1 --yes --jobs "$JOBS" >/dev/null 2>"$dir/err" </dev/null || {
        log "batch $case failed:"; tail -5 "$dir/err" >&2; stop_server "$SERVED_PID"; exit 1; }
    now_us_into t1
    stop_server "$SERVED_PID"
    ms_between "$t0" "$t1"
}
declare -A PROXY_OF COUNTS_OF
for delay in 2 20; do
    proxy "$delay"
    PROXY_OF[$delay]=$PROXY_PORT
    COUNTS_OF[$delay]=$COUNTS
done
CASES=(off direct 2 20)
for ((round = 1; round <= REPS; round++)); do
    for ((k = 0; k < ${#CASES[@]}; k++)); do
        case=${CASES[$(((k + round - 1) % ${#CASES[@]}))]}
        RUNS[$case]+="$(run_batch "$case" "$round") "
        [[ $case == 2 || $case == 20 ]] && RTS[$case]=$(wc -l <"${COUNTS_OF[$case]}")
        log "round $round $case: ${RUNS[$case]}"
    done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
base=$(median "${RUNS[off]}")
echo "| team journal | wall times (ms) | median | per row slot | median relative to off |"
echo "|---|---|---|---|---|"
for case in "${CASES[@]}"; do
    m=$(median "${RUNS[$case]}")
    label=$case
    [[ $case == 2 || $case == 20 ]] && label="$case ms away (${RTS[$case]} wire round trips in the last batch)"
    [[ $case == direct ]] && label="on the server directly (no proxy)"
    rel=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
    slot=$(awk -v a="$m" -v n="$PBXS" -v j="$JOBS" 'BEGIN { printf "%.0f ms", a / (n / j) }')
    echo "| $label | ${RUNS[$case]% } | $m | $slot | $rel |"
done
