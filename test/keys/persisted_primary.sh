# SPDX-License-Identifier: Apache-2.0
# The storage primary persisted at 0x81000001 (as systemd and the TCG
# provisioning guidance set machines up) is used, with no TPM2_CreatePrimary
# per process, when it is exactly the standard primary a key file's parent
# 0x40000001 means; a different key there is neither a parent nor a salt
# key. Counted with the pcap TCTI. Also: the settings storage-primary and
# timeouts, and a slow (not hung) command that outlasts the quick limit.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

PCAP=$T/cap.pcap
echo "message" >"$T/msg"

# sequence CMD...: run CMD with its TPM traffic alone in $PCAP; the TPM
# commands it sent, space-separated, in $SEQ.
sequence() {
    rm -f "$PCAP"
    run pcap "$@"
    capture_commands "$PCAP"
    SEQ=$(tr '\n' ' ' <"$T/commands")
    SEQ=${SEQ% }
}

persist() { # persist HANDLE: the context in $T/p.ctx at HANDLE
    tools evictcontrol -C o -c "$T/p.ctx" "$1"
}
evict() {
    tools evictcontrol -C o -c "$1"
}

genkey "$T/k.pem" EC group:P-256
pubout "$T/k.pem" "$T/k.pub"

sequence tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
assert_ok "no persisted primary: dgst -sign"
assert_command_count "no persisted primary: one CreatePrimary" CreatePrimary 1
# A one-shot process saves nothing it would only need for a next operation:
# the minimal Load, Sign and two flushes, plus the journal's ReadClock and
# the look at 0x81000001.
assert_eq "no persisted primary: ReadClock ReadPublic CreatePrimary Load Sign FlushContext FlushContext" \
    "ReadClock ReadPublic CreatePrimary Load Sign FlushContext FlushContext" "$SEQ"
assert_no_tpm_leftovers "no persisted primary: one-shot dgst -sign"

