# SPDX-License-Identifier: Apache-2.0
# Clients killed at any instant, and crowds, on a TPM without a resource
# manager (3 object slots, 64 session handles for everyone). A process
# killed while idle leaves its parked session, one killed mid-operation
# what it held then; the next tpmkit process flushes both (journal files
# in TPMKIT_RUNDIR), so nothing accumulates: after 70 kills in a row a new
# client works and the TPM holds nothing of theirs. A crowd of processes
# queues on the TPM's lock file and every one of them succeeds.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

# --- killed while idle, 70 times (more than the TPM's 64 session handles) --
for i in $(seq 1 70); do
    coproc ROUNDS { exec "$TK_PROGS/tk_rounds" 2>/dev/null; }
    answer=
    echo go >&"${ROUNDS[1]}"
    read -r -t 30 answer <&"${ROUNDS[0]}" || true
    [[ $answer == ok\ * ]] || fail "idle kill $i: the draw before the kill failed: '$answer'"
    if [ $((i % 2)) -eq 0 ]; then
        kill -KILL "$ROUNDS_PID"
    else
        kill -INT "$ROUNDS_PID"
    fi
    wait "$ROUNDS_PID" 2>/dev/null || true
done
pass "70 clients killed while idle (SIGKILL and SIGINT), each after a draw"
run ossl rand -hex 16
assert_ok "a new client works after 70 idle kills"
assert_no_tpm_leftovers "70 idle kills and one more client"

# --- killed mid-operation --------------------------------------------------
head -c $((10 * 1024 * 1024)) /dev/urandom >"$T/big"
OPENSSL_MODULES=$TK_MODULE_DIR ossl genpkey -provider tpmkit -provider default \
    -algorithm TPM2-HMAC -pkeyopt digest:SHA256 -out "$T/hmac.pem" >/dev/null 2>&1 \
    || fail "genpkey TPM2-HMAC"
OPENSSL_MODULES=$TK_MODULE_DIR ossl genpkey -provider tpmkit -provider default \
    -algorithm EC -pkeyopt group:P-256 -out "$T/ec.pem" >/dev/null 2>&1 \
    || fail "genpkey EC"
echo message >"$T/msg"
killmid() { # WHAT DELAY_MS CMD...: start CMD, kill it after DELAY_MS
    local what=$1 delay=$2
    shift 2
    "$@" >/dev/null 2>&1 &
    local pid=$!
    sleep "$(printf '0.%03d' "$delay")"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
for i in $(seq 1 24); do
    killmid "signing" $((i * 7 % 60 + 1)) env LD_PRELOAD="${TK_PRELOAD:-}" OPENSSL_MODULES="$TK_MODULE_DIR" \
        openssl dgst -provider tpmkit -provider default -sha256 -sign "$T/ec.pem" "$T/msg"
    killmid "10 MB HMAC" $((i * 13 % 90 + 5)) env LD_PRELOAD="${TK_PRELOAD:-}" OPENSSL_MODULES="$TK_MODULE_DIR" \
        openssl mac -provider tpmkit -provider default -macopt "key-uri:$T/hmac.pem" \
        -macopt digest:SHA256 -in "$T/big" TPM2-HMAC
done
for i in 1 2 3; do
    killmid "RSA-3072 genpkey" $((i * 150)) env LD_PRELOAD="${TK_PRELOAD:-}" OPENSSL_MODULES="$TK_MODULE_DIR" \
        openssl genpkey -provider tpmkit -provider default -algorithm RSA \
        -pkeyopt bits:3072 -out "$T/rsa$i.pem"
done
pass "51 clients killed mid-operation (signing, 10 MB HMAC, RSA-3072 genpkey)"
run ossl rand -hex 16
assert_ok "a new client works after the mid-operation kills"
assert_no_tpm_leftovers "mid-operation kills and one more client"

# --- a crowd: 32 processes x 5 operations, mixed, all at once ---------------
crowd() {
    local n=$1 k
    for k in 1 2 3 4 5; do
        case $(( (n + k) % 3 )) in
        0) OPENSSL_MODULES=$TK_MODULE_DIR ossl dgst -provider tpmkit -provider default \
               -sha256 -sign "$T/ec.pem" -out "$T/sig.$n.$k" "$T/msg" ;;
        1) OPENSSL_MODULES=$TK_MODULE_DIR ossl mac -provider tpmkit -provider default \
               -macopt "key-uri:$T/hmac.pem" -macopt digest:SHA256 -in "$T/msg" TPM2-HMAC \
               >/dev/null ;;
        2) ossl rand -hex 16 >/dev/null ;;
        esac || { echo "process $n operation $k failed" >>"$T/crowd.fail"; return 1; }
    done
}
rm -f "$T/crowd.fail"
pids=()
for n in $(seq 1 32); do
    crowd "$n" 2>>"$T/crowd.err" &
    pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do
    wait "$pid" || failed=$((failed + 1))
done
if [ "$failed" -ne 0 ]; then
    sed 's/^/#   /' "$T/crowd.fail" "$T/crowd.err" | head -20
    fail "a crowd of 32 processes x 5 operations: $failed processes failed"
fi
pass "a crowd of 32 processes x 5 mixed operations: every one succeeded"
assert_no_grep "the crowd: no 'bad TPM key' for a busy TPM" "bad TPM key" "$T/crowd.err"
assert_no_tpm_leftovers "the crowd"

# A killed client whose parent has not reaped it yet (a zombie, as a
# forking server's child is until its parent waits): it holds nothing, so
# the next process reclaims what it left although its pid still exists.
/usr/bin/perl -e '
    my $pidfile = shift @ARGV;
    pipe(my $r, my $w) or die;
    my $pid = fork // die;
    if ($pid == 0) { close $w; open(STDIN, "<&", $r) or die; exec @ARGV; die }
    close $r;
    open(my $p, ">", $pidfile) or die;
    print $p "$pid\n";
    close $p;
    syswrite $w, "go\n";
    sleep 60' -- "$T/zombie.pid" "$TK_PROGS/tk_rounds" >"$T/zombie.out" 2>"$T/zombie.err" &
zombie_parent=$!
TK_BG_PIDS+=("$zombie_parent")
wait_for "the zombie-to-be drew once" "$T/zombie.out" '^ok ' 30
zombie=$(cat "$T/zombie.pid")
kill -KILL "$zombie" 2>/dev/null || true
for _ in $(seq 1 100); do
    [ "$(awk '{print $3}' "/proc/$zombie/stat" 2>/dev/null)" = Z ] && break
    sleep 0.1
done
[ "$(awk '{print $3}' "/proc/$zombie/stat" 2>/dev/null)" = Z ] \
    || fail "the killed client did not stay a zombie"
run ossl rand -hex 16
assert_ok "a draw while a killed client is an unreaped zombie"
kill "$zombie_parent" 2>/dev/null || true
assert_no_tpm_leftovers "a zombie client"
