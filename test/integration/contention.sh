# SPDX-License-Identifier: Apache-2.0
# Several processes share a TPM without a resource manager (3 object and 3
# session slots for all). Every draw succeeds (tpmkit waits for a slot) and
# no process leaves a session behind, even one that found the slots full
# when it wanted its parked session back.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

procs=8 draws=20
# The collisions are timing-dependent: several rounds make them likely.
for round in $(seq 1 8); do
    pids=()
    for p in $(seq 1 $procs); do
        # $draws draws each: every draw after the first takes the parked
        # session back from the TPM.
        tkprog tk_threads 1 $draws >"$T/p$p.out" 2>"$T/p$p.err" &
        pids+=("$!")
    done
    TK_BG_PIDS=("${pids[@]}")
    failed=
    for p in $(seq 1 $procs); do
        wait "${pids[p - 1]}" || failed="$failed $p"
    done
    if [ -n "$failed" ]; then
        echo "FAIL - round $round: $procs processes x $draws draws at once: processes$failed failed"
        tail -n 10 "$T/p${failed##* }.err" | sed 's/^/#   /'
        exit 1
    fi
    pass "round $round: $procs processes x $draws draws at once all succeed"
    assert_no_tpm_leftovers "round $round"
done
