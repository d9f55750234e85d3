#!/usr/bin/env bash
# Test stand-ins for edgegate's end-to-end tests.
#
#   standins.sh install   create/refresh tests/standins/.venv (moto, boto3, botocore,
#                         cryptography, pinned in requirements.txt) and node_modules
#                         (@aws-sdk/cloudfront-signer, pinned in package-lock.json).
#                         Quick no-op when both are already up to date.
#   standins.sh start     start moto_server on 127.0.0.1:<free port> in the background,
#                         wait for GET /moto-api/ and write <state>/env.
#   standins.sh stop      stop exactly the PID(s) recorded by `start`.
#   standins.sh status    print what is recorded and whether it is alive.
#
# State dir: ${EDGEGATE_STANDINS_STATE:-<repo>/target/standins}
# `source <state>/env` afterwards gives EDGEGATE_MOTO_URL, EDGEGATE_PYTHON,
# EDGEGATE_NODE_MODULES and EDGEGATE_STANDINS_DIR.
set -euo pipefail

STANDINS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_DIR="$(cd "$STANDINS_DIR/../.." && pwd -P)"
STATE_DIR="${EDGEGATE_STANDINS_STATE:-$REPO_DIR/target/standins}"
VENV_DIR="$STANDINS_DIR/.venv"
VENV_PY="$VENV_DIR/bin/python"
VENV_STAMP="$VENV_DIR/.edgegate-requirements.sha256"
NODE_MODULES="$STANDINS_DIR/node_modules"
NODE_STAMP="$NODE_MODULES/.edgegate-lock.sha256"
READY_TIMEOUT_S="${EDGEGATE_STANDINS_READY_TIMEOUT:-60}"
HOST_PYTHON="${EDGEGATE_HOST_PYTHON:-python3}"

log() { printf '[standins] %s\n' "$*" >&2; }
die() { printf '[standins] ERROR: %s\n' "$*" >&2; exit 1; }

now_ms() { date +%s%3N; }
elapsed() { # start_ms -> "1.234s"
    local d=$(( $(now_ms) - $1 ))
    printf '%d.%03ds' $((d / 1000)) $((d % 1000))
}

