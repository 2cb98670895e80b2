# SPDX-License-Identifier: Apache-2.0
# The chip model runs: bench/run.sh --model ptt with one iteration per cell
# on a few rows and one cold-start round prints the per-command table (TPM
# commands and modelled TPM time per operation) and the cold-start table
# with figures in every counted cell. Speed is never judged here.
. "$TK_SOURCE_DIR/test/lib/common.sh"

# bench/run.sh runs its own openssl commands (making the keys) without the
# sanitizer runtime preloaded, which an instrumented tpmkit.so needs; the
# bench program itself runs under the sanitizers in bench_smoke.
if [ "${TK_SANITIZED:-0}" = 1 ]; then
    echo "# SKIP: bench/run.sh does not preload the sanitizer runtime"
    exit 77
fi

: "${TK_BENCH_PROG:?}"
rows=rand32-clear,sign-ecdsa,hmac64
run env TK_BENCH_PROG="$TK_BENCH_PROG" TK_MODULE_DIR="$TK_MODULE_DIR" \
    timeout -k 5 150 "$TK_SOURCE_DIR/bench/run.sh" --model ptt --only "$rows" \
    --rounds 1 --iterations 1 --cold-rounds 1
assert_ok "bench/run.sh --model ptt runs"
cp "$T/out" "$T/table"
sed 's/^/#   /' "$T/table"

assert_grep "the run names its chip model" '^chip model: ptt ' "$T/table"
assert_grep "the per-command table has its columns" \
    '^operation +column +cmds/op +TPM ms/op +commands per operation$' "$T/table"
# Each measured row has a line per column with commands, modelled time and
# the commands by name: "NAME COUNT, ...".
sed -n '/^TPM commands per operation/,/^$/p' "$T/table" >"$T/cmds"
for col in baseline tpmkit; do
    n=$(grep -Ec "(^| )$col +[0-9.]+ +[0-9.]+  [A-Za-z_]+ [0-9.]+" "$T/cmds" || true)
    assert_eq "3 rows have $col commands per operation" 3 "$n"
done
grep -A2 '^DigestSign ECDSA' "$T/cmds" | grep -Eq '^ +tpmkit .* Sign [0-9]' \
    || fail "tpmkit's ECDSA row names the TPM2_Sign"
pass "tpmkit's ECDSA row names the TPM2_Sign"
zero=$(grep -E ' (baseline|tpmkit|tpm2-openssl) +[0-9.]+ +0(\.0+)?  ' "$T/cmds" || true)
[ -z "$zero" ] || fail "every counted cell has a modelled TPM time; zero in: $zero"
pass "every counted cell has a modelled TPM time"

# Cold start: every row, both primaries; tpmkit's cells are counted.
sed -n '/^cold start:/,/^$/p' "$T/table" >"$T/cold"
n=$(grep -Ec ' tpmkit +[0-9.]+/[0-9.]+/[0-9.]+ +[0-9]+ +[0-9.]+  [A-Za-z]' "$T/cold" || true)
assert_eq "the cold-start table has 12 counted tpmkit cells" 12 "$n"
assert_grep "the one-time check of the persisted primary is counted apart" \
    'checks it once per user and TPM: [0-9.]+ commands, [0-9.]+ TPM ms \(.*CreatePrimary' "$T/table"
assert_grep "the cold-start targets are reported" '^cold-start targets' "$T/table"
for n in $(grep -o 'n/a\[[0-9]*\]' "$T/cold" | sort -u | tr -dc '0-9\n'); do
    grep -Eq "^  n/a\[$n\] [^ ]" "$T/table" || fail "cold n/a[$n] has no reason"
done
pass "every cold-start n/a has its reason"
