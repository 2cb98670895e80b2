# SPDX-License-Identifier: Apache-2.0
# Sourced by the issue-3 key tests (test/keys): common.sh (strict mode,
# scratch dir $T, a private swtpm) plus helpers for TPM key files.
. "$TK_SOURCE_DIR/test/lib/common.sh"

# tk SUBCMD ARGS...: openssl SUBCMD with tpmkit loaded first, then default.
tk() {
    OPENSSL_MODULES=$TK_MODULE_DIR ossl "$1" -provider tpmkit -provider default "${@:2}"
}

# tk_rev SUBCMD ARGS...: the other provider order (default first).
tk_rev() {
    OPENSSL_MODULES=$TK_MODULE_DIR ossl "$1" -provider default -provider tpmkit "${@:2}"
}

# sw SUBCMD ARGS...: the default provider alone (no configuration, no
# tpmkit): the independent verifier.
sw() {
    OPENSSL_CONF=/dev/null ossl "$@"
}

# genkey FILE ALG [PKEYOPT...]: a TPM key file made by tpmkit, checked.
genkey() {
    local file=$1 alg=$2 opt
    local -a opts=()
    shift 2
    for opt in "$@"; do
        opts+=(-pkeyopt "$opt")
    done
    run tk genpkey -algorithm "$alg" "${opts[@]}" -out "$file"
    assert_ok "genpkey $alg $* -> $(basename "$file")"
    assert_grep "$(basename "$file") is a TSS2 key file" \
        '^-----BEGIN TSS2 PRIVATE KEY-----$' "$file"
}

# pubout KEY PUB: the public half of a TPM key, as a standard PEM file.
pubout() {
    run tk pkey -in "$1" -pubout -out "$2"
    assert_ok "pkey -pubout $(basename "$1")"
    assert_grep "$(basename "$2") is a public key" '^-----BEGIN PUBLIC KEY-----$' "$2"
}

# tools_cleanup: tpm2-tools leave transient objects and sessions behind.
tools_cleanup() {
    tpm2 flushcontext -t >/dev/null 2>&1 || true
    tpm2 flushcontext -l >/dev/null 2>&1 || true
    tpm2 flushcontext -s >/dev/null 2>&1 || true
}

# assert_no_host_hashing WHAT: the last capture_commands saw no TPM hashing
# (TPM2_Hash or a hash sequence): the digest is computed in software.
assert_no_host_hashing() {
    local cc
    for cc in Hash HashSequenceStart SequenceUpdate SequenceComplete EventSequenceComplete; do
        assert_command_count "$1: no TPM2_$cc" "$cc" 0 >/dev/null
    done
    pass "$1: no TPM2_Hash or hash sequence"
}

# lockout_counter: TPM2_PT_LOCKOUT_COUNTER of the TPM, as a decimal number.
lockout_counter() {
    local v
    v=$(tpm2 getcap properties-variable \
        | sed -n 's/^TPM2_PT_LOCKOUT_COUNTER: *\(0x[0-9a-fA-F]*\).*/\1/p') \
        || { echo "FAIL - tpm2_getcap properties-variable failed" >&2; exit 1; }
    [ -n "$v" ] || { echo "FAIL - cannot read TPM2_PT_LOCKOUT_COUNTER" >&2; exit 1; }
    echo $((v))
}

# start_server LOG CMD...: CMD (an s_server command line, e.g. tk s_server
# -key K -cert C -rev) in the background with "-accept 127.0.0.1:PORT"
# appended, output in LOG and LOG.err; waits until it accepts connections.
# Sets SERVER_PID and SERVER_PORT.
start_server() {
    local log=$1
    shift
    SERVER_PORT=$(free_port)
    # A previous server's log still says ACCEPT until the new one truncates
    # it: remove it first, or a busy machine lets the client in too early.
    rm -f "$log" "$log.err"
    "$@" -accept "127.0.0.1:$SERVER_PORT" >"$log" 2>"$log.err" </dev/null &
    SERVER_PID=$!
    TK_BG_PIDS+=("$SERVER_PID")
    wait_for "s_server listens on $SERVER_PORT" "$log" '^ACCEPT' 30
}

