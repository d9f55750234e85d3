#!/usr/bin/env bash
# Checks the CloudFormation templates under infra/cloudformation/ without AWS:
#
#   1. cfn-lint (pinned with its dependencies in infra/cloudformation/requirements.txt, in a
#      venv under target/infra-tools/) on every template, informational checks included; the
#      regions each template is checked for are in its Metadata.cfn-lint.config. Must be clean:
#      no finding is ignored.
#   2. cfn-guard (3.1.1, the prebuilt binary inside the npm package pinned in
#      infra/guard/package-lock.json, installed under target/infra-tools/) with edgegate's own
#      rules, infra/guard/*.guard, proven both ways:
#        - every rule PASSES (not SKIPs) each real template named on its `# applies-to:` line,
#          and never FAILS a real template;
#        - every test template infra/guard/tests/<rule>.<case>.yaml FAILS <rule>;
#        - every rule applies to at least one real template and has at least one test.
#      Prints PASS/FAIL/SKIP per rule x template and exits non-zero on any unexpected result.
#
# Installs only what is missing or not at the pinned version. Needs python3 (with venv), node and
# npm. Usage: infra/check-templates.sh   (from anywhere; CARGO_TARGET_DIR is honoured)
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_DIR="$(cd "$INFRA_DIR/.." && pwd -P)"
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_DIR/target}"
TOOLS_DIR="$TARGET_DIR/infra-tools"
TEMPLATES_DIR="$INFRA_DIR/cloudformation"
GUARD_DIR="$INFRA_DIR/guard"
GUARD_TESTS_DIR="$GUARD_DIR/tests"
HOST_PYTHON="${EDGEGATE_HOST_PYTHON:-python3}"

CFN_LINT_REQUIREMENTS="$TEMPLATES_DIR/requirements.txt"
CFN_LINT_VERSION="$(sed -n 's/^cfn-lint==\([0-9.]*\)$/\1/p' "$CFN_LINT_REQUIREMENTS")"
CFN_LINT_VENV="$TOOLS_DIR/cfn-lint-$CFN_LINT_VERSION"
CFN_LINT="$CFN_LINT_VENV/bin/cfn-lint"
CFN_GUARD_VERSION="3.1.1"
CFN_GUARD_NPM_DIR="$TOOLS_DIR/cfn-guard-npm"

log() { printf '[check-templates] %s\n' "$*"; }
die() { printf '[check-templates] ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
elapsed() { local d=$(( $(now_ms) - $1 )); printf '%d.%03ds' $((d / 1000)) $((d % 1000)); }

T_START=$(now_ms)
[[ -n "$CFN_LINT_VERSION" ]] || die "no cfn-lint==X pin in $CFN_LINT_REQUIREMENTS"
mkdir -p "$TOOLS_DIR"

# --- install cfn-lint -------------------------------------------------------------------------
install_cfn_lint() {
    local t0 want have=""
    t0=$(now_ms)
    command -v "$HOST_PYTHON" >/dev/null || die "$HOST_PYTHON not found (Debian: apt-get install python3 python3-venv)"
    want=$({ sha256sum "$CFN_LINT_REQUIREMENTS" | cut -d' ' -f1; "$HOST_PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)
    [[ -f "$CFN_LINT_VENV/.edgegate-requirements.sha256" ]] && have=$(cat "$CFN_LINT_VENV/.edgegate-requirements.sha256")
    # (the dist-info folder names the installed version; `cfn-lint --version` takes seconds)
    if [[ -x "$CFN_LINT" && "$have" == "$want" ]] &&
        compgen -G "$CFN_LINT_VENV/lib/python3*/site-packages/cfn_lint-$CFN_LINT_VERSION.dist-info" >/dev/null; then
        log "cfn-lint $CFN_LINT_VERSION present ($CFN_LINT_VENV) [$(elapsed "$t0")]"
        return
    fi
    log "installing cfn-lint $CFN_LINT_VERSION into $CFN_LINT_VENV"
    rm -rf "$CFN_LINT_VENV"
    "$HOST_PYTHON" -m venv "$CFN_LINT_VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$CFN_LINT_VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q \
        -r "$CFN_LINT_REQUIREMENTS"
    [[ "$("$CFN_LINT" --version)" == "cfn-lint $CFN_LINT_VERSION" ]] || die "cfn-lint: unexpected version $("$CFN_LINT" --version)"
    echo "$want" > "$CFN_LINT_VENV/.edgegate-requirements.sha256"
    log "cfn-lint $CFN_LINT_VERSION installed [$(elapsed "$t0")]"
}

# --- install cfn-guard ------------------------------------------------------------------------
guard_binary_path() {
    local arch
    case "$(uname -m)" in
        x86_64 | amd64) arch=x86_64 ;;
        aarch64 | arm64) arch=aarch64 ;;
        *) die "no prebuilt cfn-guard for $(uname -m)" ;;
    esac
    case "$(uname -s)" in
        Linux) echo "$CFN_GUARD_NPM_DIR/node_modules/@cdklabs/cdk-validator-cfnguard/bin/ubuntu/$arch/cfn-guard" ;;
        Darwin) echo "$CFN_GUARD_NPM_DIR/node_modules/@cdklabs/cdk-validator-cfnguard/bin/macos/$arch/cfn-guard" ;;
        *) die "no prebuilt cfn-guard for $(uname -s)" ;;
    esac
}

