#!/usr/bin/env bash
# Test stand-ins for edgegate's end-to-end tests.
#
#   standins.sh install   create/refresh tests/standins/.venv (moto, boto3, botocore,
#                         cryptography, pinned in requirements.txt) and node_modules
#                         (@aws-sdk/cloudfront-signer, pinned in package-lock.json).
#                         Quick no-op when both are already up to date.
#                         node_modules also holds cognito-local 5.3.0 (Hosted UI stand-in)
#                         and playwright-core (drives Debian's chromium in tests/browser);
#                         `apt-get install chromium` / `musl-tools` / `minisign` when
#                         /usr/bin/chromium, /usr/bin/musl-gcc or /usr/bin/minisign is missing
#                         (root or sudo; minisign: the reference verifier of release
#                         signatures, tests/tests/minisign.rs).
#                         Also (publisher tests, benchmark): awscli into the same venv
#                         (pinned in requirements.txt) and s3s-fs 0.14.1 into
#                         <repo>/target/tools (`cargo install --locked`, ~5 min on 2 cores,
#                         only when missing at that version).
#   standins.sh start     start moto_server on 127.0.0.1:<free port> in the background,
#                         wait for GET /moto-api/; start s3s-fs on 127.0.0.1:<free port> with
#                         a fresh data dir and fixed test credentials, wait until it answers;
#                         write <state>/env. Also cognito-local on 127.0.0.1:<free port>,
#                         run from a fresh <state>/cognito-local (real-form `iss`), ready on
#                         GET /health.
#   standins.sh stop      stop exactly the PID(s) recorded by `start`.
#   standins.sh status    print what is recorded and whether it is alive.
#
# State dir: ${EDGEGATE_STANDINS_STATE:-<repo>/target/standins}
# `source <state>/env` afterwards gives EDGEGATE_MOTO_URL, EDGEGATE_PYTHON,
# EDGEGATE_NODE_MODULES, EDGEGATE_STANDINS_DIR, EDGEGATE_S3S_URL, EDGEGATE_S3S_ACCESS_KEY,
# EDGEGATE_S3S_SECRET_KEY, EDGEGATE_S3S_DATA and EDGEGATE_S3S_BIN, EDGEGATE_COGNITO_LOCAL_URL
# and EDGEGATE_CHROMIUM.
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
TOOLS_DIR="$REPO_DIR/target/tools"
S3S_VERSION="0.14.1"
S3S_BIN="$TOOLS_DIR/bin/s3s-fs"
# Fixed, test-only credentials of the local s3s-fs (it checks SigV4 against them).
S3S_ACCESS_KEY="edgegate-test-access-key"
S3S_SECRET_KEY="edgegate-test-secret-key-not-a-real-one"
HOST_PYTHON="${EDGEGATE_HOST_PYTHON:-python3}"
# Browser sign-in tests: cognito-local (npm, pinned in package-lock.json) and Debian's chromium.
COGNITO_LOCAL_JS="$NODE_MODULES/cognito-local/lib/bin/start.js"
CHROMIUM_BIN="/usr/bin/chromium"

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
    if [[ -x "$VENV_PY" && "$have" == "$want" ]] && "$VENV_PY" -c 'import moto, boto3, botocore, cryptography, awscli' 2>/dev/null; then
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
    if [[ -d "$NODE_MODULES/@aws-sdk/cloudfront-signer" && -f "$COGNITO_LOCAL_JS" \
        && -d "$NODE_MODULES/playwright-core" && "$have" == "$want" ]]; then
        log "node_modules up to date ($NODE_MODULES) [$(elapsed "$t0")]"
        return
    fi
    log "npm ci in $STANDINS_DIR (lock changed or node_modules missing)"
    (cd "$STANDINS_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2
    echo "$want" > "$NODE_STAMP"
    log "node_modules installed: @aws-sdk/cloudfront-signer $(node -p "require('$NODE_MODULES/@aws-sdk/cloudfront-signer/package.json').version"), cognito-local $(node -p "require('$NODE_MODULES/cognito-local/package.json').version"), playwright-core $(node -p "require('$NODE_MODULES/playwright-core/package.json').version") [$(elapsed "$t0")]"
}