# wait_server WHAT: the server started by start_server exits 0 by itself
# (s_server -naccept N after its N connections) within 30 s.
wait_server() {
    local i
    for i in $(seq 1 300); do
        _swtpm_alive "$SERVER_PID" || break
        sleep 0.1
    done
    RC=0
    if _swtpm_alive "$SERVER_PID"; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        fail "$1: s_server still running 30 s after its last connection"
    fi
    wait "$SERVER_PID" || RC=$?
    if [ "$RC" -ne 0 ]; then
        echo "FAIL - $1: s_server exited with status $RC"
        tail -n 20 "$T/server.out.err" 2>/dev/null | sed 's/^/#   /'
        exit 1
    fi
    pass "$1: s_server exits 0"
}

# pcap CMD...: run CMD with its TPM traffic appended to the capture $PCAP
# (the pcap TCTI appends: one file can hold many processes' traffic).
pcap() {
    TCTI_PCAP_FILE=$PCAP TPMKIT_TCTI="pcap:$TPMKIT_TCTI" "$@"
}

# tls_client WHAT PORT CAFILE PROTO [S_CLIENT ARGS...]: a stock s_client
# (default provider only, no tpmkit) connects to 127.0.0.1:PORT with PROTO
# (-tls1_3 / -tls1_2), verifies the server against CAFILE, sends a line to
# an `s_server -rev` and reads it back reversed. Asserts all of it.
tls_client() {
    local what=$1 port=$2 ca=$3 proto=$4 v
    shift 4
    run sw s_client -connect "127.0.0.1:$port" "$proto" "$@" -CAfile "$ca" \
        -verify_return_error -brief -ign_eof < <(printf 'hello tpm\nCLOSE\n')
    assert_ok "$what: handshake"
    v=${proto#-tls}; v=${v/_/.}
    assert_grep "$what: protocol TLSv$v" "^Protocol version: TLSv${v//./\\.}\$" "$T/err"
    assert_grep "$what: server certificate verifies" '^Verification: OK$' "$T/err"
    assert_grep "$what: data crosses the connection" '^mpt olleh$' "$T/out"
}

# keyfile_public KEY OUT: the TPM2B_PUBLIC blob of a PEM TSS2 key file (the
# first OCTET STRING of the key-file SEQUENCE), for tpm2_print.
keyfile_public() {
    sw asn1parse -in "$1" >"$T/asn1.txt" 2>&1 || fail "asn1parse $(basename "$1")"
    sed -n 's/^ *[0-9]*:d=1 .*prim: OCTET STRING *\[HEX DUMP\]://p' "$T/asn1.txt" \
        | head -n 1 | xxd -r -p >"$2"
    [ -s "$2" ] || fail "no public blob in $(basename "$1")"
}

# sign_verify WHAT KEY PUB [SIGN ARGS...]: dgst -sha256 -sign with the TPM
# key (tkmkit first), verified by the default provider alone.
sign_verify() {
    local what=$1 key=$2 pub=$3
    shift 3
    [ -s "$T/msg" ] || echo "message to sign" >"$T/msg"
    rm -f "$T/sig"
    run tk dgst -sha256 -sign "$key" "$@" -out "$T/sig" "$T/msg"
    assert_ok "$what: signs"
    run sw dgst -sha256 -verify "$pub" -signature "$T/sig" "$T/msg"
    assert_ok "$what: the default provider verifies the signature"
}

# tkkeys ARGS...: the tk_keys program (test/keys/tk_keys.c).
tkkeys() {
    timeout -k 5 "${TK_TIMEOUT:-180}" "$TK_KEYS_PROG" "$@"
}

# tkdup ARGS...: the tk_dup program (test/keys/tk_dup.c).
tkdup() {
    timeout -k 5 "${TK_TIMEOUT:-240}" "$TK_DUP_PROG" "$@"
}

# tkkey ARGS...: the tpmkit-key program (tools/tpmkit-key).
tkkey() {
    timeout -k 5 "${TK_TIMEOUT:-120}" "$TK_KEYTOOL" "$@"
}

# keyfile_blobs KEY PUB PRIV: the TPM2B_PUBLIC and TPM2B_PRIVATE blobs of a
# PEM TSS2 key file (its last two OCTET STRINGs), for tpm2_load.
keyfile_blobs() {
    sw asn1parse -in "$1" >"$T/asn1.txt" 2>&1 || fail "asn1parse $(basename "$1")"
    sed -n 's/^ *[0-9]*:d=1 .*prim: OCTET STRING *\[HEX DUMP\]://p' "$T/asn1.txt" \
        | tail -n 2 >"$T/blobs.hex"
    sed -n 1p "$T/blobs.hex" | xxd -r -p >"$2"
    sed -n 2p "$T/blobs.hex" | xxd -r -p >"$3"
    [ -s "$2" ] && [ -s "$3" ] || fail "no public and private blobs in $(basename "$1")"
}

# tools CMD ARGS...: a tpm2-tools command that must succeed, then flush
# what the tools leave behind.
tools() {
    tpm2 "$@" >"$T/tools.out" 2>&1 || { cat "$T/tools.out"; tools_cleanup; fail "tpm2_$1"; }
    tools_cleanup
}

# make_keyfile OUT OID EMPTYAUTH PUB PRIV [secret=FILE] [policy=CODE:HEX...]
# [description=TEXT] [rsaparent=TRUE|FALSE]:
# a DER TSS2 key file assembled field by field (openssl asn1parse -genconf)
# from marshalled blobs, as producers other than tpmkit write them.
make_keyfile() {
    local out=$1 oid=$2 empty=$3 pub=$4 priv=$5 arg i=0 secret='' list='' steps=''
    local desc='' rsaparent=''
    shift 5
    for arg in "$@"; do
        case $arg in
        secret=*) secret=$(xxd -p "${arg#secret=}" | tr -d '\n') ;;
        description=*) desc=${arg#description=} ;;
        rsaparent=*) rsaparent=${arg#rsaparent=} ;;
        policy=*)
            i=$((i + 1))
            arg=${arg#policy=}
            list+="p$i=SEQUENCE:pol$i"$'\n'
            steps+="[pol$i]"$'\n'"cc=EXPLICIT:0,INTEGER:${arg%%:*}"$'\n'
            if [ -n "${arg#*:}" ]; then
                steps+="cp=EXPLICIT:1,FORMAT:HEX,OCTETSTRING:${arg#*:}"$'\n'
            else
                steps+="cp=EXPLICIT:1,OCTETSTRING:"$'\n'
            fi
            ;;
        esac
    done
    {
        echo "asn1=SEQUENCE:key"
        echo "[key]"
        echo "type=OID:$oid"
        echo "emptyAuth=EXPLICIT:0,BOOLEAN:$empty"
        [ -z "$list" ] || echo "policy=EXPLICIT:1,SEQUENCE:pols"
        [ -z "$secret" ] || echo "secret=EXPLICIT:2,FORMAT:HEX,OCTETSTRING:$secret"
        [ -z "$desc" ] || echo "description=EXPLICIT:4,UTF8String:$desc"
        [ -z "$rsaparent" ] || echo "rsaParent=EXPLICIT:5,BOOLEAN:$rsaparent"
        echo "parent=INTEGER:0x40000001"
        echo "pub=FORMAT:HEX,OCTETSTRING:$(xxd -p "$pub" | tr -d '\n')"
        echo "priv=FORMAT:HEX,OCTETSTRING:$(xxd -p "$priv" | tr -d '\n')"
        [ -z "$list" ] || printf '[pols]\n%s%s' "$list" "$steps"
    } >"$out.cnf"
    sw asn1parse -genconf "$out.cnf" -out "$out" >/dev/null \
        || fail "cannot assemble the key file $(basename "$out")"
}

