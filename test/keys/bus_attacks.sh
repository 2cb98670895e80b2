# SPDX-License-Identifier: Apache-2.0
# An active attacker on the TPM bus: a proxy between tpmkit and swtpm
# (test/lib/tpm_proxy.py) that swaps the storage key for its own, plays
# the TPM to tpmkit while re-salting its own session to the real one,
# flips bits in chosen commands and responses. With tpm-identity pinned,
# the key swap is caught at the first command of every kind of operation,
# no salt goes to the attacker's key and no byte it chose is returned;
# unpinned, the full interposer succeeds (the negative control that shows
# what pinning is for). Tampered signing and HMAC traffic fails whatever
# the pin, and nothing is written.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import cryptography' 2>/dev/null \
    || { echo "# SKIP: /usr/bin/python3 with python3-cryptography missing"; exit 77; }
GENUINE=$TPMKIT_TCTI

# proxy MODE [ARGS...]: (re)start the proxy in MODE on free ports; tpmkit
# then talks to it ($TPMKIT_TCTI), the test's tpm2-tools to swtpm itself.
PROXY_PID=
proxy() {
    [ -z "$PROXY_PID" ] || { kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null || true; }
    start_proxy "$@"
    export TPMKIT_TCTI="swtpm:host=127.0.0.1,port=$PROXY_PORT"
}

echo "message" >"$T/msg"
head -c 10000 /dev/urandom >"$T/big"
genkey "$T/pw.pem" EC group:P-256 user-auth:bus-pw
genkey "$T/open.pem" EC group:P-256
genkey "$T/rsa.pem" RSA bits:2048
genkey "$T/hmac.pem" TPM2-HMAC digest:SHA256
run tk pkey -in "$T/pw.pem" -passin pass:bus-pw -pubout -out "$T/pw.pub"
assert_ok "pkey -pubout (password key)"
run tk pkey -in "$T/open.pem" -pubout -out "$T/open.pub"
assert_ok "pkey -pubout (password-less key)"
run tk pkey -in "$T/rsa.pem" -pubout -out "$T/rsa.pub"
assert_ok "pkey -pubout (RSA key)"
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/peer.key"
sw pkey -in "$T/peer.key" -pubout -out "$T/peer.pub"
echo "a secret for the TPM key" >"$T/plain"
sw pkeyutl -encrypt -pubin -inkey "$T/rsa.pub" -pkeyopt rsa_padding_mode:oaep \
    -in "$T/plain" -out "$T/cipher"
write_config "$T/openssl.cnf"
OPENSSL_CONF=$T/openssl.cnf run timeout -k 5 60 "$TK_STATUS" --pin
assert_ok "tpmkit-status --pin against the genuine TPM"
PIN=$(sed -n 's/^tpm-identity = //p' "$T/out")

# Each kind of operation: seeding, a raw draw, HMAC, decryption, ECDH, a
# signature by a password key.
ops() {
    case $1 in
    seed) OPENSSL_CONF=$T/openssl.cnf ossl rand -hex 16 ;;
    draw) OPENSSL_CONF=$T/openssl.cnf tkprog tk_rand seed-hex 32 ;;
    hmac) tk mac -macopt "key-uri:$T/hmac.pem" -macopt digest:SHA256 -in "$T/big" TPM2-HMAC ;;
    decrypt) tk pkeyutl -decrypt -inkey "$T/rsa.pem" -pkeyopt rsa_padding_mode:oaep -in "$T/cipher" ;;
    ecdh) tk pkeyutl -derive -inkey "$T/open.pem" -peerkey "$T/peer.pub" -hexdump ;;
    sign) tk dgst -sha256 -sign "$T/pw.pem" -passin pass:bus-pw -hex "$T/msg" ;;
    esac
}
OPS="seed draw hmac decrypt ecdh sign"

# --- control: an honest proxy changes nothing --------------------------------
proxy pass
for op in $OPS; do
    TPMKIT_TPM_IDENTITY=$PIN run ops "$op"
    assert_ok "honest proxy, pinned: $op works"
    [ "$op" != hmac ] || cp "$T/out" "$T/genuine.mac"
done

# --- the storage key swapped: caught by the pin, at the first command --------
proxy swap-srk
for op in $OPS; do
    PCAP=$T/swap-$op.pcap
    rm -f "$PCAP"
    TPMKIT_TPM_IDENTITY=$PIN run pcap ops "$op"
    assert_fails "swapped storage key, pinned: $op fails"
    assert_grep "swapped storage key, $op: says the TPM's identity could not be verified" \
        "identity could not be verified" "$T/err"
    [ ! -s "$T/out" ] || fail "swapped storage key, $op: printed output: $(head -c 200 "$T/out")"
    pass "swapped storage key, $op: nothing is output"
    capture_commands "$PCAP"
    assert_command_count "swapped storage key, $op: no session is salted to the attacker's key" \
        StartAuthSession 0
done
# The password never went anywhere (no session, so no HMAC with it either).
pw_hex=$(printf bus-pw | od -An -tx1 | tr -d ' \n')
if file_has_bytes "$PCAP" "$pw_hex"; then
    fail "swapped storage key: the password is in the capture"
fi
pass "swapped storage key: the password is not in the capture"
# srk-pem pins the same way.
make_srk_pem() {
    tpm2 createprimary -C o -G ecc256:null:aes128cfb -a "$SRK_ATTRS" -c "$T/srk.ctx" >/dev/null 2>&1 \
        && tpm2 readpublic -c "$T/srk.ctx" -f pem -o "$T/srk.pem" >/dev/null 2>&1
    tpm2 flushcontext -t >/dev/null 2>&1 || true
}
make_srk_pem || fail "the SRK's PEM with tpm2-tools"
TPMKIT_TPM_IDENTITY=srk-pem:$T/srk.pem run ops draw
assert_fails "swapped storage key, pinned by SRK PEM: a raw draw fails"
assert_grep "SRK PEM pin: says the identity could not be verified" \
    "identity could not be verified" "$T/err"