# A Debian package, only when the binary it provides is missing (needs root, or sudo).
# chromium: the browser tests (playwright-core drives it; `npx playwright install` cannot
# download a browser here). musl-tools: `musl-gcc`, which the origin auth function's static
# build for provided.al2023 needs (ring compiles C).
install_debian_package() {
    local package="$1" binary="$2" t0 t1
    t0=$(now_ms)
    if [[ -x "$binary" ]]; then
        log "$package present: $binary [$(elapsed "$t0")]"
        return
    fi
    command -v apt-get >/dev/null || die "$binary missing and no apt-get: install Debian's $package"
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null || die "$binary missing: installing $package needs root (apt-get)"
        sudo=(sudo)
    fi
    log "installing Debian $package (apt-get update + install)"
    t1=$(now_ms)
    local aptlog="$TOOLS_DIR/apt-$package.log"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$aptlog" 2>&1 \
        || { tail -n 30 "$aptlog" >&2; die "apt-get update failed (log: $aptlog)"; }
    log "apt-get update [$(elapsed "$t1")]"
    t1=$(now_ms)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "$package" >>"$aptlog" 2>&1 \
        || { tail -n 30 "$aptlog" >&2; die "apt-get install $package failed (log: $aptlog)"; }
    log "apt-get install $package [$(elapsed "$t1")] (log: $aptlog)"
    [[ -x "$binary" ]] || die "apt-get install $package did not provide $binary"
    log "$package installed [$(elapsed "$t0")]"
}

install_s3s() {
    local t0
    t0=$(now_ms)
    if [[ -x "$S3S_BIN" ]] && [[ "$("$S3S_BIN" --version 2>/dev/null)" == "s3s-fs $S3S_VERSION" ]]; then
        log "s3s-fs $S3S_VERSION up to date ($S3S_BIN) [$(elapsed "$t0")]"
        return
    fi
    command -v cargo >/dev/null || die "cargo not found (needed to build s3s-fs)"
    log "building s3s-fs $S3S_VERSION into $TOOLS_DIR (cargo install --locked; ~5 min on 2 cores)"
    # Its own temporary build dir (deleted afterwards), not the workspace's target/.
    (cd "$TOOLS_DIR/.." && env -u CARGO_TARGET_DIR cargo install "s3s-fs@$S3S_VERSION" \
        --features binary --locked --root "$TOOLS_DIR" --quiet) >&2
    [[ "$("$S3S_BIN" --version 2>/dev/null)" == "s3s-fs $S3S_VERSION" ]] \
        || die "s3s-fs $S3S_VERSION not at $S3S_BIN after cargo install"
    log "s3s-fs $S3S_VERSION installed [$(elapsed "$t0")]"
}

cmd_install() {
    local t0
    t0=$(now_ms)
    mkdir -p "$TOOLS_DIR"
    install_python
    install_node
    install_debian_package chromium "$CHROMIUM_BIN"
    install_debian_package musl-tools /usr/bin/musl-gcc
    install_debian_package minisign /usr/bin/minisign
    install_s3s
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

# Same for s3s-fs.
pid_is_s3s() {
    local pid=$1
    pid_alive "$pid" || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 0
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 's3s-fs'
}

# Same for cognito-local (node .../cognito-local/lib/bin/start.js).
pid_is_cognito() {
    local pid=$1
    pid_alive "$pid" || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 0
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'cognito-local'
}

# pid_is <name> <pid>: the check for a recorded name.
pid_is() {
    case "$1" in
        moto) pid_is_moto "$2" ;;
        s3s) pid_is_s3s "$2" ;;
        cognito) pid_is_cognito "$2" ;;
        *) pid_alive "$2" ;;
    esac
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

http_up() { # url -> exit 0 when anything answers HTTP (s3s-fs answers 403 without a signature)
    "$VENV_PY" - "$1" <<'PY' >/dev/null 2>&1
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass
PY
}

