#!/usr/bin/env bash
# Round-trip benchmark for linkus against its own sandbox portal with simulated latency.
#
#   bash bench/roundtrips.sh                     # from the repository root
#   RUNS=20 LATENCY_MS=100 bash bench/roundtrips.sh
#
# Knobs (environment):
#   RUNS        runs per scenario (default 10)
#   LATENCY_MS  delay the sandbox adds before each answer (default 50)
#   HELP_RUNS   runs of `linkus --help` for the start-time figure (default 200)
#   FLEETS      account sizes (PBXs) for the purchase-by-fleet scenario (default "0 1000 10000")
#   SUB_FLEETS  account sizes for the `linkus subscriptions` scenario (default "1000 10000")
#   ORDER_COUNTS orders already in the portal's list, placed over the last 24 hours, for the
#               purchase-by-order-count scenario (default "0 90 1000": with the RUNS=10
#               runs' own orders, 90 stays within one page of 100)
#
# The binary is taken from $CARGO_TARGET_DIR/release when CARGO_TARGET_DIR is set.
#
# Progress goes to stderr; the results (markdown) go to stdout.
# Everything lives in a temporary folder that is removed on exit, and the sandbox server
# (127.0.0.1 only) is stopped on exit.

set -euo pipefail

RUNS=${RUNS:-10}
LATENCY_MS=${LATENCY_MS:-50}
HELP_RUNS=${HELP_RUNS:-200}
FLEETS=${FLEETS:-0 1000 10000}
SUB_FLEETS=${SUB_FLEETS:-1000 10000}
ORDER_COUNTS=${ORDER_COUNTS:-0 90 1000}

for knob in RUNS LATENCY_MS HELP_RUNS; do
    if ! [[ ${!knob} =~ ^[0-9]+$ ]] || ((${!knob} < 1 || ${!knob} > 100000)); then
        echo "bench: $knob must be a whole number from 1 to 100000 (got '${!knob}')" >&2
        exit 2
    fi
done
if ((RUNS > 1000)); then
    echo "bench: RUNS is at most 1000" >&2
    exit 2
fi
for fleet in $FLEETS $SUB_FLEETS; do
    if ! [[ $fleet =~ ^[0-9]+$ ]] || ((fleet > 1000000)); then
        echo "bench: FLEETS and SUB_FLEETS hold whole numbers from 0 to 1000000 (got '$fleet')" >&2
        exit 2
    fi
done
for orders in $ORDER_COUNTS; do
    if ! [[ $orders =~ ^[0-9]+$ ]] || ((orders > 100000)); then
        echo "bench: ORDER_COUNTS holds whole numbers from 0 to 100000 (got '$orders')" >&2
        exit 2
    fi
done

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init roundtrips
mkdir -p "$WORK/runs"

# Median of numbers on stdin (average of the two middle ones for an even count).
median() {
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]
        else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
minmax() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo, hi }'; }

# --- Sandbox server --------------------------------------------------------------------------
# start_server FLEET: `linkus sandbox serve --port 0 --latency-ms L --fleet FLEET` with a state
# folder of its own (so that orders bought in one scenario never grow another's account);
# sets SERVER_PID, SERVER_LOG, BASE_URL and LINKUS_BASE_URL.
# start_server FLEET [ORDERS]: ORDERS orders for other PBXs are written into its state first,
# as if placed from elsewhere over the last 24 hours (the portal's order list, which every
# order is checked against).
SERVER_PID=""
SERVER_LOG=""
SERVERS_STARTED=0
start_server() {
    local fleet=$1 orders=${2:-0}
    SERVERS_STARTED=$((SERVERS_STARTED + 1))
    local name=$SERVERS_STARTED-fleet$fleet-orders$orders
    if ((orders > 0)); then seed_orders "$WORK/sandbox-$name" "$orders"; fi
    log "starting linkus sandbox serve --port 0 --latency-ms $LATENCY_MS --fleet $fleet ($orders orders listed)…"
    serve "server-$name" "$WORK/sandbox-$name" --latency-ms "$LATENCY_MS" --fleet "$fleet"
    SERVER_PID=$SERVED_PID SERVER_LOG=$SERVED_LOG BASE_URL=$SERVED_URL
    log "sandbox at $BASE_URL"
    export LINKUS_BASE_URL=$BASE_URL
}
# stop_current_server: stops the server start_server started last.
stop_current_server() {
    [[ -z $SERVER_PID ]] || stop_server "$SERVER_PID"
    SERVER_PID=""
}

