#!/usr/bin/env bash
# Nightly renewal benchmark (issue 18): `linkus renew --expiring-within 30` over an account of
# FLEET PBXs of which EXPIRING end within 30 days, against `linkus sandbox serve --fleet FLEET
# --fleet-expiring EXPIRING --latency-ms LATENCY_MS`: its wall time, requests and peak RSS;
# then a shell loop of LOOP single `linkus renew --sn` runs over other expiring PBXs, scaled to
# EXPIRING, for the ratio.
#
#   bash bench/nightly.sh                                # from anywhere in the repository
#   FLEET=10000 EXPIRING=2000 LATENCY_MS=150 JOBS=16 LOOP=100 bash bench/nightly.sh
#
# Progress goes to stderr; the results (markdown) go to stdout. Everything lives in a
# temporary folder that is removed on exit; the sandbox server (127.0.0.1 only) is stopped on
# exit. The binary is the release build in CARGO_TARGET_DIR (default ./target).

set -euo pipefail

FLEET=${FLEET:-10000}
EXPIRING=${EXPIRING:-2000}
LATENCY_MS=${LATENCY_MS:-150}
JOBS=${JOBS:-16}
LOOP=${LOOP:-100}

for knob in FLEET EXPIRING LATENCY_MS JOBS LOOP; do
    if ! [[ ${!knob} =~ ^[0-9]+$ ]] || ((${!knob} < 1 || ${!knob} > 100000)); then
        echo "bench: $knob must be a whole number from 1 to 100000 (got '${!knob}')" >&2
        exit 2
    fi
done
if ((JOBS > 16 || EXPIRING + LOOP > FLEET)); then
    echo "bench: JOBS is at most 16, and EXPIRING + LOOP at most FLEET" >&2
    exit 2
fi

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init nightly

ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) / 1000 }'; }
requests_in() { grep -cE ' -> [0-9]{3} \([0-9]+ ms\)$' "$1" || true; }
requests_to() { grep -cE " $1 $2 -> [0-9]{3} " "$3" || true; }

CONTACT_ID=3197218168379846218
ORDER_PATH=/order/openapi/order/v1/save
INSTANCES_PATH=/product/openapi/instance_product/v1/client/instance_product_list

# The loop renews PBXs of its own: the fleet's first EXPIRING + LOOP PBXs end within 30 days;
# the loop renews the last LOOP of them first, so that the nightly run then finds exactly
# EXPIRING to renew.
serve nightly "$WORK/data" --fleet "$FLEET" --fleet-expiring "$((EXPIRING + LOOP))" \
    --latency-ms "$LATENCY_MS"
LOG=$SERVED_LOG
log "sandbox at $SERVED_URL: $FLEET PBXs, $((EXPIRING + LOOP)) ending within 30 days, latency $LATENCY_MS ms"
export LINKUS_BASE_URL=$SERVED_URL LINKUS_CLIENT_ID=bench LINKUS_CLIENT_SECRET=bench-secret

for _ in 1 2 3; do "$BIN" --help >/dev/null; done
"$BIN" billing-contacts >/dev/null 2>&1 </dev/null # a cached token, as every figure assumes

# --- 1. A shell loop of LOOP single renewals (before the nightly run renews them) -------------
sn_of() { printf 'F%011d' "$1"; }
log "1. a shell loop of $LOOP single linkus renew --sn runs…"
before=$(requests_in "$LOG")
now_us_into t0
for ((i = EXPIRING + 1; i <= EXPIRING + LOOP; i++)); do
    "$BIN" renew --sn "$(sn_of "$i")" --billing-contact "$CONTACT_ID" --yes \
        >/dev/null 2>"$WORK/loop.err" </dev/null \
        || { log "renew $i failed:"; cat "$WORK/loop.err" >&2; exit 1; }
done
now_us_into t1
LOOP_MS=$(ms_between "$t0" "$t1")
LOOP_REQS=$(($(requests_in "$LOG") - before))
log "   $LOOP_MS ms, $LOOP_REQS requests"

# --- 2. The nightly command ---------------------------------------------------------------
# What it should renew, as the listing says (the sandbox's own `0409` PBX ends in 20 days too).
DUE=$("$BIN" subscriptions --expiring-within 30 --jq '[.[] | select(.autoRenew != true)] | length' </dev/null)
NIGHTLY=(renew --expiring-within 30 --billing-contact "$CONTACT_ID" --jobs "$JOBS" --yes --json)
log "2. linkus ${NIGHTLY[*]}…"
before=$(requests_in "$LOG")
before_orders=$(requests_to POST "$ORDER_PATH" "$LOG")
before_pages=$(requests_to GET "$INSTANCES_PATH" "$LOG")
if [[ -x /usr/bin/time ]] && /usr/bin/time -f '%M' -o "$WORK/t.probe" true 2>/dev/null; then
    RSS_TOOL="GNU time (/usr/bin/time -f %M)"
    now_us_into t0
    /usr/bin/time -f '%M' -o "$WORK/rss" "$BIN" "${NIGHTLY[@]}" >"$WORK/nightly.json" \
        2>"$WORK/nightly.err" </dev/null || { cat "$WORK/nightly.err" >&2; exit 1; }
    now_us_into t1
    RSS_KIB=$(tail -n 1 "$WORK/rss")