write_env() {
    local url=$1 tmp="$STATE_DIR/env.tmp"
    {
        printf 'export EDGEGATE_MOTO_URL=%q\n' "$url"
        printf 'export EDGEGATE_PYTHON=%q\n' "$VENV_PY"
        printf 'export EDGEGATE_NODE_MODULES=%q\n' "$NODE_MODULES"
        printf 'export EDGEGATE_STANDINS_DIR=%q\n' "$STANDINS_DIR"
        if [[ -f "$STATE_DIR/s3s.url" ]]; then
            printf 'export EDGEGATE_S3S_URL=%q\n' "$(cat "$STATE_DIR/s3s.url")"
            printf 'export EDGEGATE_S3S_ACCESS_KEY=%q\n' "$S3S_ACCESS_KEY"
            printf 'export EDGEGATE_S3S_SECRET_KEY=%q\n' "$S3S_SECRET_KEY"
            printf 'export EDGEGATE_S3S_DATA=%q\n' "$STATE_DIR/s3s-data"
            printf 'export EDGEGATE_S3S_BIN=%q\n' "$S3S_BIN"
        fi
        if [[ -f "$STATE_DIR/cognito.url" ]]; then
            printf 'export EDGEGATE_COGNITO_LOCAL_URL=%q\n' "$(cat "$STATE_DIR/cognito.url")"
        fi
        printf 'export EDGEGATE_CHROMIUM=%q\n' "$CHROMIUM_BIN"
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

start_s3s_once() { # -> 0 ready, 1 died early (e.g. port taken); dies on timeout
    local port url pid t0 deadline data="$STATE_DIR/s3s-data"
    port=$(free_port)
    url="http://127.0.0.1:$port"
    t0=$(now_ms)
    rm -rf "$data"
    mkdir -p "$data"
    nohup "$S3S_BIN" --host 127.0.0.1 --port "$port" \
        --access-key "$S3S_ACCESS_KEY" --secret-key "$S3S_SECRET_KEY" "$data" \
        >"$STATE_DIR/s3s.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" > "$STATE_DIR/s3s.pid"
    echo "$url" > "$STATE_DIR/s3s.url"
    deadline=$(( $(now_ms) + READY_TIMEOUT_S * 1000 ))
    while :; do
        if ! pid_alive "$pid"; then
            log "s3s-fs (pid $pid, port $port) exited before it was ready; log:"
            tail -n 20 "$STATE_DIR/s3s.log" >&2 || true
            rm -f "$STATE_DIR/s3s.pid" "$STATE_DIR/s3s.url"
            return 1
        fi
        if http_up "$url/"; then
            break
        fi
        if (( $(now_ms) > deadline )); then
            log "s3s-fs (pid $pid) not answering at $url after ${READY_TIMEOUT_S}s; log:"
            tail -n 40 "$STATE_DIR/s3s.log" >&2 || true
            stop_pid "$pid" s3s
            rm -f "$STATE_DIR/s3s.pid" "$STATE_DIR/s3s.url"
            die "s3s-fs did not become ready"
        fi
        sleep 0.05
    done
    log "s3s-fs ready: pid $pid, $url, data $data [$(elapsed "$t0")]"
    return 0
}

ensure_s3s() {
    [[ -x "$S3S_BIN" ]] || die "no s3s-fs at $S3S_BIN: run '$0 install' first"
    if [[ -f "$STATE_DIR/s3s.pid" ]]; then
        local old url
        old=$(cat "$STATE_DIR/s3s.pid")
        url=$(cat "$STATE_DIR/s3s.url" 2>/dev/null || true)
        if pid_is_s3s "$old" && [[ -n "$url" ]] && http_up "$url/"; then
            log "s3s-fs already running: pid $old, $url"
            return
        fi
        log "stale s3s-fs record (pid $old) - starting a new one"
        pid_is_s3s "$old" && stop_pid "$old" s3s
        rm -f "$STATE_DIR/s3s.pid" "$STATE_DIR/s3s.url"
    fi
    local attempt
    for attempt in 1 2 3; do
        start_s3s_once && return
        log "retrying s3s-fs start (attempt $((attempt + 1)))"
    done
    die "s3s-fs failed to start 3 times"
}

ensure_moto() {
    if [[ -f "$STATE_DIR/moto.pid" ]]; then
        local old url
        old=$(cat "$STATE_DIR/moto.pid")
        url=$(cat "$STATE_DIR/moto.url" 2>/dev/null || true)
        if pid_is_moto "$old" && [[ -n "$url" ]] && http_ok "$url/moto-api/"; then
            write_env "$url"
            log "moto_server already running: pid $old, $url"
            return
        fi
        log "stale moto record (pid $old) - starting a new one"
        pid_is_moto "$old" && stop_pid "$old" moto
        rm -f "$STATE_DIR/moto.pid" "$STATE_DIR/moto.url"
    fi
    local attempt
    for attempt in 1 2 3; do
        start_moto_once && return
        log "retrying moto start (attempt $((attempt + 1)))"
    done
    die "moto_server failed to start 3 times"
}

# cognito-local keeps its state in ./.cognito of its working directory: a fresh one per start,
# with a real-form issuer. cognito-local names its pools local_<id> (region "local"), so the
# issuer domain is the one of region "local": iss = https://cognito-idp.local.amazonaws.com/
# local_<id>, the form edgegate derives from [cognito] region = "local" and that pool id.
start_cognito_once() { # -> 0 ready, 1 died early (e.g. port taken); dies on timeout
    local port url pid t0 deadline dir="$STATE_DIR/cognito-local"
    port=$(free_port)
    url="http://127.0.0.1:$port"
    t0=$(now_ms)
    rm -rf "$dir"
    mkdir -p "$dir/.cognito"
    printf '%s\n' '{"TokenConfig":{"IssuerDomain":"https://cognito-idp.local.amazonaws.com"}}' \
        > "$dir/.cognito/config.json"
    # nohup and env exec in place, so $! is node's own PID.
    nohup env -C "$dir" HOST=127.0.0.1 PORT="$port" node "$COGNITO_LOCAL_JS" \
        >"$STATE_DIR/cognito.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" > "$STATE_DIR/cognito.pid"
    echo "$url" > "$STATE_DIR/cognito.url"
    deadline=$(( $(now_ms) + READY_TIMEOUT_S * 1000 ))
    while :; do
        if ! pid_alive "$pid"; then
            log "cognito-local (pid $pid, port $port) exited before it was ready; log:"
            tail -n 20 "$STATE_DIR/cognito.log" >&2 || true
            rm -f "$STATE_DIR/cognito.pid" "$STATE_DIR/cognito.url"
            return 1
        fi
        if http_ok "$url/health"; then
            break
        fi
        if (( $(now_ms) > deadline )); then
            log "cognito-local (pid $pid) not ready at $url/health after ${READY_TIMEOUT_S}s; log:"
            tail -n 40 "$STATE_DIR/cognito.log" >&2 || true
            stop_pid "$pid" cognito
            rm -f "$STATE_DIR/cognito.pid" "$STATE_DIR/cognito.url"
            die "cognito-local did not become ready"
        fi
        sleep 0.1
    done
    log "cognito-local ready: pid $pid, $url, state $dir [$(elapsed "$t0")]"
    return 0
}

ensure_cognito() {
    [[ -f "$COGNITO_LOCAL_JS" ]] || die "no cognito-local at $COGNITO_LOCAL_JS: run '$0 install' first"
    if [[ -f "$STATE_DIR/cognito.pid" ]]; then
        local old url
        old=$(cat "$STATE_DIR/cognito.pid")
        url=$(cat "$STATE_DIR/cognito.url" 2>/dev/null || true)
        if pid_is_cognito "$old" && [[ -n "$url" ]] && http_ok "$url/health"; then
            log "cognito-local already running: pid $old, $url"
            return
        fi
        log "stale cognito-local record (pid $old) - starting a new one"
        pid_is_cognito "$old" && stop_pid "$old" cognito
        rm -f "$STATE_DIR/cognito.pid" "$STATE_DIR/cognito.url"
    fi
    local attempt
    for attempt in 1 2 3; do
        start_cognito_once && return
        log "retrying cognito-local start (attempt $((attempt + 1)))"
    done
    die "cognito-local failed to start 3 times"
}

cmd_start() {
    [[ -x "$VENV_DIR/bin/moto_server" ]] || die "no venv at $VENV_DIR: run '$0 install' first"
    [[ -d "$NODE_MODULES/@aws-sdk/cloudfront-signer" ]] || die "no node_modules at $NODE_MODULES: run '$0 install' first"
    [[ -x "$S3S_BIN" ]] || die "no s3s-fs at $S3S_BIN: run '$0 install' first"
    mkdir -p "$STATE_DIR"
    ensure_s3s
    ensure_cognito
    ensure_moto
    write_env "$(cat "$STATE_DIR/moto.url")"
    echo "$STATE_DIR/env"
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
            if pid_alive "$pid" && ! pid_is "$name" "$pid"; then
                log "pid $pid is no longer $name (reused): not touching it"
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