# seed_orders DATA_DIR N: the sandbox state (DATA_DIR/sandbox/state.json) with N succeeded
# purchases for other PBXs (H00000000000 and on), the newest a minute ago, spread evenly over
# the last 24 hours, so that all N are inside the window the order list is read back to.
seed_orders() {
    local dir=$1/sandbox n=$2
    mkdir -p "$dir"
    awk -v n="$n" -v now="$(date +%s)" 'BEGIN {
        step = int(86000 / n); printf "{\"orders\":["
        for (i = 0; i < n; i++) {
            id = sprintf("70000000%011d", i)
            printf "%s{\"id\":%s,\"orderNo\":\"LR%s\",\"orderStatus\":\"succeed\",\"operationType\":\"purchase_plan\",\"transactionNo\":\"QO%s\",\"instanceId\":\"\",\"createTime\":%d000,\"productNo\":\"H%011d\",\"planId\":3048918321840570368,\"planName\":\"Linkus Cloud Service\",\"billingId\":3197218168379846218,\"multiCycle\":1,\"poNumber\":null}", (i ? "," : ""), id, id, id, now - 60 - i * step, i
        }
        print "]}"
    }' >"$dir/state.json"
}

export LINKUS_CLIENT_ID=bench LINKUS_CLIENT_SECRET=bench-secret
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
start_server 0

# Requests the server has answered so far: one log line each, "... METHOD PATH -> STATUS (N ms)".
REQUEST_LINE=' -> [0-9]{3} \([0-9]+ ms\)$'
requests_so_far() { grep -cE "$REQUEST_LINE" "$SERVER_LOG" || true; }

# Round trips counted in the server log for requests FROM..TO (1-based, inclusive): each line
# gives when the answer left (its time) and how long the request was held (N ms), so when it
# came in. A request that came in after an answer of the current wave had left depends on
# nothing faster than that answer: it starts the next wave. Concurrent requests come in before
# any of them is answered, so they share a wave. Unlike wall time / latency, this count does
# not grow with process start-up or a loaded machine. (Times are of one UTC day: a run across
# midnight would be miscounted.)
waves_in_log() { # FROM TO
    grep -E "$REQUEST_LINE" "$SERVER_LOG" | sed -n "$1,$2p" | awk '{
        split(substr($1, 12, 12), t, ":")
        end = (t[1] * 3600 + t[2] * 60 + t[3]) * 1000
        held = $(NF - 1); sub(/^\(/, "", held)
        printf "%.3f %.3f\n", end - held, end
    }' | sort -n | awk '
        NR == 1 { waves = 1; first_end = $2; next }
        # 2 ms of slack: both times are rounded to the millisecond.
        $1 >= first_end - 2 { waves++; first_end = $2; next }
        $2 < first_end { first_end = $2 }
        END { print waves + 0 }'
}

# A serial number no other run uses. Letters and digits only, never a special sandbox SN.
SN_PREFIX="B$(printf '%04d' $((RANDOM % 10000)))"
unique_sn() { # scenario-letter run-index
    local sn="${SN_PREFIX}$1$((9000000000 + $2))"
    if [[ $sn =~ (0402|0202|0504|0503|0409)$ ]]; then sn="${sn}7"; fi
    echo "$sn"
}

READ_SN=369471667338
PLANS_PATH=/pricing/openapi/purchase/v1/purchase_product_info
CONTACTS_PATH=/user/openapi/user/v1/client/billing_contact_list
ORDER_PATH=/order/openapi/order/v1/save
TOKEN_PATH=/auth/openapi/v1/oauth/token
CONTACT_ID=3197218168379846218
PLAN_ID=3048918321840570368

# --- What each scenario runs -------------------------------------------------------------
# Each prints nothing useful and fails (non-zero) if the command did not succeed.
run_products() { "$BIN" products --sn "$READ_SN" </dev/null; }
run_subscriptions() { "$BIN" subscriptions --json </dev/null; }
run_purchase() { # SN
    "$BIN" purchase --sn "$1" --plan "Linkus Cloud Service" --billing-contact "$CONTACT_ID" \
        --years 1 --yes </dev/null
}

