# SPDX-License-Identifier: Apache-2.0
# Issue 12, point 5: Apache httpd with mod_ssl and a TPM key file as
# SSLCertificateKeyFile, tpmkit from openssl.cnf (the sample configuration:
# TPM2-SEED seeds the DRBG), started as a daemon (apache2 -k start: the
# daemon is itself a fork of the process that loaded the key) with the
# prefork MPM (one process per connection) and the event MPM (threads in
# forked processes). Children run as www-data, as Apache insists when
# started by root, and are replaced every 3 connections
# (MaxConnectionsPerChild), so fresh forks keep appearing under load. On the
# raw swtpm and through tpm2-abrmd.
. "$TK_SOURCE_DIR/test/servers/servers_lib.sh"
need_progs apache2
MODS=/usr/lib/apache2/modules
for m in mpm_prefork mpm_event ssl authn_core authz_core dir; do
    [ -f "$MODS/mod_$m.so" ] || { echo "# SKIP: no $MODS/mod_$m.so"; exit 77; }
done
RUN_AS=www-data
id "$RUN_AS" >/dev/null 2>&1 || { echo "# SKIP: no user $RUN_AS for Apache's children"; exit 77; }

# The children drop root: they must reach tpmkit's run directory (its lock
# and journal files: shared by every user's processes), the trace, the
# pages and the D-Bus session bus (tabrmd_start lets $RUN_AS in).
chmod 711 "$T"
mkdir -p "$TPMKIT_RUNDIR"
chmod 1777 "$TPMKIT_RUNDIR"
# They also start tpmkit-relay (for tabrmd), which the build tree may hide
# from them (a checkout under a private home): the module and the relay
# beside it, in a directory they can reach.
mkdir -p "$T/mod"
cp "$TK_MODULE" "$(dirname "$TK_MODULE")/tpmkit-relay" "$T/mod/"
chmod 755 "$T/mod"
export TPMKIT_RELAY=$T/mod/tpmkit-relay

# serve MPM: one Apache with MPM on the current case's TPM, 12 requests one
# by one and 8 at once, then a clean stop.
serve() {
    local mpm=$1 A=$C/apache-$1 port parent rc
    local -a served
    mkdir -p "$A/htdocs" "$A/run"
    chmod 711 "$C"
    chmod 755 "$A" "$A/htdocs" "$A/run"
    chmod 666 "$TRACE"
    echo "apache $mpm with a TPM key" >"$A/htdocs/index.html"
    port=$(free_port)
    SERVER_LOGS=("$TRACE" "$A/error.log")
    [ "$CASE" != tabrmd ] || SERVER_LOGS+=("$T/tabrmd/abrmd.log")
    cat >"$A/httpd.conf" <<CONF
ServerRoot $A
ServerName localhost
Listen 127.0.0.1:$port
PidFile $A/run/httpd.pid
DefaultRuntimeDir $A/run
Mutex file:$A/run default
ErrorLog $A/error.log
LogLevel notice
LoadModule mpm_${mpm}_module $MODS/mod_mpm_$mpm.so
LoadModule ssl_module $MODS/mod_ssl.so
LoadModule authn_core_module $MODS/mod_authn_core.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule dir_module $MODS/mod_dir.so
DirectoryIndex index.html
User $RUN_AS
Group $RUN_AS
StartServers 2
MaxConnectionsPerChild 3
<IfModule mpm_prefork_module>
    MinSpareServers 1
    MaxSpareServers 4
    MaxRequestWorkers 8
</IfModule>
<IfModule mpm_event_module>
    ServerLimit 8
    ThreadsPerChild 4
    MaxRequestWorkers 16
    MinSpareThreads 4
    MaxSpareThreads 16
</IfModule>
# %P: the pid of the child that served the request.
LogFormat "%P %>s %r" tk
CustomLog $A/access.log tk
DocumentRoot $A/htdocs
<Directory $A/htdocs>
    Require all granted
</Directory>
SSLEngine on
SSLCertificateFile $C/cert.pem
SSLCertificateKeyFile $C/key.pem
SSLSessionCache none
SSLSessionTickets off
CONF
    # apache2 directly, not apache2ctl: no Debian environment, no system
    # configuration. -k start daemonizes and returns.
    rc=0
    (
        server_env
        exec timeout -k 5 60 apache2 -f "$A/httpd.conf" -k start
    ) >"$A/start.out" 2>&1 </dev/null || rc=$?
    [ "$rc" -eq 0 ] || fail "$CASE: apache2 ($mpm) did not start (status $rc): $(cat "$A/start.out")"
    wait_for "$CASE: apache2 ($mpm) writes its pid file" "$A/run/httpd.pid" '^[0-9]+$' 30
    parent=$(cat "$A/run/httpd.pid")
    TK_BG_PIDS+=("$parent")
    wait_listening "$CASE: apache2 ($mpm)" "$port"
    # Apache listens before it logs that it runs: wait for the line.
    wait_for "$CASE: apache2 ($mpm)" "$A/error.log" "\\[mpm_$mpm:notice\\].*resuming normal operations" 30
    pass "$CASE: apache2 runs the $mpm MPM"

    : >"$C/bodies"
    fetch_pages "apache $mpm" "$port" 12 "^apache $mpm with a TPM key\$"
    fetch_parallel "apache $mpm" "$port" 8 "^apache $mpm with a TPM key\$"

    # The access log is written when a request ends: all 20 are there.
    for _ in $(seq 1 100); do
        [ "$(grep -c ' 200 GET / ' "$A/access.log" 2>/dev/null)" -ge 20 ] && break
        sleep 0.1
    done
    assert_eq "$CASE: $mpm: 20 requests in the access log" 20 "$(grep -c ' 200 GET / ' "$A/access.log")"
    mapfile -t served < <(awk '{ print $1 }' "$A/access.log" | sort -u)
    for pid in "${served[@]}"; do
        [ "$pid" != "$parent" ] || fail "$CASE: $mpm: the parent served a request itself"
        assert_child_did_tpm_work "$pid"
    done
    pass "$CASE: $mpm: served by ${#served[@]} forked children: ${served[*]}"
    # 3 connections per child at most: 20 connections need 7 or more.
    [ "${#served[@]}" -ge 7 ] || fail "$CASE: $mpm: 20 connections on only ${#served[@]} children"
    assert_clean_trace

    kill -TERM "$parent"
    wait_gone "$CASE: apache2 ($mpm) parent" "$parent" 30
    assert_no_grep "$CASE: $mpm: no error in Apache's log" \
        '\[[a-z_]*:(emerg|alert|crit|error)\]|exit signal|seg(mentation)? ?fault' "$A/error.log"
}

for c in $SERVER_CASES; do
    if [ "$c" = tabrmd ]; then
        use_case "$c" "$RUN_AS"
    else
        use_case "$c"
    fi
    sed -i "s|^module = .*|module = $T/mod/tpmkit.so|" "$C/openssl.cnf"
    serve prefork
    serve event
    end_case
done
