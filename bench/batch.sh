#!/usr/bin/env bash
# Batch benchmark (issue 12, "Fleets"): PBXS PBXs from one file against the same PBXs bought
# one `linkus purchase` at a time in a shell loop, and against the portal tutorial's curl
# sequence (token, plans, billing contacts, order) once per PBX, all in one run against
# `linkus sandbox serve --latency-ms LATENCY_MS`; then the peak RSS of the check phase of a
# MEM_ROWS-row file (`--dry-run`) against a sandbox without latency.
#
#   bash bench/batch.sh                                  # from anywhere in the repository
#   PBXS=100 LATENCY_MS=150 JOBS=8 MEM_ROWS=10000 bash bench/batch.sh
#
# Knobs (environment):
#   PBXS        PBXs in the file and in each loop (default 100)
#   LATENCY_MS  delay the sandbox adds before each answer (default 150)
#   JOBS        the batch's --jobs (default 8)
#   MEM_ROWS    rows of the file whose check phase is measured for memory (default 10000)
#
# Progress goes to stderr; the results (markdown) go to stdout. Everything lives in a
# temporary folder that is removed on exit; the sandbox servers (127.0.0.1 only) are stopped
# on exit. The binary is the release build in CARGO_TARGET_DIR (default ./target).

set -euo pipefail

PBXS=${PBXS:-100}
LATENCY_MS=${LATENCY_MS:-150}
JOBS=${JOBS:-8}
MEM_ROWS=${MEM_ROWS:-10000}

for knob in PBXS LATENCY_MS JOBS MEM_ROWS; do
    if ! [[ ${!knob} =~ ^[0-9]+$ ]] || ((${!knob} < 1 || ${!knob} > 100000)); then
        echo "bench: $knob must be a whole number from 1 to 100000 (got '${!knob}')" >&2
        exit 2
    fi
done
if ((JOBS > 16)); then
    echo "bench: JOBS is at most 16 (the batch's limit)" >&2
    exit 2
fi

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init batch
mkdir -p "$WORK/mem-data"

ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) / 1000 }'; }

# --- Sandbox servers -------------------------------------------------------------------------
# start_server NAME LATENCY DATA_DIR: serves in the background; sets URL_<NAME> and LOG_<NAME>.
start_server() {
    local name=$1 latency=$2 data=$3
    serve "$name" "$data" --latency-ms "$latency"
    printf -v "URL_$name" '%s' "$SERVED_URL"
    printf -v "LOG_$name" '%s' "$SERVED_LOG"
    log "sandbox $name at $SERVED_URL (latency $latency ms)"
}
# Requests a server has answered so far: one log line each, "... METHOD PATH -> STATUS (N ms)".
requests_in() { grep -cE ' -> [0-9]{3} \([0-9]+ ms\)$' "$1" || true; }

start_server slow "$LATENCY_MS" "$WORK/data"
export LINKUS_BASE_URL=$URL_slow LINKUS_CLIENT_ID=bench LINKUS_CLIENT_SECRET=bench-secret

CONTACT_ID=3197218168379846218
PLAN_ID=3048918321840570368
PLANS_PATH=/pricing/openapi/purchase/v1/purchase_product_info
CONTACTS_PATH=/user/openapi/user/v1/client/billing_contact_list
ORDER_PATH=/order/openapi/order/v1/save
TOKEN_PATH=/auth/openapi/v1/oauth/token

# The n-th SN of a scenario: letters and digits, never a special sandbox ending (it ends in 7).
PREFIX="Q$(printf '%04d' $((RANDOM % 10000)))"
sn_of() { printf '%s%s%08d7' "$PREFIX" "$1" "$2"; }

# Warm the page cache with the binary, and the token cache (the figures are "cached token").
for _ in 1 2 3; do "$BIN" --help >/dev/null; done
"$BIN" products --sn 369471667338 >/dev/null 2>&1 </dev/null

# --- 1. One file, --jobs JOBS ----------------------------------------------------------------
FILE=$WORK/fleet.csv
{
    echo "sn"
    for ((i = 1; i <= PBXS; i++)); do sn_of B "$i"; echo; done
} >"$FILE"
log "1. linkus purchase --from a file of $PBXS PBXs --jobs $JOBS --yes…"
before=$(requests_in "$LOG_slow")
now_us_into t0
"$BIN" purchase --from "$FILE" --plan "Linkus Cloud Service" --billing-contact "$CONTACT_ID" \
    --years 1 --yes --jobs "$JOBS" --json >"$WORK/batch.json" 2>"$WORK/batch.err" </dev/null \
    || { log "the batch failed:"; cat "$WORK/batch.err" >&2; exit 1; }
now_us_into t1
BATCH_MS=$(ms_between "$t0" "$t1")
BATCH_REQS=$(($(requests_in "$LOG_slow") - before))
BOUGHT=$(grep -c '"outcome": "bought"' "$WORK/batch.json" || true)
[[ $BOUGHT == "$PBXS" ]] || { log "the batch bought $BOUGHT of $PBXS"; exit 1; }
log "   $BATCH_MS ms, $BATCH_REQS requests"

