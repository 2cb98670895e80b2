# SPDX-License-Identifier: Apache-2.0
# Fork: every process draws through its own TPM connection. Children must
# neither use nor flush the parent's handles, nor leave their own behind.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

# check_draws WHAT: all 6 processes' lines are there, with distinct bytes.
check_draws() {
    assert_eq "$1: parent, 4 children, parent again all drew" 6 "$(grep -c . "$T/out")"
    assert_eq "$1: no two processes got the same RAND_bytes" 6 \
        "$(cut -d' ' -f2 "$T/out" | sort -u | grep -c .)"
}

run tkprog tk_fork -s 4
assert_ok "4 children one after the other: all draws succeed"
check_draws "one after the other"
assert_no_tpm_leftovers "4 children one after the other"

# All children at once, with the parent's connection open: without a
# resource manager 5 processes share the TPM's 3 object and session slots.
run tkprog tk_fork 4
assert_ok "4 children at once: all draws succeed"
check_draws "at once"
assert_no_tpm_leftovers

# fork() while another thread waits on a TPM that does not answer: the
# fork returns at once (it never waits behind a TPM operation), the waiting
# operation completes once the TPM answers, the child uses its own
# connection.
run tkprog tk_forkbusy "$SWTPM_PID"
assert_ok "fork while a thread waits on a stopped TPM: fork does not wait, both processes work"
assert_grep "fork() did not wait for the busy thread" "did not wait" "$T/out"
assert_no_tpm_leftovers "fork while busy"

# A signal sent to the process never runs its handler on tpmkit's own
# thread (Apache's children exit from their SIGTERM handler: run on that
# thread too, it raced the main thread's teardown and crashed).
run tkprog tk_signals
assert_ok "a process-directed SIGTERM waits for the main thread, never runs on tpmkit's thread"