# tpm-identity kernel: the interposer swaps the null key too (it is made by
# TPM2_CreatePrimary like the storage key); the kernel's null_name, read
# from the (here: test-made) sysfs, gives it away.
tpm2 createprimary -C n -G ecc256:null:aes128cfb -a "$SRK_ATTRS" -c "$T/null.ctx" >/dev/null 2>&1 \
    && tpm2 readpublic -c "$T/null.ctx" -n "$T/null.name" >/dev/null 2>&1 \
    || fail "the null key's name with tpm2-tools"
tpm2 flushcontext -t >/dev/null 2>&1 || true
mkdir -p "$T/sys/class/tpm/tpm0"
od -An -v -tx1 "$T/null.name" | tr -d ' \n' >"$T/sys/class/tpm/tpm0/null_name"
TPMKIT_SYSFS=$T/sys TPMKIT_TPM_IDENTITY=kernel run ops draw
assert_fails "swapped null key, tpm-identity kernel: a raw draw fails"
assert_grep "kernel pin: says the identity could not be verified" \
    "identity could not be verified" "$T/err"
proxy pass
TPMKIT_SYSFS=$T/sys TPMKIT_TPM_IDENTITY=kernel run ops draw
assert_ok "honest proxy, tpm-identity kernel: a raw draw works"

# --- the full interposer: caught by the pin; unpinned it wins -----------------
proxy mitm-random
run ops draw
if [ "$RC" -eq 0 ] && grep -qi '^\(41\)\{32\}$' "$T/out"; then
    pass "unpinned (negative control): the interposer fed tpmkit its own bytes ($(cat "$T/out"))"
else
    echo "# the unpinned interposer did not get its bytes through (rc $RC): $(head -c 200 "$T/out" "$T/err" | tr '\n' ' ')"
fi
TPMKIT_TPM_IDENTITY=$PIN run ops draw
assert_fails "full interposer, pinned: the raw draw fails"
assert_grep "full interposer, pinned: says the identity could not be verified" \
    "identity could not be verified" "$T/err"
grep -qi '4141414141414141' "$T/out" && fail "full interposer, pinned: attacker bytes were returned"
pass "full interposer, pinned: no attacker byte returned"

# --- tampered signatures (a password-less key: no session at all) ------------
for mode in flip-cmd flip-rsp; do
    proxy "$mode" --match 0x15d
    rm -f "$T/sig"
    TPMKIT_TPM_IDENTITY=$PIN run tk dgst -sha256 -sign "$T/open.pem" -out "$T/sig" "$T/msg"
    assert_fails "$mode on TPM2_Sign: dgst -sign fails"
    # A changed response is caught by tpmkit's check of the signature; a
    # changed request here by the TPM (the flipped octet is a size field).
    [ "$mode" = flip-cmd ] || assert_grep "$mode on TPM2_Sign: says the signature does not verify" \
        "does not verify" "$T/err"
    [ ! -s "$T/sig" ] || fail "$mode on TPM2_Sign: a signature was written"
    pass "$mode on TPM2_Sign: nothing is written"
done

# --- tampered HMAC pieces ------------------------------------------------------
# SequenceUpdate's response has no parameters: garble its authorization.
for tamper in "flip-cmd 0x15c SequenceUpdate" "garbage-rsp 0x15c SequenceUpdate" \
              "flip-rsp 0x13e SequenceComplete" "flip-cmd 0x13e SequenceComplete"; do
    set -- $tamper
    proxy "$1" --match "$2"
    TPMKIT_TPM_IDENTITY=$PIN run ops hmac
    # Caught: either the call fails with no MAC, or (a garbled response
    # reads as a broken connection) tpmkit starts the whole sequence again
    # and returns the genuine MAC. Never another one.
    if [ "$RC" -eq 0 ]; then
        cmp -s "$T/out" "$T/genuine.mac" \
            || fail "$1 on $3: a wrong MAC was returned: $(cat "$T/out")"
        pass "$1 on TPM2_$3: recovered by a retry, the genuine MAC"
    else
        [ ! -s "$T/out" ] || fail "$1 on $3: a MAC was output with the failure"
        pass "$1 on TPM2_$3: openssl mac fails, no MAC is output"
    fi
done
proxy drop-rsp --match 0x15c
TPMKIT_TPM_IDENTITY=$PIN run ops hmac
if [ "$RC" -eq 0 ]; then
    cmp -s "$T/out" "$T/genuine.mac" || fail "withheld SequenceUpdate: a wrong MAC"
    pass "a withheld SequenceUpdate response: recovered, the genuine MAC"
else
    [ ! -s "$T/out" ] || fail "withheld SequenceUpdate: a MAC was output"
    pass "a withheld SequenceUpdate response: openssl mac fails, no MAC"
fi

kill "$PROXY_PID" 2>/dev/null || true
export TPMKIT_TCTI=$GENUINE
# Nothing is left behind by the garbled, withheld or tampered traffic: a
# connection given up on flushes what it held once it reconnects (the
# journal), and a later process flushes what a failed one could not.
OPENSSL_CONF=$T/openssl.cnf run ossl rand -hex 8
assert_ok "an honest client afterwards"
assert_no_tpm_leftovers