# trial_pcr OUT LIST: tpm2_policypcr's digest for LIST, in a trial session.
trial_pcr() {
    tpm2 startauthsession -S "$T/trial.ctx" >"$T/tools.out" 2>&1 || fail "trial session"
    tpm2 policypcr -S "$T/trial.ctx" -l "$2" -L "$1" >>"$T/tools.out" 2>&1 \
        || { cat "$T/tools.out"; fail "tpm2_policypcr -l $2"; }
    tpm2 flushcontext "$T/trial.ctx" >/dev/null 2>&1
    tools_cleanup
}

# auth_policy KEY: the authPolicy of a key file's public blob, as hex; the
# attributes line of tpm2_print into $T/attrs.
auth_policy() {
    keyfile_public "$1" "$T/pub.bin"
    tpm2 print -t TPM2B_PUBLIC "$T/pub.bin" >"$T/print.out" 2>&1 \
        || { cat "$T/print.out"; fail "tpm2_print $(basename "$1")"; }
    sed -n '/^attributes:/,/^ *value:/p' "$T/print.out" >"$T/attrs"
    sed -n 's/^authorization policy: *//p' "$T/print.out"
}

# extend16 N: extend the resettable debug PCR 16 (sha256 bank) with the
# 32-byte number N; tpm2_pcrreset 16 puts it back to zeros.
extend16() {
    tpm2 pcrextend "16:sha256=$(printf '%064x' "$1")" >/dev/null 2>&1 \
        || fail "tpm2_pcrextend 16"
}