install_cfn_guard() {
    local t0 want have=""
    t0=$(now_ms)
    CFN_GUARD=$(guard_binary_path)
    want=$(cat "$GUARD_DIR/package.json" "$GUARD_DIR/package-lock.json" | sha256sum | cut -d' ' -f1)
    [[ -f "$CFN_GUARD_NPM_DIR/.edgegate-lock.sha256" ]] && have=$(cat "$CFN_GUARD_NPM_DIR/.edgegate-lock.sha256")
    if [[ -x "$CFN_GUARD" && "$have" == "$want" ]] && [[ "$("$CFN_GUARD" --version 2>/dev/null)" == "cfn-guard $CFN_GUARD_VERSION" ]]; then
        log "cfn-guard $CFN_GUARD_VERSION present ($CFN_GUARD) [$(elapsed "$t0")]"
        return
    fi
    command -v npm >/dev/null || die "npm not found (Debian: apt-get install nodejs npm)"
    log "installing cfn-guard $CFN_GUARD_VERSION (npm ci of infra/guard/package-lock.json) into $CFN_GUARD_NPM_DIR"
    rm -rf "$CFN_GUARD_NPM_DIR"
    mkdir -p "$CFN_GUARD_NPM_DIR"
    cp "$GUARD_DIR/package.json" "$GUARD_DIR/package-lock.json" "$GUARD_DIR/.npmrc" "$CFN_GUARD_NPM_DIR/"
    (cd "$CFN_GUARD_NPM_DIR" && npm ci --legacy-peer-deps --ignore-scripts --no-audit --no-fund --loglevel=error)
    [[ -x "$CFN_GUARD" ]] || chmod +x "$CFN_GUARD" 2>/dev/null || die "cfn-guard binary missing at $CFN_GUARD"
    [[ "$("$CFN_GUARD" --version)" == "cfn-guard $CFN_GUARD_VERSION" ]] || die "cfn-guard: unexpected version $("$CFN_GUARD" --version)"
    echo "$want" > "$CFN_GUARD_NPM_DIR/.edgegate-lock.sha256"
    log "cfn-guard $CFN_GUARD_VERSION installed [$(elapsed "$t0")]"
}

t0=$(now_ms)
install_cfn_lint
install_cfn_guard
log "tools ready [$(elapsed "$t0")]"

