# SPDX-License-Identifier: Apache-2.0
# Throwaway swtpm instances for tests and the demo. Source this file.
#
#   swtpm_start DIR      start a TPM with state in DIR on two free loopback
#                        ports; sets SWTPM_PORT, SWTPM_PID, SWTPM_DIR and
#                        exports TPMKIT_TCTI / TPM2TOOLS_TCTI for it
#   swtpm_stop           stop it (keeps the state)
#   swtpm_restart        stop and start it again on the same ports and state
#   swtpm_tools_tcti     the TCTI string for tpm2-tools

_swtpm_port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True once our swtpm (and not some other process) listens on its port.
_swtpm_listening() {
    if command -v ss >/dev/null; then
        ss -ltnpH "sport = :$SWTPM_PORT" 2>/dev/null | grep -q "pid=$SWTPM_PID,"
    else
        ! _swtpm_port_free "$SWTPM_PORT"
    fi
}

# kill -0 also succeeds for a zombie: look at the process state instead.
_swtpm_alive() {
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${state#Z}" = "$state" ]
}

_swtpm_launch() {
    # swtpm (libtpms) draws its own randomness through OpenSSL: it must not
    # see a test's OpenSSL configuration, or it would seed itself from
    # tpmkit, i.e. from itself, and hang.
    env -u OPENSSL_CONF -u OPENSSL_MODULES -u LD_PRELOAD -u TPMKIT_TCTI \
        -u TCTI_PCAP_FILE -u TPMKIT_DEBUG \
        swtpm socket --tpm2 \
        --server type=tcp,port="$SWTPM_PORT",bindaddr=127.0.0.1 \
        --ctrl type=tcp,port=$((SWTPM_PORT + 1)),bindaddr=127.0.0.1 \
        --flags not-need-init,startup-clear \
        --tpmstate dir="$SWTPM_DIR" \
        --log file="$SWTPM_DIR/swtpm.log" >/dev/null 2>&1 &
    SWTPM_PID=$!
    for _ in $(seq 1 200); do
        if _swtpm_listening; then
            return 0
        fi
        if ! _swtpm_alive "$SWTPM_PID"; then
            wait "$SWTPM_PID" 2>/dev/null || true
            return 1
        fi
        sleep 0.05
    done
    return 1
}

swtpm_start() {
    SWTPM_DIR=$1
    mkdir -p "$SWTPM_DIR"
    for _ in $(seq 1 20); do
        # Even ports below the kernel's ephemeral range (32768+), so that
        # outgoing connections never hold the port we pick.
        SWTPM_PORT=$(( (RANDOM % 11000) * 2 + 10000 ))
        _swtpm_port_free "$SWTPM_PORT" && _swtpm_port_free $((SWTPM_PORT + 1)) || continue
        if _swtpm_launch; then
            export TPMKIT_TCTI="swtpm:host=127.0.0.1,port=$SWTPM_PORT"
            export TPM2TOOLS_TCTI="$TPMKIT_TCTI"
            export SWTPM_PORT SWTPM_PID SWTPM_DIR
            return 0
        fi
        swtpm_stop
    done
    echo "swtpm_start: could not start swtpm" >&2
    return 1
}

swtpm_stop() {
    [ -n "${SWTPM_PID:-}" ] || return 0
    # CONT: a test may have stopped it to play a hung TPM.
    kill -TERM "$SWTPM_PID" 2>/dev/null || true
    kill -CONT "$SWTPM_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do
        _swtpm_alive "$SWTPM_PID" || break
        sleep 0.05
    done
    # A swtpm busy with a client that never sends may ignore TERM.
    kill -KILL "$SWTPM_PID" 2>/dev/null || true
    wait "$SWTPM_PID" 2>/dev/null || true
    SWTPM_PID=
    # Wait until the port is really free before anyone restarts on it.
    for _ in $(seq 1 100); do
        _swtpm_port_free "$SWTPM_PORT" && return 0
        sleep 0.05
    done
}

swtpm_restart() {
    swtpm_stop
    _swtpm_launch
}

swtpm_tools_tcti() {
    echo "swtpm:host=127.0.0.1,port=$SWTPM_PORT"
}