# The standard storage primary (the template a 0x40000001 parent means),
# made with tpm2-tools into $T/srk.ctx.
SRK_ATTRS='fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt'
make_srk() {
    tools createprimary -C o -G ecc256:null:aes128cfb -a "$SRK_ATTRS" -c "$T/srk.ctx"
}

# pcr16_after N OUT: the sha256 value PCR 16 will hold after extend16 N,
# computed in software from its value now (tpm2_pcrread -o):
# SHA-256(value || N as 32 bytes). OUT is then a --pcr-values file for
# sha256:16.
pcr16_after() {
    tpm2 pcrread -o "$T/pcr16.now" sha256:16 >/dev/null 2>&1 || fail "tpm2_pcrread sha256:16"
    { cat "$T/pcr16.now"; printf '%064x' "$1" | xxd -r -p; } | sw dgst -sha256 -binary >"$2"
    [ "$(stat -c %s "$2")" = 32 ] || fail "pcr16_after: no 32-byte value in $(basename "$2")"
}

# createpolicy_pcr OUT SPEC FILE: tpm2_createpolicy's PolicyPCR digest for
# the PCR values in FILE (tpm2_pcrread -o's format), computed by the tools.
createpolicy_pcr() {
    tpm2 createpolicy --policy-pcr -l "$2" -f "$3" -L "$1" >"$T/tools.out" 2>&1 \
        || { cat "$T/tools.out"; tools_cleanup; fail "tpm2_createpolicy -l $2"; }
    tools_cleanup
}

# pcr16_gate WHAT KEY PUB N [SIGN ARGS...]: KEY, bound to PCR 16's value
# now, signs; once extend16 N changed PCR 16 it fails with the PolicyPCR
# error; after tpm2_pcrreset 16 it signs again.
pcr16_gate() {
    local what=$1 key=$2 pub=$3 n=$4
    shift 4
    sign_verify "$what, PCR 16 as bound" "$key" "$pub" "$@"
    extend16 "$n"
    run tk dgst -sha256 -sign "$key" "$@" -out "$T/sig" "$T/msg"
    assert_fails "$what, after PCR 16 was extended"
    assert_grep "$what, after extend: the PCR policy failure" "PolicyPCR" "$T/err"
    tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
    sign_verify "$what, after PCR 16 was reset" "$key" "$pub" "$@"
}

# pcr16_future WHAT KEY PUB N [SIGN ARGS...]: KEY, bound to the value PCR
# 16 holds after extend16 N (pcr16_after N), fails now with the PolicyPCR
# error and signs once PCR 16 is extended; PCR 16 is reset afterwards.
pcr16_future() {
    local what=$1 key=$2 pub=$3 n=$4
    shift 4
    run tk dgst -sha256 -sign "$key" "$@" -out "$T/sig" "$T/msg"
    assert_fails "$what, before the extend"
    assert_grep "$what, before the extend: the PCR policy failure" "PolicyPCR" "$T/err"
    extend16 "$n"
    sign_verify "$what, once PCR 16 holds the value" "$key" "$pub" "$@"
    tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
}
