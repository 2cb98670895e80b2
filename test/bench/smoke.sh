# SPDX-License-Identifier: Apache-2.0
# The benchmark builds and runs: one round of two iterations per cell
# against a private swtpm prints a complete table -- every cell a figure or
# an explicit n/a with its reason -- and leaves nothing in the TPM. Speed
# is never judged here.
. "$TK_SOURCE_DIR/test/lib/common.sh"

: "${TK_BENCH_PROG:?}"
export TPM2OPENSSL_TCTI=$TPMKIT_TCTI
mkdir "$T/keys"
run env OPENSSL_MODULES="$TK_MODULE_DIR" TK_BENCH_PRELOAD="${TK_PRELOAD:-}" \
    timeout -k 5 120 "$TK_SOURCE_DIR/bench/make-keys.sh" "$T/keys"
assert_ok "make-keys.sh makes the bench keys"
hmac=$(sed -n 's/^hmac: //p' "$T/out")
echo "# TPM2-HMAC key: $hmac"

run timeout -k 5 240 "$TK_BENCH_PROG" --keys "$T/keys" --module-dir "$TK_MODULE_DIR" \
    --rounds 1 --iterations 2
assert_ok "tpmkit-bench runs"
cp "$T/out" "$T/table"
sed 's/^/#   /' "$T/table"

# Rows: 21 operations and 4 first-use costs (keep in step with bench/main.c).
# A row ends with: unit, baseline, tpmkit, tpm2-openssl, tk/base, tk/t2o.
awk 'NF >= 6 && $(NF-5) ~ /^(op\/s|hs\/s|ms)$/' "$T/table" >"$T/rows"
assert_eq "the table has every row" 25 "$(wc -l <"$T/rows")"

cell='^([0-9.]+/[0-9.]+/[0-9.]+|n/a\[[0-9]+\])$'
bad=$(awk -v re="$cell" '!($(NF-4) ~ re && $(NF-3) ~ re && $(NF-2) ~ re)' "$T/rows")
[ -z "$bad" ] || fail "every cell is min/median/max or n/a[N]; these rows are not: $bad"
pass "every cell is min/median/max or n/a[N]"

for n in $(grep -o 'n/a\[[0-9]*\]' "$T/rows" | sort -u | tr -dc '0-9\n'); do
    grep -Eq "^  n/a\[$n\] [^ ]" "$T/table" || fail "n/a[$n] has no reason in the notes"
done
pass "every n/a has its reason"

# The baseline and tpmkit columns have figures wherever they apply: an n/a
# there means the bench or tpmkit is broken, not that a TPM was slow.
if [ "$hmac" = yes ]; then
    tk_rows=$(cat "$T/rows")
else
    tk_rows=$(grep -v -e 'HMAC' -e 'PSK' "$T/rows")
fi
bad=$(awk '$(NF-4) ~ /^n\/a/ || $(NF-3) ~ /^n\/a/' <<<"$tk_rows" | grep -v 'storage primary' || true)
[ -z "$bad" ] || fail "baseline and tpmkit columns have figures; n/a in: $bad"
pass "baseline and tpmkit columns have figures"

assert_grep "the targets are reported" '^targets ' "$T/table"
assert_no_tpm_leftovers "the bench"