CURL=(curl -sS --fail-with-body --max-time 30 --noproxy '*')
tutorial_token() {
    local body token
    body=$("${CURL[@]}" -X POST "$BASE_URL$TOKEN_PATH" \
        --data-urlencode "client_id=$LINKUS_CLIENT_ID" \
        --data-urlencode "client_secret=$LINKUS_CLIENT_SECRET" \
        --data-urlencode "grant_type=pp_credentials")
    token=$(printf '%s' "$body" | sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
    [[ -n $token ]] || { echo "no token in: $body" >&2; return 1; }
    printf '%s' "$token"
}
tutorial_rest() { # TOKEN SN: plans, billing contacts, order; one at a time
    local token=$1 sn=$2 body
    body=$("${CURL[@]}" -G "$BASE_URL$PLANS_PATH" -H "Authorization: Bearer $token" \
        --data-urlencode productId=9 --data-urlencode "productNo=$sn")
    [[ $body == *'"code":"success"'* ]] || { echo "plans: $body" >&2; return 1; }
    body=$("${CURL[@]}" "$BASE_URL$CONTACTS_PATH" -H "Authorization: Bearer $token")
    [[ $body == *'"code":"success"'* ]] || { echo "contacts: $body" >&2; return 1; }
    body=$("${CURL[@]}" -X POST "$BASE_URL$ORDER_PATH" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' --data-binary @- <<JSON
{"operationType":"purchase_plan","productId":9,"productNo":"$sn","billingId":$CONTACT_ID,"serviceList":[{"serviceType":"plan","serviceId":$PLAN_ID,"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":1}]}
JSON
    )
    [[ $body == *'"code":"success"'* && $body == *'"orderStatus":"succeed"'* ]] \
        || { echo "order: $body" >&2; return 1; }
}
run_tutorial() { # SN: token, plans, contacts, order
    local token
    token=$(tutorial_token)
    tutorial_rest "$token" "$1"
}
CACHED_TUTORIAL_TOKEN=""
run_tutorial_cached() { tutorial_rest "$CACHED_TUTORIAL_TOKEN" "$1"; }

# --- Peak memory ---------------------------------------------------------------------------
# Max RSS in KiB of one run of a command: GNU time when present, else python3's getrusage.
MEM_TOOL=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -f '%M' -o "$WORK/t.probe" true 2>/dev/null && [[ -s $WORK/t.probe ]]; then
    MEM_TOOL="GNU time (/usr/bin/time -f %M)"
    max_rss_kib() {
        /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >"$WORK/rss.out" 2>&1 </dev/null \
            || { cat "$WORK/rss.out" >&2; return 1; }
        tail -n 1 "$WORK/rss"
    }
elif command -v python3 >/dev/null 2>&1; then
    MEM_TOOL="python3 resource.getrusage(RUSAGE_CHILDREN).ru_maxrss"
    max_rss_kib() {
        python3 - "$@" <<'PY'
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                      stderr=subprocess.PIPE)
if done.returncode != 0:
    sys.stderr.write(done.stderr.decode(errors="replace"))
    sys.exit(1)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # KiB on Linux
PY
    }
else
    MEM_TOOL=""
fi
# --- Measuring -----------------------------------------------------------------------------
# measure KEY SETUP COMMAND...: RUNS runs; SETUP (a function name or :) runs untimed before
# each; "{SN}" in the command becomes a fresh serial number. Records wall ms and requests.
declare -A MEDIAN_MS REQS_MED REQS_RANGE RTS WAVES WAVES_HI ROWS RSS_SUBS ORDER_PAGES
measure() {
    local key=$1 setup=$2
    shift 2
    local ms_file=$WORK/runs/$key.ms req_file=$WORK/runs/$key.req wave_file=$WORK/runs/$key.waves
    : >"$ms_file"
    : >"$req_file"
    : >"$wave_file"
    local i t0 t1 before after sn arg out=$WORK/runs/$key.out
    for ((i = 1; i <= RUNS; i++)); do
        "$setup"
        sn=$(unique_sn "$key" "$i")
        local cmd=()
        for arg in "$@"; do cmd+=("${arg//\{SN\}/$sn}"); done
        before=$(requests_so_far)
        now_us_into t0
        if ! "${cmd[@]}" >"$out" 2>&1; then
            log "scenario $key, run $i failed: ${cmd[*]}"
            cat "$out" >&2
            exit 1
        fi
        now_us_into t1
        after=$(requests_so_far)
        echo $(((t1 - t0))) | awk '{ printf "%.3f\n", $1 / 1000 }' >>"$ms_file"
        echo $((after - before)) >>"$req_file"
        if ((after > before)); then waves_in_log $((before + 1)) "$after" >>"$wave_file"; fi
    done
    MEDIAN_MS[$key]=$(median <"$ms_file")
    REQS_MED[$key]=$(median <"$req_file" | awk '{ printf "%g", $1 }')
    REQS_RANGE[$key]=$(minmax <"$req_file")
    RTS[$key]=$(awk -v ms="${MEDIAN_MS[$key]}" -v l="$LATENCY_MS" 'BEGIN { printf "%d", ms / l + 0.5 }')
    WAVES[$key]=$(median <"$wave_file" | awk '{ printf "%g", $1 }')
    local lo hi
    read -r lo hi <<<"$(minmax <"$wave_file")"
    WAVES_HI[$key]=$hi
    [[ $lo == "$hi" ]] || WAVES[$key]="${WAVES[$key]} ($lo–$hi)"
    log "$key: median ${MEDIAN_MS[$key]} ms, requests ${REQS_RANGE[$key]/ /..}, ${WAVES[$key]} round trips in the log, ~${RTS[$key]} by wall time"
}

