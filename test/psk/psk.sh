# SPDX-License-Identifier: Apache-2.0
# Per-session TLS-PSK (issue 4): tpmkit-psk-server and -client, in TLS 1.2
# (argument tls12) or --tls1.3 mode (tls13), with the permanent PSK in the
# TPM on either side, on both, or on neither.
. "$TK_SOURCE_DIR/test/psk/psk_lib.sh"

MODE=${1:?argument: tls12 or tls13}
case $MODE in
tls12) M=(); VERSION=TLSv1.2 ;;
tls13) M=(--tls1.3); VERSION=TLSv1.3 ;;
*) fail "unknown mode $MODE" ;;
esac

K=$(sw rand -hex 32)
OTHER=$(sw rand -hex 32)
hmac_key "$T/psk.pem" "$K"
hmac_key "$T/other.pem" "$OTHER"

# two_connections WHAT "SERVER KEY ARGS" "CLIENT KEY ARGS" SERVER_MAC CLIENT_MAC:
# a server for two connections, two clients; messages cross, both sides
# agree on each connection's PSK, which is the HMAC of that connection's
# randoms under K and differs between the connections.
two_connections() {
    local what=$1 smac=$4 cmac=$5 i s c
    local -a skey ckey
    read -ra skey <<<"$2"
    read -ra ckey <<<"$3"

    start_psk_server "$T/srv" "${M[@]}" "${skey[@]}" --count 2 --show-psk
    run psk_client "${M[@]}" "${ckey[@]}" --show-psk --message "first line from $what"
    assert_ok "$what: client 1 connects"
    assert_contains "$what: client 1 prints the server's answer" \
        "reply: received $(( ${#what} + 16 )) bytes: first line from $what" "$T/out"
    assert_grep "$what: client 1 ran $VERSION with (EC)DHE, PSK by $cmac" \
        "^connected: $VERSION [A-Z0-9_-]+, key exchange [a-zA-Z0-9]+, identity \"tpmkit\", PSK by $cmac\$" "$T/out"
    assert_no_grep "$what: client 1 had a key exchange group" 'key exchange none' "$T/out"
    cp "$T/out" "$T/client1"
    run psk_client "${M[@]}" "${ckey[@]}" --show-psk
    assert_ok "$what: client 2 connects"
    assert_contains "$what: client 2 prints the answer to the default message" \
        "reply: received 28 bytes: hello from tpmkit-psk-client" "$T/out"
    cp "$T/out" "$T/client2"
    server_exit "$what: server exits 0 after --count 2" 0

    assert_grep "$what: server prints message 1" "^message: first line from $what\$" "$T/srv"
    assert_grep "$what: server prints message 2" "^message: hello from tpmkit-psk-client\$" "$T/srv"
    assert_eq "$what: server ran two $VERSION handshakes, PSK by $smac" 2 \
        "$(grep -Ec "^connected: $VERSION [A-Z0-9_-]+, key exchange [a-zA-Z0-9]+, identity \"tpmkit\", PSK by $smac\$" "$T/srv")"
    assert_no_grep "$what: server had a key exchange group" 'key exchange none' "$T/srv"

    assert_eq "$what: server printed one PSK per connection" 2 "$(psk_lines "$T/srv" | wc -l)"
    for i in 1 2; do
        s=$(psk_lines "$T/srv" | sed -n "${i}p")
        c=$(psk_lines "$T/client$i")
        assert_eq "$what: connection $i: client and server derived the same PSK" "$s" "$c"
        check_psk_line "$what: connection $i: PSK = HMAC(K, label || randoms)" "$s" "$K" "$MODE"
    done
    [ "$(field "$(psk_lines "$T/srv" | sed -n 1p)" psk)" != \
      "$(field "$(psk_lines "$T/srv" | sed -n 2p)" psk)" ] \
        || fail "$what: both connections got the same PSK"
    pass "$what: each connection has its own PSK"
}