else
    RSS_TOOL="python3 resource.getrusage(RUSAGE_CHILDREN).ru_maxrss"
    now_us_into t0
    RSS_KIB=$(python3 - "$WORK/nightly.json" "$BIN" "${NIGHTLY[@]}" <<'PY'
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out, open(sys.argv[1] + ".err", "wb") as err:
    done = subprocess.run(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=out, stderr=err)
if done.returncode != 0:
    sys.stderr.write(open(sys.argv[1] + ".err").read())
    sys.exit(1)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
    )
    now_us_into t1
    cp "$WORK/nightly.json.err" "$WORK/nightly.err"
fi
NIGHTLY_MS=$(ms_between "$t0" "$t1")
NIGHTLY_REQS=$(($(requests_in "$LOG") - before))
NIGHTLY_ORDERS=$(($(requests_to POST "$ORDER_PATH" "$LOG") - before_orders))
NIGHTLY_PAGES=$(($(requests_to GET "$INSTANCES_PATH" "$LOG") - before_pages))
RENEWED=$(grep -c '"outcome": "renewed"' "$WORK/nightly.json" || true)
ALREADY=$(grep -c '"outcome": "already renewed"' "$WORK/nightly.json" || true)
[[ $RENEWED == "$DUE" ]] || { log "renewed $RENEWED of $DUE:"; tail -n 5 "$WORK/nightly.err" >&2; exit 1; }
TALLY=$(tail -n 1 "$WORK/nightly.err")
log "   $NIGHTLY_MS ms, $NIGHTLY_REQS requests ($NIGHTLY_PAGES listing pages, $NIGHTLY_ORDERS orders), $RSS_KIB KiB"

# --- 3. The rerun: nothing to renew, nothing sent ---------------------------------------------
before_orders=$(requests_to POST "$ORDER_PATH" "$LOG")
now_us_into t0
"$BIN" "${NIGHTLY[@]}" >"$WORK/rerun.json" 2>"$WORK/rerun.err" </dev/null \
    || { cat "$WORK/rerun.err" >&2; exit 1; }
now_us_into t1
RERUN_MS=$(ms_between "$t0" "$t1")
RERUN_ORDERS=$(($(requests_to POST "$ORDER_PATH" "$LOG") - before_orders))
log "3. the rerun: $RERUN_MS ms, $RERUN_ORDERS orders"

# --- Report --------------------------------------------------------------------------------
awk_calc() { awk "BEGIN { $1 }"; }
SCALED_MS=$(awk_calc "printf \"%.0f\", $LOOP_MS * $DUE / $LOOP")
RATIO=$(awk_calc "printf \"%.4f\", $NIGHTLY_MS / $SCALED_MS")
INVERSE=$(awk_calc "printf \"%.0f\", $SCALED_MS / $NIGHTLY_MS")
RTS=$(awk_calc "printf \"%d\", $NIGHTLY_MS / $LATENCY_MS + 0.5")
PAGE_RT=$(((NIGHTLY_PAGES + 5) / 6))
BUY_RT=$(((DUE + JOBS - 1) / JOBS))
RSS_MIB=$(awk_calc "printf \"%.1f\", $RSS_KIB / 1024")
verdict() { if awk -v v="$1" -v t="$2" 'BEGIN { exit !(v < t) }'; then echo met; else echo "**missed**"; fi; }

cat <<EOF
## Nightly renewal results

$(date -u +%Y-%m-%dT%H:%MZ) · $(nproc) CPU · $(uname -m) · linkus $("$BIN" --version | awk '{ print $2 }') (git $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src crates Cargo.toml Cargo.lock 2>/dev/null || echo ', uncommitted changes'))
FLEET=$FLEET, EXPIRING=$EXPIRING, LATENCY_MS=$LATENCY_MS (added by the sandbox before every answer), JOBS=$JOBS, LOOP=$LOOP; cached token; one run of each.

| Scenario | Requests sent | Wall ms | ≈ round trips (wall / latency) |
|---|---|---|---|
| \`linkus ${NIGHTLY[*]}\` ($DUE of $FLEET PBXs) | $NIGHTLY_REQS ($NIGHTLY_PAGES listing pages, $NIGHTLY_ORDERS orders) | $NIGHTLY_MS | $RTS (design: $PAGE_RT listing + ~2 check + $BUY_RT buy) |
| the same again (nothing to renew) | $RERUN_ORDERS orders | $RERUN_MS | |
| shell loop of $LOOP single \`linkus renew --sn … --yes\` | $LOOP_REQS | $LOOP_MS | |
| the loop scaled to $DUE PBXs | | $SCALED_MS | |

| Figure | Value | Target | |
|---|---|---|---|
| wall time, $DUE of $FLEET PBXs | $NIGHTLY_MS ms | < 45,000 ms | $(verdict "$NIGHTLY_MS" 45000) |
| nightly / shell loop of single renewals (scaled) | $RATIO (1/$INVERSE) | | |
| peak RSS | $RSS_KIB KiB ($RSS_MIB MiB) | < 50 MiB | $(verdict "$RSS_KIB" 51200) |

The run's tally line: \`$TALLY\` ($ALREADY already renewed).
Peak memory measured with: $RSS_TOOL.
EOF
