# shellcheck shell=bash
# Shared by the benchmark scripts (sourced, not run): the release build, an environment that
# nothing of the caller's can leak into, a microsecond clock, and sandbox servers that are
# stopped on exit.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   bench_init NAME      # cd to the repository, build, make $WORK, export the environment
#   serve ARGS...        # `linkus sandbox serve --port 0 ARGS...` in the background
#   stop_server PID

log() { printf 'bench: %s\n' "$*" >&2; }

SERVER_PIDS=()

stop_server() { # PID
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -INT "$pid" 2>/dev/null || true
    # Bounded wait for a clean stop, then force it.
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
    local status=$? pid
    for pid in "${SERVER_PIDS[@]}"; do stop_server "$pid"; done
    rm -rf "$WORK"
    exit "$status"
}

# bench_init NAME: builds the release binary (sets REPO and BIN) and makes the throw-away
# folder $WORK, removed on exit, into which every folder linkus uses points.
bench_init() {
    cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
    REPO=$PWD

    log "building the release binary (cargo build --release --locked)…"
    cargo build --release --locked >&2
    BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/linkus
    [[ -x $BIN ]] || { log "no binary at $BIN"; exit 1; }

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/linkus-bench-$1.XXXXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    mkdir -p "$WORK/home" "$WORK/config" "$WORK/cache" "$WORK/data" "$WORK/locks"
    export HOME=$WORK/home
    export LINKUS_CONFIG_DIR=$WORK/config
    export LINKUS_CACHE_DIR=$WORK/cache
    export LINKUS_DATA_DIR=$WORK/data
    # The lock folder is per user and independent of HOME: without this the runs would lock
    # (and leave records) in the caller's own.
    export LINKUS_LOCK_DIR=$WORK/locks
    export XDG_CONFIG_HOME=$WORK/home/.config XDG_CACHE_HOME=$WORK/home/.cache XDG_DATA_HOME=$WORK/home/.local/share
    export NO_COLOR=1
    # Nothing from the caller's environment may change what linkus does.
    unset CI LINKUS_PROFILE LINKUS_BASE_URL LINKUS_SANDBOX LINKUS_OUTPUT LINKUS_NO_INPUT \
        LINKUS_TIMEOUT LINKUS_CLIENT_ID LINKUS_CLIENT_SECRET LINKUS_RETRY_BASE_MS \
        LINKUS_RETRY_MAX_MS LINKUS_MAX_TOTAL LINKUS_CAPTURE \
        http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
    export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
}

# Microseconds since the epoch. $EPOCHREALTIME (bash 5) costs no fork; date +%s%N otherwise.
if [[ -n ${EPOCHREALTIME:-} ]]; then
    now_us_into() { printf -v "$1" '%s' "${EPOCHREALTIME/[.,]/}"; }
else
    now_us_into() { printf -v "$1" '%s' "$(($(date +%s%N) / 1000))"; }
fi

# serve NAME DATA_DIR ARGS...: `linkus sandbox serve --port 0 ARGS...` in the background with
# DATA_DIR as its state folder, stdout in $WORK/NAME.out and its request log in $WORK/NAME.log;
# waits for the URL it prints and sets SERVED_URL, SERVED_PID and SERVED_LOG.
serve() {
    local name=$1 data=$2
    shift 2
    local out=$WORK/$name.out
    SERVED_LOG=$WORK/$name.log
    SERVED_URL=""
    LINKUS_DATA_DIR=$data "$BIN" sandbox serve --port 0 "$@" >"$out" 2>"$SERVED_LOG" </dev/null &
    SERVED_PID=$!
    SERVER_PIDS+=("$SERVED_PID")
    for _ in $(seq 1 100); do
        if [[ -s $out ]]; then
            IFS= read -r SERVED_URL <"$out" || true
            [[ -n $SERVED_URL ]] && break
        fi
        kill -0 "$SERVED_PID" 2>/dev/null || { log "the sandbox server exited:"; cat "$SERVED_LOG" >&2; exit 1; }
        sleep 0.1
    done
    if ! [[ $SERVED_URL =~ ^http://127\.0\.0\.1:[0-9]+$ ]]; then
        log "expected http://127.0.0.1:PORT on the server's first stdout line, got '$SERVED_URL'"
        cat "$SERVED_LOG" >&2
        exit 1
    fi
}