no_setup() { :; }
drop_token_cache() { rm -rf "$LINKUS_CACHE_DIR/tokens"; }
drop_all_caches() { rm -rf "$LINKUS_CACHE_DIR"; }
warm_token() { run_products >/dev/null 2>&1; }

# Warm the page cache with the binary, and the token cache.
for _ in 1 2 3; do "$BIN" --help >/dev/null; done
warm_token

log "a. products, cached token ($RUNS runs)…"
measure a no_setup run_products
log "b. products, no cached token (offering remembered) ($RUNS runs)…"
measure b drop_token_cache run_products
log "b'. products, first run on a machine: cache folder deleted before each run ($RUNS runs)…"
measure b2 drop_all_caches run_products
warm_token
log "c. purchase, cached token ($RUNS runs)…"
measure c no_setup run_purchase "{SN}"
log "d. tutorial sequence with curl: token, plans, contacts, order ($RUNS runs)…"
measure d no_setup run_tutorial "{SN}"
CACHED_TUTORIAL_TOKEN=$(tutorial_token)
log "d'. tutorial sequence with a cached token: plans, contacts, order ($RUNS runs)…"
measure e no_setup run_tutorial_cached "{SN}"
stop_current_server

# --- Account size ----------------------------------------------------------------------------
# f<N>. purchase with a cached token and a remembered offering against an account of N PBXs:
# the PBX's subscription is one Get Product Details request, so requests and time stay flat.
# g<N>. `linkus subscriptions` over N PBXs: the product list, 100 PBXs a page, 6 pages at once.
# Each account size gets its own server (its port, hence its own token and offering cache key):
# one `products` run first fetches the token and remembers the offering.
for fleet in $FLEETS; do
    start_server "$fleet"
    warm_token
    log "f$fleet. purchase, cached token, remembered offering, $fleet PBXs in the account ($RUNS runs)…"
    measure "f$fleet" no_setup run_purchase "{SN}"
    stop_current_server
done
for fleet in $SUB_FLEETS; do
    start_server "$fleet"
    warm_token
    log "g$fleet. linkus subscriptions over $fleet PBXs ($RUNS runs)…"
    measure "g$fleet" no_setup run_subscriptions
    ROWS[$fleet]=$(run_subscriptions 2>/dev/null | grep -c '"productNo"' || true)
    if [[ -n $MEM_TOOL ]]; then
        RSS_SUBS[$fleet]=$(max_rss_kib "$BIN" subscriptions --json)
    fi
    stop_current_server
done
# h<N>. purchase with a cached token and a remembered offering while the portal lists N orders
# placed over the last 24 hours: one page (100 orders) comes in the lookups' round trip; more
# pages are asked for together in one more round trip.
for orders in $ORDER_COUNTS; do
    start_server 0 "$orders"
    warm_token
    log "h$orders. purchase, cached token, remembered offering, $orders orders in the portal's list ($RUNS runs)…"
    measure "h$orders" no_setup run_purchase "{SN}"
    ORDER_PAGES[$orders]=$(grep -cE " GET /order/openapi/order/v1/page -> " "$SERVER_LOG" || true)
    stop_current_server
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
start_server 0