two_connections "TPM server, software client" "--key-uri $T/psk.pem" "--hexkey $K" TPM2-HMAC HMAC
two_connections "software server, TPM client" "--hexkey $K" "--key-uri $T/psk.pem" HMAC TPM2-HMAC
two_connections "TPM on both sides" "--key-uri $T/psk.pem" "--key-uri $T/psk.pem" TPM2-HMAC TPM2-HMAC
two_connections "software on both sides" "--hexkey $K" "--hexkey $K" HMAC HMAC
assert_no_tpm_leftovers "the handshakes"

# TLS 1.2 also runs the plain PSK suites when both sides ask for them (no
# forward secrecy: the session keys then rest on the PSK alone).
if [ "$MODE" = tls12 ]; then
    start_psk_server "$T/srv" --key-uri "$T/psk.pem" --ciphers PSK-AES128-GCM-SHA256 --count 1 --show-psk
    run psk_client --hexkey "$K" --ciphers PSK-AES128-GCM-SHA256 --show-psk
    assert_ok "plain PSK suite: the client connects"
    assert_grep "... with PSK-AES128-GCM-SHA256 and no key exchange group" \
        '^connected: TLSv1.2 PSK-AES128-GCM-SHA256, key exchange none, ' "$T/out"
    server_exit "... and the server serves it" 0
    check_psk_line "... PSK = HMAC(K, label || randoms)" "$(psk_lines "$T/srv")" "$K" tls12
fi

# --- refusals -------------------------------------------------------------

start_psk_server "$T/srv" "${M[@]}" --key-uri "$T/psk.pem" --count 1
run psk_client "${M[@]}" --hexkey "$K" --identity intruder
assert_status "unknown identity: the client fails" 1
assert_grep "unknown identity: the client says the handshake failed" \
    "handshake with 127.0.0.1 port $SERVER_PORT failed: .*alert (unknown psk identity|handshake failure)" "$T/err"
assert_no_grep "unknown identity: the client never talked" '^(connected|reply):' "$T/out"
server_exit "unknown identity: the server reports the failed connection" 1
assert_contains "unknown identity: the server names the refused identity" \
    'connection 1: refused: unknown PSK identity "intruder"' "$T/srv.err"
assert_no_grep "unknown identity: the server got no message" '^(connected|message):' "$T/srv"

# wrong_key WHAT "SERVER KEY ARGS" "CLIENT KEY ARGS": different permanent
# PSKs: both sides fail with a clear message, having derived different PSKs
# from the same randoms.
wrong_key() {
    local what=$1 s c
    local -a skey ckey
    read -ra skey <<<"$2"
    read -ra ckey <<<"$3"
    start_psk_server "$T/srv" "${M[@]}" "${skey[@]}" --count 1 --show-psk
    run psk_client "${M[@]}" "${ckey[@]}" --show-psk
    assert_status "$what: the client fails" 1
    assert_grep "$what: the client says the handshake failed" \
        "handshake with 127.0.0.1 port $SERVER_PORT failed: .*alert (bad record mac|illegal parameter|decrypt error)" "$T/err"
    assert_contains "$what: the client suggests a key mismatch" \
        'does the server accept identity "tpmkit" and hold the same permanent PSK?' "$T/err"
    assert_no_grep "$what: the client never talked" '^(connected|reply):' "$T/out"
    server_exit "$what: the server reports the failed connection" 1
    assert_contains "$what: the server suggests a key mismatch" \
        'connection 1: handshake failed: ' "$T/srv.err"
    assert_contains "$what: ... and says why" \
        "$([ "$MODE" = tls13 ] && echo 'binder does not verify' || echo 'bad record mac')" "$T/srv.err"
    assert_contains "$what: ... in words" \
        '(does the client hold a different permanent PSK?)' "$T/srv.err"
    s=$(psk_lines "$T/srv")
    c=$(psk_lines "$T/out")
    assert_eq "$what: same randoms on both sides" "$(field "$s" client_random)" "$(field "$c" client_random)"
    [ "$(field "$s" psk)" != "$(field "$c" psk)" ] || fail "$what: the two keys gave the same PSK"
    pass "$what: different keys gave different PSKs"
}

wrong_key "wrong software key" "--key-uri $T/psk.pem" "--hexkey $OTHER"
wrong_key "wrong TPM key" "--hexkey $K" "--key-uri $T/other.pem"
assert_no_tpm_leftovers "the refusals"
