#!/usr/bin/env bash
# Publish benchmark (issue 5): `edgegate publish` vs `aws s3 sync` (the awscli pinned in the
# stand-ins venv) to the same s3s-fs (real SigV4), one after the other in one run: wall time and
# peak RSS (`/usr/bin/time -v`), printed side by side.
#
#   tests/bench/publish_bench.sh            # 200 files / ~500 MiB (mixed sizes), plus an
#                                           # edgegate run on one 1 GiB file (memory check)
#   tests/bench/publish_bench.sh --quick    # CI smoke: 20 files / ~20 MiB, no memory check
#
# Needs: `tests/standins/standins.sh install` (s3s-fs in target/tools, awscli in the venv) and an
# edgegate binary: $EDGEGATE_BIN, default target/release/edgegate (built here if missing).
# Everything lives under target/bench-publish (tree, s3s-fs data); the s3s-fs it starts is its
# own (127.0.0.1, free port) and exactly that PID is stopped on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
WORK="$REPO/target/bench-publish"
S3S_BIN="${EDGEGATE_S3S_BIN:-$REPO/target/tools/bin/s3s-fs}"
VENV_BIN="$REPO/tests/standins/.venv/bin"
AWS_CLI="$VENV_BIN/aws"
CONCURRENCY="${BENCH_CONCURRENCY:-10}"   # awscli's default max_concurrent_requests
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1

log() { printf '[publish-bench] %s\n' "$*" >&2; }
die() { printf '[publish-bench] ERROR: %s\n' "$*" >&2; exit 1; }

[[ -x "$S3S_BIN" ]] || die "no s3s-fs at $S3S_BIN: run tests/standins/standins.sh install"
[[ -x "$AWS_CLI" ]] || die "no aws CLI at $AWS_CLI: run tests/standins/standins.sh install"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is needed for peak RSS"

if [[ -z "${EDGEGATE_BIN:-}" ]]; then
    # The figures are for the release binary; the quick smoke only checks that it all runs.
    if (( QUICK )); then PROFILE=debug; else PROFILE=release; fi
    EDGEGATE_BIN="${CARGO_TARGET_DIR:-$REPO/target}/$PROFILE/edgegate"
    if [[ ! -x "$EDGEGATE_BIN" ]]; then
        log "building the $PROFILE edgegate binary"
        if [[ "$PROFILE" == release ]]; then
            (cd "$REPO" && cargo build --release --locked -p edgegate-cli --bin edgegate) >&2
        else
            (cd "$REPO" && cargo build --locked -p edgegate-cli --bin edgegate) >&2
        fi
    fi
fi
[[ -x "$EDGEGATE_BIN" ]] || die "no edgegate binary at $EDGEGATE_BIN"

mkdir -p "$WORK"

# ---------------------------------------------------------------------------------------------
# The tree: 200 files / ~500 MiB (4 x 64 MiB, 16 x 8 MiB, 60 x 1.5 MiB, 120 x 200 KiB) of random
# bytes, kept between runs (a stamp names the layout).
# ---------------------------------------------------------------------------------------------
make_tree() { # dir layout-lines...   each line: "count size_bytes prefix"
    local dir=$1; shift
    local stamp="$dir.layout"
    local want
    want=$(printf '%s\n' "$@")
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return
    fi
    log "creating $dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    local line count size prefix i
    for line in "$@"; do
        read -r count size prefix <<<"$line"
        mkdir -p "$dir/$prefix"
        for ((i = 0; i < count; i++)); do
            head -c "$size" /dev/urandom > "$dir/$prefix/file-$i.bin"
        done
    done
    echo "$want" > "$stamp"
}

if (( QUICK )); then
    TREE="$WORK/tree-quick"
    make_tree "$TREE" "2 8388608 large" "18 524288 small"
else
    TREE="$WORK/tree"
    make_tree "$TREE" "4 67108864 huge" "16 8388608 large" "60 1572864 medium" "120 204800 small"
fi
FILES=$(find "$TREE" -type f -name '*.bin' | wc -l)
BYTES=$(find "$TREE" -type f -name '*.bin' -printf '%s\n' | awk '{s += $1} END {print s}')

# ---------------------------------------------------------------------------------------------
# Our own s3s-fs with a fresh data dir.
# ---------------------------------------------------------------------------------------------
DATA="$WORK/s3s-data"
rm -rf "$DATA"
mkdir -p "$DATA"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AK="bench-access-key"
SK="bench-secret-key-not-a-real-one"
"$S3S_BIN" --host 127.0.0.1 --port "$PORT" --access-key "$AK" --secret-key "$SK" "$DATA" \
    >"$WORK/s3s.log" 2>&1 </dev/null &