# --- Start time ------------------------------------------------------------------------------
log "linkus --help, $HELP_RUNS runs…"
HELP_FILE=$WORK/runs/help.ms
: >"$HELP_FILE"
for ((i = 1; i <= HELP_RUNS; i++)); do
    now_us_into t0
    "$BIN" --help >/dev/null
    now_us_into t1
    echo $((t1 - t0)) >>"$HELP_FILE"
done
HELP_MS=$(awk '{ printf "%.3f\n", $1 / 1000 }' "$HELP_FILE" | median)
HYPERFINE_NOTE=""
if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 10 --runs "$HELP_RUNS" --export-json "$WORK/hf.json" "$BIN --help" >&2 || true
    if [[ -s $WORK/hf.json ]]; then
        HYPERFINE_NOTE=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f" % (r["median"]*1000))' "$WORK/hf.json" 2>/dev/null || true)
    fi
fi

# --- Peak memory, the original scenarios ------------------------------------------------------
RSS_READ="n/a" RSS_BUY="n/a"
if [[ -n $MEM_TOOL ]]; then
    warm_token
    log "peak memory ($MEM_TOOL)…"
    RSS_READ=$(max_rss_kib "$BIN" products --sn "$READ_SN")
    RSS_BUY=$(max_rss_kib "$BIN" purchase --sn "$(unique_sn m 1)" --plan "Linkus Cloud Service" \
        --billing-contact "$CONTACT_ID" --years 1 --yes)
fi
kib_to_mib() { awk -v k="$1" 'BEGIN { if (k == "n/a") print "n/a"; else printf "%.1f", k / 1024 }'; }

# --- Binary size ---------------------------------------------------------------------------
SIZE_B=$(stat -c %s "$BIN")
SIZE_MIB=$(awk -v b="$SIZE_B" 'BEGIN { printf "%.2f", b / 1048576 }')

# --- Stop the server -------------------------------------------------------------------------
stop_current_server

# --- Report --------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
reqs() { # key: median, with the range when runs differed
    local lo hi
    read -r lo hi <<<"${REQS_RANGE[$1]}"
    if [[ $lo == "$hi" ]]; then echo "$lo"; else echo "${REQS_MED[$1]} ($lo–$hi)"; fi
}
verdict() { if awk -v v="$1" -v t="$2" 'BEGIN { exit !(v < t) }'; then echo met; else echo "**missed**"; fi; }
verdict_le() { if awk -v v="$1" -v t="$2" 'BEGIN { exit !(v <= t) }'; then echo met; else echo "**missed**"; fi; }

R_CD=$(ratio "${MEDIAN_MS[c]}" "${MEDIAN_MS[d]}")
R_CE=$(ratio "${MEDIAN_MS[c]}" "${MEDIAN_MS[e]}")
R_ED=$(ratio "${MEDIAN_MS[e]}" "${MEDIAN_MS[d]}")
R_AD=$(ratio "${MEDIAN_MS[a]}" "${MEDIAN_MS[d]}")

cat <<EOF
## Results

$(date -u +%Y-%m-%dT%H:%MZ) · $(nproc) CPU · $(uname -m) · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') · linkus $("$BIN" --version | awk '{ print $2 }') (git $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || echo ', uncommitted changes'))
RUNS=$RUNS, LATENCY_MS=$LATENCY_MS (added by the sandbox before every answer), medians over RUNS runs.