# The standard primary, persisted.
tools createprimary -C o -G ecc256:null:aes128cfb -a "$SRK_ATTRS" -c "$T/p.ctx"
persist 0x81000001
sequence tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
assert_ok "persisted: the first process signs"
assert_command_count "persisted: the first process checks it with one CreatePrimary" CreatePrimary 1
ls "$TPMKIT_RUNDIR"/*.srk-81000001.* >/dev/null 2>&1 || fail "no note of the check in $TPMKIT_RUNDIR"
pass "the check is noted in the run directory"
sequence tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
assert_ok "persisted: the next process signs"
assert_eq "persisted, no resource manager: ReadClock ReadPublic Load Sign FlushContext" \
    "ReadClock ReadPublic Load Sign FlushContext" "$SEQ"
run sw dgst -sha256 -verify "$T/k.pub" -signature "$T/sig" "$T/msg"
assert_ok "the signature verifies in software"

# A key made now (under the persisted primary) is a child of the standard
# primary: it works once the persisted copy is gone.
sequence tk genpkey -algorithm EC -pkeyopt group:P-256 -out "$T/k2.pem"
assert_ok "genpkey under the persisted primary"
assert_command_count "genpkey: no CreatePrimary" CreatePrimary 0
pubout "$T/k2.pem" "$T/k2.pub"

# A seeded draw salts its session to the persisted primary.
write_config "$T/openssl.cnf"
OPENSSL_CONF=$T/openssl.cnf sequence ossl rand -hex 32
assert_ok "openssl rand seeded from the TPM"
assert_command_count "openssl rand: no CreatePrimary" CreatePrimary 0
assert_command_count "openssl rand: one GetRandom" GetRandom 1
# Salted to the persisted primary, the session ends with the operation's
# last command (a new one costs one command, as a saved one would to load):
# the TPM ends it, so no FlushContext follows and nothing is left.
OPENSSL_CONF=$T/openssl.cnf sequence ossl rand -hex 32
assert_eq "openssl rand: ReadClock ReadPublic StartAuthSession GetRandom" \
    "ReadClock ReadPublic StartAuthSession GetRandom" "$SEQ"
assert_no_tpm_leftovers "openssl rand ended its session"
# The same for a MAC: its one TPM2_HMAC ends the session.
genkey "$T/hmac.pem" TPM2-HMAC digest:SHA256
sequence tk mac -digest SHA256 -macopt "key-uri:$T/hmac.pem" -in "$T/msg" TPM2-HMAC
assert_ok "openssl mac with a TPM2-HMAC key"
assert_eq "openssl mac: ReadClock ReadPublic StartAuthSession Load HMAC FlushContext" \
    "ReadClock ReadPublic StartAuthSession Load HMAC FlushContext" "$SEQ"
assert_no_tpm_leftovers "openssl mac ended its session"

# A note that others could have written is not believed.
note=$(ls "$TPMKIT_RUNDIR"/*.srk-81000001.*)
chmod 666 "$note"
sequence tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
assert_ok "a writable note: dgst -sign"
assert_command_count "a writable note is ignored: checked again" CreatePrimary 1

# storage-primary = none, and another handle.
TPMKIT_STORAGE_PRIMARY=none sequence tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
assert_ok "storage-primary none: dgst -sign"
assert_command_count "storage-primary none: CreatePrimary" CreatePrimary 1
evict 0x81000001
persist 0x81000002
TPMKIT_STORAGE_PRIMARY=0x81000002 run tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
TPMKIT_STORAGE_PRIMARY=0x81000002 sequence tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
assert_ok "storage-primary 0x81000002: dgst -sign"
assert_command_count "storage-primary 0x81000002: no CreatePrimary" CreatePrimary 0
evict 0x81000002
sign_verify "the key made under the persisted primary, with none persisted" "$T/k2.pem" "$T/k2.pub"

# Keys at 0x81000001 that are not the standard primary: the same template
# with another unique field (another key), and an RSA storage key.
# (tpm2-tools read a TPMS_ECC_POINT with little-endian sizes: 32, then x,
# 32, then y.)
{ printf '\040\000'; printf 'A%.0s' $(seq 32); printf '\040\000'; printf 'A%.0s' $(seq 32); } >"$T/unique"
tools createprimary -C o -G ecc256:null:aes128cfb -a "$SRK_ATTRS" -u "$T/unique" -c "$T/p.ctx"
persist 0x81000001
for round in 1 2; do
    sequence tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
    assert_ok "another ECC key at 0x81000001 (process $round): dgst -sign"
    assert_command_count "another ECC key (process $round): not used, CreatePrimary" CreatePrimary 1
done
sequence tk genpkey -algorithm EC -pkeyopt group:P-256 -out "$T/k3.pem"
assert_ok "genpkey with another ECC key at 0x81000001"
evict 0x81000001
pubout "$T/k3.pem" "$T/k3.pub"
sign_verify "that key's parent is the standard primary" "$T/k3.pem" "$T/k3.pub"
tools createprimary -C o -G rsa2048:null:aes128cfb -a "$SRK_ATTRS" -c "$T/p.ctx"
persist 0x81000001
TPMKIT_DEBUG=1 sequence tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
assert_ok "an RSA key at 0x81000001: dgst -sign"
assert_command_count "an RSA key at 0x81000001: not used, CreatePrimary" CreatePrimary 1
assert_grep "the debug trace says why" "is not the standard storage primary" "$T/err"
evict 0x81000001

# Through a resource manager (tpm2-abrmd): no ReadClock, and with the
# persisted primary an operation on a key is its one command plus the
# key's Load and, at exit, its flush.
if command -v tpm2-abrmd >/dev/null && command -v dbus-daemon >/dev/null; then
    . "$TK_SOURCE_DIR/test/lib/tabrmd.sh"
    tools createprimary -C o -G ecc256:null:aes128cfb -a "$SRK_ATTRS" -c "$T/p.ctx"
    persist 0x81000001
    tabrmd_start
    TPMKIT_TCTI=$TABRMD_TCTI run tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
    assert_ok "through tpm2-abrmd: the first process signs"
    TPMKIT_TCTI=$TABRMD_TCTI sequence tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
    assert_ok "through tpm2-abrmd: the next process signs"
    assert_eq "through tpm2-abrmd: ReadPublic Load Sign FlushContext" \
        "ReadPublic Load Sign FlushContext" "$SEQ"
    # The first operation's last command ends the session: tpm2-abrmd has
    # nothing to save and tpmkit nothing to flush at exit.
    TPMKIT_TCTI=$TABRMD_TCTI OPENSSL_CONF=$T/openssl.cnf sequence ossl rand -hex 32
    assert_ok "through tpm2-abrmd: openssl rand"
    assert_eq "through tpm2-abrmd: ReadPublic StartAuthSession GetRandom" \
        "ReadPublic StartAuthSession GetRandom" "$SEQ"
    tabrmd_stop
    evict 0x81000001
else
    echo "# tpm2-abrmd or dbus-daemon missing: resource-manager case skipped"
fi

# Bad values fail every TPM use, naming the setting.
TPMKIT_STORAGE_PRIMARY=0x80000001 run tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
assert_fails "storage-primary 0x80000001 is refused"
assert_grep "the error names storage-primary" "storage-primary: \"0x80000001\"" "$T/err"
for bad in quick:0 slow:5 quick:5,crypto crypto:99999; do
    TPMKIT_TIMEOUTS=$bad run tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
    assert_fails "timeouts $bad is refused"
    assert_grep "the error names timeouts ($bad)" "timeouts: \"$bad\"" "$T/err"
done

# A slow chip is not a hung one: a Sign held 7 s outlasts the quick limit
# (5 s) but not the crypto one; with crypto:2 the same Sign is cut.
PROXY=$TK_SOURCE_DIR/test/lib/tpm_proxy.py
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import cryptography' 2>/dev/null; then
    start_proxy slow-rsp --match 15d --nth 0 --delay 7
    proxy_pid=$PROXY_PID port=$PROXY_PORT
    slow="swtpm:host=127.0.0.1,port=$port"
    TPMKIT_TCTI=$slow run tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
    assert_ok "a Sign that takes 7 s completes (crypto limit 30 s)"
    TPMKIT_TCTI=$slow TPMKIT_TIMEOUTS=crypto:2 run tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
    assert_fails "with timeouts crypto:2 the 7 s Sign is cut"
    assert_grep "and the error says the TPM did not answer in time" "did not answer in time" "$T/err"
    # The proxy still holds a Sign of the cut process's retry: end it. The
    # next process on that TCTI (journal.h keys the TPM by its TCTI) flushes
    # what the cut one left.
    kill "$proxy_pid"
    wait "$proxy_pid" 2>/dev/null || true
    rm -f "$T/proxy.ready"
    /usr/bin/python3 "$PROXY" --listen "$port" --tpm "$SWTPM_PORT" --mode pass \
        --ready "$T/proxy.ready" 2>"$T/proxy.err" &
    TK_BG_PIDS+=("$!")
    wait_for "proxy ready (pass, same port)" "$T/proxy.ready" . 30
    TPMKIT_TCTI=$slow run tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
    assert_ok "the next process on that TCTI signs"
else
    echo "# /usr/bin/python3 with python3-cryptography missing: slow-chip case skipped"
fi
run tk dgst -sha256 -sign "$T/k.pem" -out "$T/sig" "$T/msg"
assert_ok "the TPM works afterwards"
assert_no_tpm_leftovers
