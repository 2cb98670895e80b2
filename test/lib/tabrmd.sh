# SPDX-License-Identifier: Apache-2.0
# tpm2-abrmd (the user-space TPM resource manager) in front of the test's
# swtpm, on a private D-Bus session bus, so a test never touches the
# machine's buses or a real TPM. Source after test/lib/common.sh.
#
#   tabrmd_start [USER...]  start the bus and tpm2-abrmd on the swtpm that
#                           common.sh started; wait until it answers; export
#                           TABRMD_TCTI and DBUS_SESSION_BUS_ADDRESS. USERs
#                           (names) may also connect to the bus: servers
#                           whose workers drop root (Apache's www-data).
#   tabrmd_stop             stop both (tpm2-abrmd first: it then lets go of
#                           swtpm, which serves one client at a time)
#
# While tpm2-abrmd runs it holds swtpm's only connection: anything else on
# the raw swtpm TCTI (tpm2-tools via `tpm2`, tpmkit with the swtpm TCTI)
# waits until tabrmd_stop.

TABRMD_PID=
TABRMD_DBUS_PID=

# _tabrmd_kill PID: stop PID (not our child: dbus-daemon forked itself),
# bounded, and KILL it if TERM is not enough.
_tabrmd_kill() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        _swtpm_alive "$pid" || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

tabrmd_start() {
    local dir=$T/tabrmd user
    local -a bus=(--session)
    command -v tpm2-abrmd >/dev/null && command -v dbus-daemon >/dev/null \
        || fail "tabrmd_start: needs tpm2-abrmd and dbus-daemon (scripts/deps.sh)"
    mkdir -p "$dir"
    TABRMD_SWTPM_TCTI=$(swtpm_tools_tcti)
    if [ $# -gt 0 ]; then
        # The session bus lets in only its own user: name the others.
        {
            echo '<busconfig>'
            echo '  <include>/usr/share/dbus-1/session.conf</include>'
            echo '  <policy context="default">'
            for user in "$@"; do
                echo "    <allow user=\"$user\"/>"
            done
            echo '  </policy>'
            echo '</busconfig>'
        } >"$dir/bus.conf"
        bus=(--config-file="$dir/bus.conf")
    fi
    # --fork returns once the bus listens; fds 3 and 4 say where and who.
    timeout -k 5 30 dbus-daemon "${bus[@]}" --fork --nopidfile \
        --print-address=3 --print-pid=4 3>"$dir/address" 4>"$dir/pid" \
        >"$dir/dbus.log" 2>&1 </dev/null \
        || fail "tabrmd_start: dbus-daemon did not start: $(cat "$dir/dbus.log")"
    TABRMD_DBUS_PID=$(head -n 1 "$dir/pid")
    [ -n "$TABRMD_DBUS_PID" ] || fail "tabrmd_start: dbus-daemon gave no pid"
    TK_BG_PIDS+=("$TABRMD_DBUS_PID")
    export DBUS_SESSION_BUS_ADDRESS
    DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$dir/address")
    [ -n "$DBUS_SESSION_BUS_ADDRESS" ] || fail "tabrmd_start: dbus-daemon gave no address"

    # A name of our own: other tests' tpm2-abrmd may share nothing with us.
    TABRMD_NAME=com.intel.tss2.Tabrmd.tk$$
    export TABRMD_TCTI="tabrmd:bus_name=$TABRMD_NAME,bus_type=session"
    # tpm2-abrmd must not load a test's tpmkit configuration.
    env -u OPENSSL_CONF -u OPENSSL_MODULES -u LD_PRELOAD -u TCTI_PCAP_FILE \
        tpm2-abrmd --session --allow-root --tcti="$TABRMD_SWTPM_TCTI" \
        --dbus-name="$TABRMD_NAME" >"$dir/abrmd.log" 2>&1 </dev/null &
    TABRMD_PID=$!
    TK_BG_PIDS+=("$TABRMD_PID")
    for _ in $(seq 1 100); do
        if env -u OPENSSL_CONF -u LD_PRELOAD timeout -k 2 10 \
            tpm2_getrandom -T "$TABRMD_TCTI" 8 >/dev/null 2>&1; then
            echo "# tpm2-abrmd ($TABRMD_TCTI) in front of $TABRMD_SWTPM_TCTI"
            return 0
        fi
        _swtpm_alive "$TABRMD_PID" || break
        sleep 0.1
    done
    echo "# tpm2-abrmd log:"
    sed 's/^/#   /' "$dir/abrmd.log" | tail -n 20
    fail "tabrmd_start: tpm2-abrmd does not answer on $TABRMD_TCTI"
}

tabrmd_stop() {
    _tabrmd_kill "$TABRMD_PID"
    TABRMD_PID=
    _tabrmd_kill "$TABRMD_DBUS_PID"
    TABRMD_DBUS_PID=
    unset DBUS_SESSION_BUS_ADDRESS TABRMD_TCTI
}