| Scenario | Requests sent | Round trips, counted in the server log | Round trips, wall ms / latency | Median wall ms | Ratio to the sequential flow |
|---|---|---|---|---|---|
| a. \`linkus products --sn SN\`, cached token (target 1 RT) | $(reqs a) | ${WAVES[a]} | ${RTS[a]} | ${MEDIAN_MS[a]} | |
| b. \`linkus products --sn SN\`, no cached token, offering remembered (target 2 RT) | $(reqs b) | ${WAVES[b]} | ${RTS[b]} | ${MEDIAN_MS[b]} | |
| b′. \`linkus products --sn SN\`, first run: nothing cached | $(reqs b2) | ${WAVES[b2]} | ${RTS[b2]} | ${MEDIAN_MS[b2]} | |
| c. \`linkus purchase … --yes\`, cached token, offering remembered (target 2 RT) | $(reqs c) | ${WAVES[c]} | ${RTS[c]} | ${MEDIAN_MS[c]} | $R_CD of d; $R_CE of d′ |
| d. tutorial with curl, one request at a time: token, plans, contacts, order | $(reqs d) | ${WAVES[d]} | ${RTS[d]} | ${MEDIAN_MS[d]} | 1.00 |
| d′. tutorial with curl, cached token: plans, contacts, order | $(reqs e) | ${WAVES[e]} | ${RTS[e]} | ${MEDIAN_MS[e]} | $R_ED of d |

Round trips counted in the server log: requests that came in before any answer of their wave
had left share a round trip (see \`waves_in_log\`). Wall ms / latency: round(median wall ms /
LATENCY_MS), which also counts process start-up and a loaded machine's delays.

| Other figure | Value | Target | |
|---|---|---|---|
| purchase (c) / tutorial (d), wall time | $R_CD | ≤ 0.60 | $(verdict_le "$R_CD" 0.60) |
| purchase (c) / tutorial with cached token (d′), wall time | $R_CE | (fair comparison, no target) | |
| \`linkus --help\`, median of $HELP_RUNS runs | $HELP_MS ms$([[ -n $HYPERFINE_NOTE ]] && echo " (hyperfine: $HYPERFINE_NOTE ms)") | < 10 ms | $(verdict "$HELP_MS" 10) |
| max RSS, \`products\` (cached token) | ${RSS_READ} KiB ($(kib_to_mib "$RSS_READ") MiB) | < 30 MiB | $([[ $RSS_READ == n/a ]] && echo n/a || verdict "$RSS_READ" 30720) |
| max RSS, \`purchase --yes\` (cached token) | ${RSS_BUY} KiB ($(kib_to_mib "$RSS_BUY") MiB) | < 30 MiB | $([[ $RSS_BUY == n/a ]] && echo n/a || verdict "$RSS_BUY" 30720) |
| release binary size | $SIZE_B bytes ($SIZE_MIB MiB) | | |

Peak memory measured with: ${MEM_TOOL:-nothing available (neither GNU time nor python3)}.

### Account size: purchase (target: at most 6 requests, 2 round trips, flat)

Cached token, remembered offering, a new SN each run, no open order in the journal.

| PBXs in the account | Requests sent | Round trips, server log | Round trips, wall ms / latency | Median wall ms | Requests ≤ 6 (every run) | Round trips ≤ 2 (every run, server log) |
|---|---|---|---|---|---|---|
$(for fleet in $FLEETS; do
    k=f$fleet
    read -r _ hi <<<"${REQS_RANGE[$k]}"
    echo "| $fleet | $(reqs "$k") | ${WAVES[$k]} | ${RTS[$k]} | ${MEDIAN_MS[$k]} | $(verdict_le "$hi" 6) | $(verdict_le "${WAVES_HI[$k]}" 2) |"
done)

### Orders in the portal's list: purchase (target: 2 round trips while one page covers the window, 3 with 1,000 orders)

Cached token, remembered offering, a new SN each run; the portal lists N orders for other
PBXs placed over the last 24 hours (plus the runs' own). Order-list pages: all the GETs of
the list over the RUNS runs and the warm-up.

| Orders in the list | Requests sent | Order-list pages (all runs) | Round trips, server log | Round trips, wall ms / latency | Median wall ms | Round trips ≤ target (every run, server log) |
|---|---|---|---|---|---|---|
$(for orders in $ORDER_COUNTS; do
    k=h$orders
    target=2; ((orders + RUNS > 100)) && target=3
    echo "| $orders | $(reqs "$k") | ${ORDER_PAGES[$orders]} | ${WAVES[$k]} | ${RTS[$k]} | ${MEDIAN_MS[$k]} | $(verdict_le "${WAVES_HI[$k]}" "$target") (≤ $target) |"
done)

### Account size: \`linkus subscriptions --json\`

| PBXs in the account | Rows printed | Requests sent | Round trips, server log | Round trips, wall ms / latency | Median wall ms | Max RSS |
|---|---|---|---|---|---|---|
$(for fleet in $SUB_FLEETS; do
    k=g$fleet
    echo "| $fleet | ${ROWS[$fleet]} | $(reqs "$k") | ${WAVES[$k]} | ${RTS[$k]} | ${MEDIAN_MS[$k]} | ${RSS_SUBS[$fleet]:-n/a} KiB |"
done)

Load average (1, 5, 15 min) before: $LOAD_BEFORE; after the account-size scenarios: $LOAD_AFTER.
EOF
