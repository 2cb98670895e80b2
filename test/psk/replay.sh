# SPDX-License-Identifier: Apache-2.0
# What a replayed ClientHello gets in --tls1.3 mode. The per-connection PSK
# depends on the client random only, so a replay makes the server derive
# the same PSK again. A running server refuses the repeat outright (it
# remembers the client randoms it derived for); a server that never saw it
# (restarted) accepts the PSK but answers with a fresh random and key
# share: the replayer, who has neither the client's key share secret nor
# the PSK, gets no session.
. "$TK_SOURCE_DIR/test/psk/psk_lib.sh"
: "${TK_PSK_REPLAY:?}"

K=$(sw rand -hex 32)
hmac_key "$T/psk.pem" "$K"

replay() {
    timeout -k 5 60 "$TK_PSK_REPLAY" "$@"
}

# A real client, through a recorder.
start_psk_server "$T/srv" --tls1.3 --key-uri "$T/psk.pem" --count 2 --show-psk --timeout 5
replay record "$SERVER_PORT" "$T/hello.bin" >"$T/rec" 2>"$T/rec.err" &
REC_PID=$!
TK_BG_PIDS+=("$REC_PID")
wait_for "the recorder listens" "$T/rec" '^listening on ' 30
REC_PORT=$(sed -n 's/^listening on //p' "$T/rec")
run timeout -k 5 60 "$TK_PSK_CLIENT" --tls1.3 --port "$REC_PORT" --hexkey "$K" --show-psk
assert_ok "the client's connection through the recorder"
assert_contains "... carries its message" 'reply: received 28 bytes: hello from tpmkit-psk-client' "$T/out"
ORIGINAL=$(psk_lines "$T/out")
wait "$REC_PID" || fail "the recorder failed: $(cat "$T/rec.err")"
assert_grep "the original ServerHello accepted the PSK, with a key share" \
    '^server_hello random=[0-9a-f]{64} psk=yes key_share=yes$' "$T/rec"
R0=$(sed -n 's/^server_hello random=\([0-9a-f]*\).*/\1/p' "$T/rec")

# The same ClientHello again, to the same server.
run replay replay "$SERVER_PORT" "$T/hello.bin"
assert_ok "replay to the same server"
assert_grep "the server answers the replay with an alert, no ServerHello" '^alert 2 ' "$T/out"
server_exit "the server counts the replay as a failed connection" 1
assert_contains "... and says it was a replay" \
    'connection 2: refused: replayed ClientHello (its client random was used before)' "$T/srv.err"
assert_eq "... having derived no PSK for it" 1 "$(psk_lines "$T/srv" | wc -l)"

# The same ClientHello to a server that never saw it.
start_psk_server "$T/srv" --tls1.3 --key-uri "$T/psk.pem" --count 1 --show-psk --timeout 5
run replay replay "$SERVER_PORT" "$T/hello.bin"
assert_ok "replay to a restarted server"
assert_grep "the restarted server accepts the PSK (the binder verifies), with a key share" \
    '^server_hello random=[0-9a-f]{64} psk=yes key_share=yes$' "$T/out"
R1=$(sed -n 's/^server_hello random=\([0-9a-f]*\).*/\1/p' "$T/out")
[ "$R1" != "$R0" ] || fail "the replay got the original server random"
pass "... but with a fresh server random"
server_exit "the replay ends without a session" 1
assert_eq "the restarted server derived the original connection's PSK" "$ORIGINAL" \
    "$(psk_lines "$T/srv")"
assert_no_grep "... and still no session came of it" '^(connected|message):' "$T/srv"
assert_contains "... the handshake failed" 'connection 1: handshake failed: ' "$T/srv.err"
assert_no_tpm_leftovers "the replays"