S3S_PID=$!
cleanup() {
    if kill -0 "$S3S_PID" 2>/dev/null; then
        kill "$S3S_PID" 2>/dev/null || true
        wait "$S3S_PID" 2>/dev/null || true
    fi
    rm -rf "$DATA"
}
trap cleanup EXIT
ENDPOINT="http://127.0.0.1:$PORT"
for ((i = 0; i < 200; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$S3S_PID" 2>/dev/null || die "s3s-fs exited: $(tail -5 "$WORK/s3s.log")"
    sleep 0.05
done

# Clean AWS environment: only these credentials, no profiles, no IMDS.
aws_env=(env -u AWS_PROFILE -u AWS_CA_BUNDLE -u AWS_ENDPOINT_URL -u AWS_SESSION_TOKEN
    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_REGION=us-east-1
    AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
    AWS_EC2_METADATA_DISABLED=true)
for b in bench-edgegate bench-awscli bench-memory; do
    "${aws_env[@]}" "$AWS_CLI" --endpoint-url "$ENDPOINT" s3api create-bucket --bucket "$b" >/dev/null
done

# Warm the page cache equally for both tools.
cat "$TREE"/*/*.bin > /dev/null

# measure NAME -- command...: runs it under /usr/bin/time -v, prints "wall_s rss_kib".
measure() {
    local name=$1; shift; shift
    local tv="$WORK/$name.time" out="$WORK/$name.out"
    if ! /usr/bin/time -v -o "$tv" "$@" >"$out" 2>&1; then
        cat "$out" >&2
        die "$name failed"
    fi
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tv" |
        awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
    RESULT_WALL=$wall
    RESULT_RSS=$rss
}

log "tree: $FILES files, $BYTES bytes; s3s-fs pid $S3S_PID at $ENDPOINT; concurrency $CONCURRENCY"
log "edgegate publish ..."
measure edgegate -- "${aws_env[@]}" "$EDGEGATE_BIN" publish "$TREE" \
    --release bench --bucket bench-edgegate --endpoint-url "$ENDPOINT" \
    --concurrency "$CONCURRENCY" --output json
EG_WALL=$RESULT_WALL EG_RSS=$RESULT_RSS
log "aws s3 sync ..."
measure awscli -- "${aws_env[@]}" "$AWS_CLI" --endpoint-url "$ENDPOINT" \
    s3 sync "$TREE" s3://bench-awscli/releases/bench/ --no-progress --only-show-errors
AWS_WALL=$RESULT_WALL AWS_RSS=$RESULT_RSS

# Both uploaded every file.
eg_count=$(find "$DATA/bench-edgegate/releases/bench" -type f -name '*.bin' | wc -l)
aws_count=$(find "$DATA/bench-awscli/releases/bench" -type f -name '*.bin' | wc -l)
[[ "$eg_count" == "$FILES" && "$aws_count" == "$FILES" ]] \
    || die "object counts: edgegate $eg_count, awscli $aws_count, expected $FILES"

MEM_LINE=""
if (( ! QUICK )); then
    BIG="$WORK/tree-one-gib"
    make_tree "$BIG" "1 1073741824 one"
    cat "$BIG"/one/*.bin > /dev/null
    log "edgegate publish, one 1 GiB file (memory check) ..."
    measure edgegate-1gib -- "${aws_env[@]}" "$EDGEGATE_BIN" publish "$BIG" \
        --release bench --bucket bench-memory --endpoint-url "$ENDPOINT" \
        --concurrency "$CONCURRENCY" --output json
    BIG_WALL=$RESULT_WALL BIG_RSS=$RESULT_RSS
    MEM_LINE=$(awk -v w="$BIG_WALL" -v r="$BIG_RSS" -v b=1073741824 \
        'BEGIN { printf "%-26s %10.2f %14.1f %12.1f\n", "edgegate (1 x 1 GiB)", w, r/1024, b/1048576/w }')
fi

echo
echo "publish to s3s-fs 0.14.1 ($ENDPOINT): $FILES files, $(awk -v b="$BYTES" 'BEGIN {printf "%.1f", b/1048576}') MiB, concurrency $CONCURRENCY"
printf '%-26s %10s %14s %12s\n' "tool" "wall s" "peak RSS MiB" "MiB/s"
awk -v w="$EG_WALL" -v r="$EG_RSS" -v b="$BYTES" \
    'BEGIN { printf "%-26s %10.2f %14.1f %12.1f\n", "edgegate publish", w, r/1024, b/1048576/w }'
awk -v w="$AWS_WALL" -v r="$AWS_RSS" -v b="$BYTES" \
    'BEGIN { printf "%-26s %10.2f %14.1f %12.1f\n", "aws s3 sync (awscli)", w, r/1024, b/1048576/w }'
[[ -n "$MEM_LINE" ]] && printf '%s\n' "$MEM_LINE"
echo "edgegate: $EDGEGATE_BIN; awscli: $("$AWS_CLI" --version 2>&1)"
