#!/usr/bin/env bash
# Fuzz smoke: builds the libFuzzer drivers in tests/fuzz/libfuzzer with cargo-fuzz and runs
# every target for a few seconds from its committed seed corpus. A crash, a timeout or an
# out-of-memory stops the script with the target's name and the reproducer's path.
#
#   tests/fuzz/smoke.sh [seconds per target, default 10] [target ...]
#
# cargo-fuzz needs sanitizer flags that only nightly compilers accept; no nightly can be
# fetched here, so the pinned stable compiler is told to accept them (RUSTC_BOOTSTRAP=1, for
# this build only). New inputs found go to a scratch corpus under the target dir, never into
# the committed seeds: add a finding to tests/fuzz/regressions/<target>/ by hand, with its fix.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-10}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(gate_frame gate_event cookie_header cf_base64 policy_json jwt jwks der_key return_to config cidr page_template)
fi
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
tools="$target_dir/tools"
if ! "$tools/bin/cargo-fuzz" --version 2>/dev/null | grep -q '0\.13\.2'; then
  cargo install cargo-fuzz --locked --version 0.13.2 --root "$tools"
fi
export PATH="$tools/bin:$PATH" RUSTC_BOOTSTRAP=1
# Its own target dir: the sanitizer flags would otherwise invalidate the normal build.
export CARGO_TARGET_DIR="$target_dir/fuzz"
fuzz_dir=tests/fuzz/libfuzzer
# cargo-fuzz has no --locked: check the driver's lock file is current first.
if ! cargo metadata --locked --format-version 1 --manifest-path "$fuzz_dir/Cargo.toml" >/dev/null; then
  echo "fuzz smoke: $fuzz_dir/Cargo.lock is out of date; run" \
    "cargo update --workspace --manifest-path $fuzz_dir/Cargo.toml and commit it" >&2
  exit 1
fi
cargo fuzz build --fuzz-dir "$fuzz_dir"
scratch="$target_dir/fuzz-scratch"
for t in "${targets[@]}"; do
  mkdir -p "$scratch/corpus/$t" "$scratch/artifacts/$t"
  if ! cargo fuzz run --fuzz-dir "$fuzz_dir" "$t" "$scratch/corpus/$t" "tests/fuzz/corpus/$t" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$scratch/artifacts/$t/" > "$scratch/$t.log" 2>&1; then
    tail -n 40 "$scratch/$t.log" >&2
    echo "fuzz smoke: $t failed; reproducer(s) in $scratch/artifacts/$t/, log $scratch/$t.log" >&2
    exit 1
  fi
  echo "fuzz smoke: $t ok ($(grep -o 'Done [0-9]* runs in [0-9]* second' "$scratch/$t.log" | tail -n 1 | sed 's/Done //'))"
done