# ---------------------------------------------------------------------------
# install
# ---------------------------------------------------------------------------
venv_fingerprint() {
    # requirements + the interpreter that builds the venv: a new Python means a new venv.
    {
        sha256sum "$STANDINS_DIR/requirements.txt" | cut -d' ' -f1
        "$HOST_PYTHON" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -d' ' -f1
}

install_python() {
    local t0 want have=""
    t0=$(now_ms)
    command -v "$HOST_PYTHON" >/dev/null || die "$HOST_PYTHON not found"
    want=$(venv_fingerprint)
    [[ -f "$VENV_STAMP" ]] && have=$(cat "$VENV_STAMP")
    if [[ -x "$VENV_PY" && "$have" == "$want" ]] && "$VENV_PY" -c 'import moto, boto3, botocore, cryptography' 2>/dev/null; then
        log "python venv up to date ($VENV_DIR) [$(elapsed "$t0")]"
        return
    fi
    log "creating python venv $VENV_DIR (requirements changed or venv missing)"
    rm -rf "$VENV_DIR"
    "$HOST_PYTHON" -m venv "$VENV_DIR"
    "$VENV_PY" -m pip install --disable-pip-version-check --no-input -q \
        -r "$STANDINS_DIR/requirements.txt"
    echo "$want" > "$VENV_STAMP"
    log "python venv installed: $("$VENV_PY" -c 'import moto, boto3, botocore, cryptography as c; print(f"moto {moto.__version__}, boto3 {boto3.__version__}, botocore {botocore.__version__}, cryptography {c.__version__}")') [$(elapsed "$t0")]"
}

install_node() {
    local t0 want have=""
    t0=$(now_ms)
    command -v node >/dev/null || die "node not found"
    command -v npm >/dev/null || die "npm not found"
    want=$(cat "$STANDINS_DIR/package.json" "$STANDINS_DIR/package-lock.json" | sha256sum | cut -d' ' -f1)
    [[ -f "$NODE_STAMP" ]] && have=$(cat "$NODE_STAMP")
    if [[ -d "$NODE_MODULES/@aws-sdk/cloudfront-signer" && "$have" == "$want" ]]; then
        log "node_modules up to date ($NODE_MODULES) [$(elapsed "$t0")]"
        return
    fi
    log "npm ci in $STANDINS_DIR (lock changed or node_modules missing)"
    (cd "$STANDINS_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2
    echo "$want" > "$NODE_STAMP"
    log "node_modules installed: @aws-sdk/cloudfront-signer $(node -p "require('$NODE_MODULES/@aws-sdk/cloudfront-signer/package.json').version") [$(elapsed "$t0")]"
}

cmd_install() {
    local t0
    t0=$(now_ms)
    install_python
    install_node
    log "install done [$(elapsed "$t0")]"
}

# ---------------------------------------------------------------------------
# start / stop
# ---------------------------------------------------------------------------
pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# True when PID is alive and is the moto_server we started (guards against PID reuse).
pid_is_moto() {
    local pid=$1
    pid_alive "$pid" || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 0  # no procfs: trust the record
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'moto_server'
}

free_port() {
    "$VENV_PY" - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

http_ok() { # url -> exit 0 when it answers 200
    "$VENV_PY" - "$1" <<'PY' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
}

write_env() {
    local url=$1 tmp="$STATE_DIR/env.tmp"
    {
        printf 'export EDGEGATE_MOTO_URL=%q\n' "$url"
        printf 'export EDGEGATE_PYTHON=%q\n' "$VENV_PY"
        printf 'export EDGEGATE_NODE_MODULES=%q\n' "$NODE_MODULES"
        printf 'export EDGEGATE_STANDINS_DIR=%q\n' "$STANDINS_DIR"
    } > "$tmp"
    mv "$tmp" "$STATE_DIR/env"
}

start_moto_once() { # -> 0 ready, 1 process died early (e.g. port taken), dies on timeout
    local port url pid t0 deadline
    port=$(free_port)
    url="http://127.0.0.1:$port"
    t0=$(now_ms)
    # The backgrounded command is exec'd directly, so $! is moto_server's own PID.
    nohup "$VENV_DIR/bin/moto_server" -H 127.0.0.1 -p "$port" \
        >"$STATE_DIR/moto.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" > "$STATE_DIR/moto.pid"
    echo "$url" > "$STATE_DIR/moto.url"
    deadline=$(( $(now_ms) + READY_TIMEOUT_S * 1000 ))
    while :; do
        if ! pid_alive "$pid"; then
            log "moto_server (pid $pid, port $port) exited before it was ready; log:"
            tail -n 20 "$STATE_DIR/moto.log" >&2 || true
            rm -f "$STATE_DIR/moto.pid" "$STATE_DIR/moto.url"
            return 1
        fi
        if http_ok "$url/moto-api/"; then
            break
        fi
        if (( $(now_ms) > deadline )); then
            log "moto_server (pid $pid) not ready at $url/moto-api/ after ${READY_TIMEOUT_S}s; log:"
            tail -n 40 "$STATE_DIR/moto.log" >&2 || true
            stop_pid "$pid" moto
            rm -f "$STATE_DIR/moto.pid" "$STATE_DIR/moto.url"
            die "moto_server did not become ready"
        fi
        sleep 0.1
    done
    write_env "$url"
    log "moto_server ready: pid $pid, $url [$(elapsed "$t0")]"
    return 0
}

cmd_start() {
    [[ -x "$VENV_DIR/bin/moto_server" ]] || die "no venv at $VENV_DIR: run '$0 install' first"
    [[ -d "$NODE_MODULES/@aws-sdk/cloudfront-signer" ]] || die "no node_modules at $NODE_MODULES: run '$0 install' first"
    mkdir -p "$STATE_DIR"
    if [[ -f "$STATE_DIR/moto.pid" ]]; then
        local old url
        old=$(cat "$STATE_DIR/moto.pid")
        url=$(cat "$STATE_DIR/moto.url" 2>/dev/null || true)
        if pid_is_moto "$old" && [[ -n "$url" ]] && http_ok "$url/moto-api/"; then
            write_env "$url"
            log "moto_server already running: pid $old, $url"
            echo "$STATE_DIR/env"
            return
        fi
        log "stale moto record (pid $old) - starting a new one"
        pid_is_moto "$old" && stop_pid "$old" moto
        rm -f "$STATE_DIR/moto.pid" "$STATE_DIR/moto.url"
    fi
    local attempt
    for attempt in 1 2 3; do
        if start_moto_once; then
            echo "$STATE_DIR/env"
            return
        fi
        log "retrying moto start (attempt $((attempt + 1)))"
    done
    die "moto_server failed to start 3 times"
}

stop_pid() { # pid name
    local pid=$1 name=$2 i
    pid_alive "$pid" || { log "$name (pid $pid) not running"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do  # up to 10 s
        pid_alive "$pid" || { log "stopped $name (pid $pid)"; return 0; }
        sleep 0.1
    done
    log "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        pid_alive "$pid" || { log "killed $name (pid $pid)"; return 0; }
        sleep 0.1
    done
    die "$name (pid $pid) is still alive"
}

cmd_stop() {
    local f pid name found=0
    [[ -d "$STATE_DIR" ]] || { log "nothing recorded in $STATE_DIR"; return 0; }
    shopt -s nullglob
    for f in "$STATE_DIR"/*.pid; do
        found=1
        name=$(basename "$f" .pid)
        pid=$(cat "$f")
        if [[ "$pid" =~ ^[0-9]+$ ]]; then
            if [[ "$name" == moto ]] && pid_alive "$pid" && ! pid_is_moto "$pid"; then
                log "pid $pid is no longer moto_server (reused): not touching it"
            else
                stop_pid "$pid" "$name"
            fi
        else
            log "ignoring malformed pid file $f"
        fi
        rm -f "$f" "$STATE_DIR/$name.url"
    done
    rm -f "$STATE_DIR/env"
    (( found )) || log "nothing recorded in $STATE_DIR"
}

cmd_status() {
    local f pid
    echo "state dir: $STATE_DIR"
    shopt -s nullglob
    for f in "$STATE_DIR"/*.pid; do
        pid=$(cat "$f")
        if pid_alive "$pid"; then state=alive; else state=dead; fi
        echo "$(basename "$f" .pid): pid $pid ($state) $(cat "${f%.pid}.url" 2>/dev/null || true)"
    done
    [[ -f "$STATE_DIR/env" ]] && cat "$STATE_DIR/env"
    return 0
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