# --- 2. A shell loop of single purchases -------------------------------------------------------
log "2. a shell loop of $PBXS single linkus purchase runs…"
before=$(requests_in "$LOG_slow")
now_us_into t0
for ((i = 1; i <= PBXS; i++)); do
    "$BIN" purchase --sn "$(sn_of L "$i")" --plan "Linkus Cloud Service" \
        --billing-contact "$CONTACT_ID" --years 1 --yes >/dev/null 2>"$WORK/loop.err" </dev/null \
        || { log "purchase $i failed:"; cat "$WORK/loop.err" >&2; exit 1; }
done
now_us_into t1
LOOP_MS=$(ms_between "$t0" "$t1")
LOOP_REQS=$(($(requests_in "$LOG_slow") - before))
log "   $LOOP_MS ms, $LOOP_REQS requests"

# --- 3. The tutorial's curl sequence, once per PBX -----------------------------------------------
CURL=(curl -sS --fail-with-body --max-time 30 --noproxy '*')
tutorial() { # SN: token, plans, contacts, order, one request at a time
    local sn=$1 body token
    body=$("${CURL[@]}" -X POST "$LINKUS_BASE_URL$TOKEN_PATH" \
        --data-urlencode "client_id=$LINKUS_CLIENT_ID" \
        --data-urlencode "client_secret=$LINKUS_CLIENT_SECRET" \
        --data-urlencode "grant_type=pp_credentials")
    token=$(printf '%s' "$body" | sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
    [[ -n $token ]] || { echo "no token in: $body" >&2; return 1; }
    body=$("${CURL[@]}" -G "$LINKUS_BASE_URL$PLANS_PATH" -H "Authorization: Bearer $token" \
        --data-urlencode productId=9 --data-urlencode "productNo=$sn")
    [[ $body == *'"code":"success"'* ]] || { echo "plans: $body" >&2; return 1; }
    body=$("${CURL[@]}" "$LINKUS_BASE_URL$CONTACTS_PATH" -H "Authorization: Bearer $token")
    [[ $body == *'"code":"success"'* ]] || { echo "contacts: $body" >&2; return 1; }
    body=$("${CURL[@]}" -X POST "$LINKUS_BASE_URL$ORDER_PATH" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' --data-binary @- <<JSON
{"operationType":"purchase_plan","productId":9,"productNo":"$sn","billingId":$CONTACT_ID,"serviceList":[{"serviceType":"plan","serviceId":$PLAN_ID,"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":1}]}
JSON
    )
    [[ $body == *'"code":"success"'* && $body == *'"orderStatus":"succeed"'* ]] \
        || { echo "order: $body" >&2; return 1; }
}
log "3. the tutorial's curl sequence (token, plans, contacts, order) × $PBXS…"
before=$(requests_in "$LOG_slow")
now_us_into t0
for ((i = 1; i <= PBXS; i++)); do
    tutorial "$(sn_of C "$i")" 2>"$WORK/curl.err" \
        || { log "curl sequence $i failed:"; cat "$WORK/curl.err" >&2; exit 1; }
done
now_us_into t1
CURL_MS=$(ms_between "$t0" "$t1")
CURL_REQS=$(($(requests_in "$LOG_slow") - before))
log "   $CURL_MS ms, $CURL_REQS requests"

# --- 4. Peak memory of a MEM_ROWS-row check phase ------------------------------------------------
MEM_TOOL=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -f '%M' -o "$WORK/t.probe" true 2>/dev/null && [[ -s $WORK/t.probe ]]; then
    MEM_TOOL="GNU time (/usr/bin/time -f %M)"
    timed_rss() { # OUT COMMAND...: KiB and wall ms, "KIB MS"
        local out=$1 t0 t1
        shift
        now_us_into t0
        /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >"$out" 2>"$out.err" </dev/null \
            || { cat "$out.err" >&2; return 1; }
        now_us_into t1
        echo "$(tail -n 1 "$WORK/rss") $(ms_between "$t0" "$t1")"
    }
elif command -v python3 >/dev/null 2>&1; then
    MEM_TOOL="python3 resource.getrusage(RUSAGE_CHILDREN).ru_maxrss"
    timed_rss() {
        local out=$1
        shift
        python3 - "$out" "$@" <<'PY'
import resource, subprocess, sys, time
started = time.monotonic()
with open(sys.argv[1], "wb") as out, open(sys.argv[1] + ".err", "wb") as err:
    done = subprocess.run(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=out, stderr=err)
if done.returncode != 0:
    sys.stderr.write(open(sys.argv[1] + ".err").read())
    sys.exit(1)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
      round((time.monotonic() - started) * 1000))
PY
    }
