# SPDX-License-Identifier: Apache-2.0
# Per-session TLS-PSK, seen from the TPM interface (tss2 pcap TCTI): one
# TPM2_HMAC per handshake per side holding a TPM key, in both modes; the
# permanent PSK never crosses the interface in clear (not even when it is
# imported), and neither do the derived per-connection PSKs.
. "$TK_SOURCE_DIR/test/psk/psk_lib.sh"

K=$(sw rand -hex 32)
run with_pcap "$T/genpkey.pcap" tk genpkey -algorithm TPM2-HMAC \
    -pkeyopt digest:SHA256 -pkeyopt "hexkey:$K" -out "$T/psk.pem"
assert_ok "import the permanent PSK into the TPM"
capture_commands "$T/genpkey.pcap"
if file_has_bytes "$T/genpkey.pcap" "$K"; then
    fail "the permanent PSK crossed the TPM interface in clear during its import"
fi
pass "the permanent PSK never crossed the TPM interface in clear during its import"

# no_secrets_in WHAT PCAP LOG: neither K nor any PSK printed in LOG occurs
# in PCAP.
no_secrets_in() {
    local psk n=0
    if file_has_bytes "$2" "$K"; then
        fail "$1: the permanent PSK crossed the TPM interface in clear"
    fi
    for psk in $(psk_lines "$3" | sed 's/.* psk=//'); do
        if file_has_bytes "$2" "$psk"; then
            fail "$1: a per-connection PSK crossed the TPM interface in clear"
        fi
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || fail "$1: no PSK was printed to look for"
    pass "$1: neither the permanent PSK nor the $n session PSK(s) in clear on the TPM interface"
}

for mode in tls12 tls13; do
    M=()
    [ "$mode" = tls12 ] || M=(--tls1.3)

    # Server with the TPM key, three connections. (The pcap TCTI appends.)
    rm -f "$T/srv.pcap"
    start_psk_server "$T/srv" TCTI_PCAP_FILE="$T/srv.pcap" TPMKIT_TCTI="pcap:$TPMKIT_TCTI" \
        "${M[@]}" --key-uri "$T/psk.pem" --count 3 --show-psk
    for i in 1 2 3; do
        run psk_client "${M[@]}" --hexkey "$K"
        assert_ok "$mode: software client $i against the TPM server"
    done
    server_exit "$mode: the TPM server served 3 connections" 0
    capture_commands "$T/srv.pcap"
    assert_command_count "$mode: TPM server: one TPM2_HMAC per handshake" HMAC 3
    assert_command_count "$mode: TPM server: no HMAC sequence" HMAC_Start 0
    no_secrets_in "$mode: TPM server" "$T/srv.pcap" "$T/srv"

    # Client with the TPM key: one HMAC per run.
    start_psk_server "$T/srv" "${M[@]}" --hexkey "$K" --count 1
    run with_pcap "$T/cli.pcap" psk_client "${M[@]}" --key-uri "$T/psk.pem" --show-psk
    assert_ok "$mode: TPM client against a software server"
    server_exit "$mode: the software server served it" 0
    capture_commands "$T/cli.pcap"
    assert_command_count "$mode: TPM client: one TPM2_HMAC for its handshake" HMAC 1
    no_secrets_in "$mode: TPM client" "$T/cli.pcap" "$T/out"
done
assert_no_tpm_leftovers "the recorded handshakes"
