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

_swtpm_launch() {
    swtpm socket --tpm2 \
        --server type=tcp,port="$SWTPM_PORT",bindaddr=127.0.0.1 \
        --ctrl type=tcp,port=$((SWTPM_PORT + 1)),bindaddr=127.0.0.1 \
        --flags not-need-init,startup-clear \
        --tpmstate dir="$SWTPM_DIR" \
        --log file="$SWTPM_DIR/swtpm.log" >/dev/null 2>&1 &
    SWTPM_PID=$!
    local i
    for i in $(seq 1 100); do
        if ! _swtpm_port_free "$SWTPM_PORT"; then
            return 0
        fi
        if ! kill -0 "$SWTPM_PID" 2>/dev/null; then
            return 1
        fi
        sleep 0.05
    done
    return 1
}

swtpm_start() {
    SWTPM_DIR=$1
    mkdir -p "$SWTPM_DIR"
    local try
    for try in $(seq 1 20); do
        SWTPM_PORT=$(( (RANDOM % 20000) * 2 + 20000 ))
        _swtpm_port_free "$SWTPM_PORT" && _swtpm_port_free $((SWTPM_PORT + 1)) || continue
        if _swtpm_launch; then
            export TPMKIT_TCTI="swtpm:host=127.0.0.1,port=$SWTPM_PORT"
            export TPM2TOOLS_TCTI="$TPMKIT_TCTI"
            export SWTPM_PORT SWTPM_PID SWTPM_DIR
            return 0
        fi
        kill "$SWTPM_PID" 2>/dev/null; wait "$SWTPM_PID" 2>/dev/null
    done
    echo "swtpm_start: could not start swtpm" >&2
    return 1
}

swtpm_stop() {
    [ -n "${SWTPM_PID:-}" ] || return 0
    kill "$SWTPM_PID" 2>/dev/null
    wait "$SWTPM_PID" 2>/dev/null
    SWTPM_PID=
    # Wait until the port is really free before anyone restarts on it.
    local i
    for i in $(seq 1 100); do
        _swtpm_port_free "$SWTPM_PORT" && return 0
        sleep 0.05
    done
}

swtpm_restart() {
    swtpm_stop
    _swtpm_launch
}