shopt -s nullglob
TEMPLATES=("$TEMPLATES_DIR"/*.yaml)
RULE_FILES=("$GUARD_DIR"/*.guard)
TESTS=("$GUARD_TESTS_DIR"/*.yaml)
(( ${#TEMPLATES[@]} > 0 )) || die "no templates in $TEMPLATES_DIR"
(( ${#RULE_FILES[@]} > 0 )) || die "no rules in $GUARD_DIR"
FAILURES=0
fail() { printf '[check-templates] UNEXPECTED: %s\n' "$*"; FAILURES=$((FAILURES + 1)); }

# --- 1. cfn-lint ------------------------------------------------------------------------------
t0=$(now_ms)
log "cfn-lint $CFN_LINT_VERSION (informational checks included) on ${#TEMPLATES[@]} templates"
if "$CFN_LINT" --include-checks I -- "${TEMPLATES[@]}"; then
    for t in "${TEMPLATES[@]}"; do log "cfn-lint clean: ${t#"$REPO_DIR"/}"; done
else
    fail "cfn-lint reported the findings above"
fi
log "cfn-lint done [$(elapsed "$t0")]"

# --- 2. cfn-guard, proven both ways -----------------------------------------------------------
# Runs one or more rule files against one data file; prints "<rule> <STATUS>" lines. cfn-guard
# wants absolute paths; a parse error (or a rule missing from the summary) is an error.
guard_statuses() { # data_file rule_file...
    local data="$1" out
    shift
    local args=()
    for r in "$@"; do args+=(-r "$r"); done
    out=$("$CFN_GUARD" validate "${args[@]}" -d "$data" --show-summary all 2>&1) || true
    if grep -qiE 'parsing error|parser error|error parsing' <<<"$out"; then
        printf '%s\n' "$out" >&2
        die "cfn-guard could not parse a rule or $data"
    fi
    sed -n -E 's#^[^[:space:]]+\.guard/([A-Za-z0-9_]+)[[:space:]]+(PASS|FAIL|SKIP)$#\1 \2#p' <<<"$out"
}

t0=$(now_ms)
declare -A APPLIES=()    # rule -> " a.yaml b.yaml "
declare -A RESULT=()     # rule|template -> status
RULES=()
for rf in "${RULE_FILES[@]}"; do
    rule=$(basename "$rf" .guard)
    grep -qE "^rule[[:space:]]+$rule([[:space:]]|$)" "$rf" || die "$rf must define rule $rule (one rule per file, named like the file)"
    RULES+=("$rule")
    applies=$(sed -n 's/^# applies-to:[[:space:]]*//p' "$rf")
    [[ -n "$applies" ]] || fail "$rule: no '# applies-to:' line (a rule must apply to a real template)"
    APPLIES[$rule]=" $applies "
    for a in $applies; do
        [[ -f "$TEMPLATES_DIR/$a" ]] || fail "$rule: applies-to names $a, which is not a template"
    done
done

log "cfn-guard $CFN_GUARD_VERSION: ${#RULES[@]} rules x ${#TEMPLATES[@]} real templates"
for t in "${TEMPLATES[@]}"; do
    name=$(basename "$t")
    while read -r rule status; do
        [[ -n "$rule" ]] && RESULT["$rule|$name"]=$status
    done < <(guard_statuses "$t" "${RULE_FILES[@]}")
done

header=$(printf '%-42s' "rule \\ template")
for t in "${TEMPLATES[@]}"; do header+=$(printf ' %-15s' "$(basename "$t" .yaml)"); done
printf '%s\n' "$header"
for rule in "${RULES[@]}"; do
    line=$(printf '%-42s' "$rule")
    for t in "${TEMPLATES[@]}"; do
        name=$(basename "$t")
        status=${RESULT["$rule|$name"]:-MISSING}
        expected=any
        [[ "${APPLIES[$rule]}" == *" $name "* ]] && expected=PASS
        cell=$status
        if [[ "$status" == MISSING ]]; then
            fail "$rule on $name: no result from cfn-guard"
        elif [[ "$status" == FAIL ]]; then
            fail "$rule FAILS the real template $name"
        elif [[ "$expected" == PASS && "$status" != PASS ]]; then
            fail "$rule should PASS $name (applies-to) but was $status"
        fi
        [[ "$expected" == PASS ]] && cell+="*"
        line+=$(printf ' %-15s' "$cell")
    done
    printf '%s\n' "$line"
done
printf '(* = the rule applies to this template and must PASS it; elsewhere it must not FAIL)\n'

log "guard tests: each infra/guard/tests/<rule>.<case>.yaml must FAIL <rule>"
declare -A TESTED=()
for tt in "${TESTS[@]}"; do
    base=$(basename "$tt" .yaml)
    rule=${base%%.*}
    rf="$GUARD_DIR/$rule.guard"
    if [[ ! -f "$rf" ]]; then
        fail "tests/$base.yaml names no rule ($rule.guard missing)"
        continue
    fi
    status=$(guard_statuses "$tt" "$rf" | awk -v r="$rule" '$1 == r { print $2 }')
    printf '  %-4s %-42s tests/%s.yaml\n' "${status:-MISSING}" "$rule" "$base"
    if [[ "$status" == FAIL ]]; then
        TESTED[$rule]=1
    else
        fail "tests/$base.yaml should FAIL $rule but was ${status:-MISSING}"
    fi
done
for rule in "${RULES[@]}"; do
    [[ -n "${TESTED[$rule]:-}" ]] || fail "$rule has no failing test template in infra/guard/tests/"
done
log "cfn-guard done [$(elapsed "$t0")]"

if (( FAILURES > 0 )); then
    log "$FAILURES unexpected result(s) [total $(elapsed "$T_START")]"
    exit 1
fi
log "all templates lint clean; ${#RULES[@]} rules proven both ways with ${#TESTS[@]} failing tests [total $(elapsed "$T_START")]"