fi
RSS_SERVED="n/a" MS_SERVED="n/a" RSS_EMBEDDED="n/a" MS_EMBEDDED="n/a"
if [[ -n $MEM_TOOL ]]; then
    start_server fast 0 "$WORK/mem-data"
    BIG=$WORK/big.csv
    {
        echo "sn,customer"
        for ((i = 1; i <= MEM_ROWS; i++)); do printf '%s,customer %d\n' "$(sn_of M "$i")" "$i"; done
    } >"$BIG"
    DRY=(purchase --from "$BIG" --plan "Linkus Cloud Service" --billing-contact "$CONTACT_ID"
        --years 1 --dry-run --json)
    log "4. peak memory of a $MEM_ROWS-row check phase (--dry-run), sandbox served apart…"
    LINKUS_BASE_URL=$URL_fast "$BIN" products --sn 369471667338 >/dev/null 2>&1 </dev/null
    read -r RSS_SERVED MS_SERVED < <(LINKUS_BASE_URL=$URL_fast timed_rss "$WORK/dry.json" "$BIN" "${DRY[@]}")
    ROWS_OUT=$(grep -c '"outcome": "would order"' "$WORK/dry.json" || true)
    [[ $ROWS_OUT == "$MEM_ROWS" ]] || { log "the dry run listed $ROWS_OUT of $MEM_ROWS rows"; exit 1; }
    log "   $RSS_SERVED KiB, $MS_SERVED ms"
    log "   …and with --sandbox (the portal inside the same process)"
    read -r RSS_EMBEDDED MS_EMBEDDED < <(LINKUS_DATA_DIR=$WORK/mem-data timed_rss "$WORK/dry2.json" "$BIN" --sandbox "${DRY[@]}")
    log "   $RSS_EMBEDDED KiB, $MS_EMBEDDED ms"
fi
kib_to_mib() { awk -v k="$1" 'BEGIN { if (k == "n/a") print "n/a"; else printf "%.1f", k / 1024 }'; }

# --- Report --------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
inverse() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b / a }'; }
rts() { awk -v ms="$1" -v l="$LATENCY_MS" 'BEGIN { printf "%d", ms / l + 0.5 }'; }
verdict() { if awk -v v="$1" -v t="$2" 'BEGIN { exit !(v <= t) }'; then echo met; else echo "**missed**"; fi; }
CHECK_RT=$(((PBXS + 15) / 16))
BUY_RT=$(((PBXS + JOBS - 1) / JOBS))

cat <<EOF
## Batch results

$(date -u +%Y-%m-%dT%H:%MZ) · $(nproc) CPU · $(uname -m) · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') · linkus $("$BIN" --version | awk '{ print $2 }') (git $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src crates Cargo.toml Cargo.lock 2>/dev/null || echo ', uncommitted changes'))
PBXS=$PBXS, LATENCY_MS=$LATENCY_MS (added by the sandbox before every answer), JOBS=$JOBS; cached token; one run of each.

| Scenario ($PBXS PBXs) | Requests sent | Wall ms | ≈ round trips (wall / latency) | Batch's share |
|---|---|---|---|---|
| 1. \`linkus purchase --from FILE --jobs $JOBS --yes\` | $BATCH_REQS | $BATCH_MS | $(rts "$BATCH_MS") (design: $CHECK_RT check + $BUY_RT buy) | 1 |
| 2. shell loop of single \`linkus purchase … --yes\` | $LOOP_REQS | $LOOP_MS | $(rts "$LOOP_MS") | $(ratio "$BATCH_MS" "$LOOP_MS") (1/$(inverse "$BATCH_MS" "$LOOP_MS")) |
| 3. tutorial's curl sequence × $PBXS (token, plans, contacts, order) | $CURL_REQS | $CURL_MS | $(rts "$CURL_MS") | $(ratio "$BATCH_MS" "$CURL_MS") (1/$(inverse "$BATCH_MS" "$CURL_MS")) |

| Figure | Value | Target | |
|---|---|---|---|
| batch / curl loop, wall time | $(ratio "$BATCH_MS" "$CURL_MS") | ≤ 0.050 (1/20) | $(verdict "$(ratio "$BATCH_MS" "$CURL_MS")" 0.05) |
| batch / shell loop of single purchases, wall time | $(ratio "$BATCH_MS" "$LOOP_MS") | | |
| max RSS, $MEM_ROWS-row check phase (\`--dry-run --json\`), sandbox served by another process | ${RSS_SERVED} KiB ($(kib_to_mib "$RSS_SERVED") MiB), $MS_SERVED ms | < 50 MiB | $([[ $RSS_SERVED == n/a ]] && echo n/a || verdict "$RSS_SERVED" 51199) |
| the same with \`--sandbox\` (the portal in the same process) | ${RSS_EMBEDDED} KiB ($(kib_to_mib "$RSS_EMBEDDED") MiB), $MS_EMBEDDED ms | | |

Peak memory measured with: ${MEM_TOOL:-nothing available (neither GNU time nor python3)}.
EOF
