#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run a command of this tree inside a throwaway Debian chroot made with
# debootstrap from the archive apt already uses: CI's Debian 13 run, and
# the install check of the Debian 12 package in a clean system.
#
# Usage: scripts/ci-chroot.sh SUITE SETS COMMAND
#   SUITE    a Debian suite: trixie, bookworm, ...
#   SETS     scripts/deps.sh sets to install inside, comma-separated (test,package)
#   COMMAND  a bash command run in the copy of this tree (/src) inside
# Environment: TK_CI_CACHE (default /var/cache/tpmkit-ci; empty: no cache)
#   keeps a tarball of each suite's prepared chroot for 7 days, so a re-run
#   skips debootstrap and most of apt; TK_CI_MIRROR overrides the mirror;
#   TK_CI_COPY=DIR copies DIR into /src/DIR first (e.g. a built .deb).
#
# The chroot lives in a scratch directory. /proc, /sys, /dev, /dev/pts and
# a /dev/shm are mounted in a private mount namespace of each command, so
# no mount can outlive it, and they are unmounted on the way out; an EXIT
# trap ends what the command left running in the chroot and removes it.
# There is no init in the chroot: the tests start swtpm, dbus, tpm2-abrmd,
# nginx and apache2 themselves; package scripts may not start services.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 3 ]; then
    sed -n 's/^# \{0,1\}//; 6,12p' "$0" >&2
    exit 2
fi
suite=$1
sets=${2//,/ }
command=$3
cache=${TK_CI_CACHE-/var/cache/tpmkit-ci}

if [ "$(id -u)" -ne 0 ]; then
    echo "ci-chroot.sh: needs root (debootstrap, chroot, mount)" >&2
    exit 2
fi
for tool in debootstrap unshare chroot findmnt; do
    command -v "$tool" >/dev/null || { echo "ci-chroot.sh: $tool is missing (scripts/deps.sh package)" >&2; exit 2; }
done

# The Debian mirror apt uses here (deb822 or one-line sources), not the
# security archive.
mirror() {
    if [ -n "${TK_CI_MIRROR:-}" ]; then
        echo "$TK_CI_MIRROR"
        return
    fi
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
        2>/dev/null \
        | sed -nE 's/^URIs:[[:space:]]*//p; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//p' \
        | tr ' ' '\n' | grep -E '^https?://' | grep -E '/debian/?$' | head -n 1 \
        || true
}
security_mirror() {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
        2>/dev/null \
        | sed -nE 's/^URIs:[[:space:]]*//p; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//p' \
        | tr ' ' '\n' | grep -E '^https?://' | grep -E '/debian-security/?$' | head -n 1 \
        || true
}
MIRROR=$(mirror)
[ -n "$MIRROR" ] || { echo "ci-chroot.sh: no Debian mirror in /etc/apt/sources.list*" >&2; exit 2; }
SECURITY=$(security_mirror)

last=$(date +%s)
# lap WHAT: prints how long the part since the previous lap took.
lap() {
    local now
    now=$(date +%s)
    echo "=== $suite: $1: $((now - last)) s"
    last=$now
}

work=$(mktemp -d /var/tmp/tpmkit-ci-"$suite".XXXXXX)
root=$work/root
mkdir "$root"

# Processes whose root directory is the chroot: what a command left behind.
chroot_pids() {
    local p r
    for p in /proc/[0-9]*; do
        r=$(readlink "$p/root" 2>/dev/null) || continue
        if [ "$r" = "$root" ]; then echo "${p#/proc/}"; fi
    done
}

cleanup() {
    local rc=$? pids
    set +e
    trap - EXIT INT TERM
    pids=$(chroot_pids)
    if [ -n "$pids" ]; then
        echo "ci-chroot.sh: ending what was left running in the chroot: $(echo "$pids" | tr '\n' ' ')"
        # shellcheck disable=SC2086 # one PID per word
        kill -TERM $pids 2>/dev/null
        sleep 1
        pids=$(chroot_pids)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
    fi
    # The mounts live in the commands' own namespaces; this is for a mount
    # made here by hand or by an older version of this script.
    findmnt -rn -o TARGET | grep -F "$root/" | sort -r | while read -r m; do
        umount -l "$m"
    done
    if findmnt -rn -o TARGET | grep -qF "$root/"; then
        echo "ci-chroot.sh: something is still mounted under $root: left in place" >&2
    else
        rm -rf --one-file-system "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# in_chroot COMMAND: bash -c COMMAND inside the chroot, in /src, with a
# clean environment and the pseudo file systems mounted (private namespace).
in_chroot() {
    unshare --mount --propagation private -- /bin/bash -euc '
        root=$1; shift
        trap "umount -R \"$root/dev/pts\" \"$root/dev/shm\" \"$root/dev\" \"$root/sys\" \"$root/proc\" 2>/dev/null || true" EXIT
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount --bind /dev "$root/dev"
        mount --bind /dev/pts "$root/dev/pts"
        mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
        chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
            HOME=/root LANG=C.UTF-8 TERM=dumb CI="${CI:-}" DEBIAN_FRONTEND=noninteractive /bin/bash -c "cd /src && $1"
    ' in_chroot "$root" "$1"
}

tarball=
if [ -n "$cache" ] && mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
    tarball=$cache/$suite.tar
fi

if [ -n "$tarball" ] && [ -f "$tarball" ] && [ -z "$(find "$tarball" -mtime +6)" ]; then
    tar -C "$root" -xf "$tarball"
    lap "chroot from the cache ($tarball)"
    fresh=0
else
    include=()
    case $MIRROR in https:*) include=(--include=ca-certificates) ;; esac
    debootstrap --variant=minbase "${include[@]}" "$suite" "$root" "$MIRROR" \
        >"$work/debootstrap.log" 2>&1 || {
        tail -n 30 "$work/debootstrap.log" >&2
        echo "ci-chroot.sh: debootstrap $suite $MIRROR failed" >&2
        exit 1
    }
    {
        echo "deb $MIRROR $suite main"
        echo "deb $MIRROR $suite-updates main"
        if [ -n "$SECURITY" ]; then echo "deb $SECURITY $suite-security main"; fi
    } >"$root/etc/apt/sources.list"
    # No init here: package scripts must not start daemons (they would
    # listen on the host's network, outside the chroot's life).
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    lap "debootstrap --variant=minbase $suite ($MIRROR)"
    fresh=1
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# The tree: tracked and new files, no build directories.
rm -rf "$root/src"
mkdir "$root/src"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -C "$root/src" -xf -
if [ -n "${TK_CI_COPY:-}" ]; then
    mkdir -p "$root/src/$TK_CI_COPY"
    cp -a "$TK_CI_COPY"/. "$root/src/$TK_CI_COPY"/
fi
lap "source copied into the chroot"

# step WHAT COMMAND: COMMAND in the chroot, timed as WHAT, failing loudly.
step() {
    local rc=0
    in_chroot "$2" || rc=$?
    if [ "$rc" -ne 0 ]; then
        lap "FAILED (exit status $rc): $(tr -s ' \n' ' ' <<<"$1")"
        exit "$rc"
    fi
    lap "$(tr -s ' \n' ' ' <<<"$1")"
}

if [ "$fresh" = 1 ]; then
    step "packages installed inside (scripts/deps.sh $sets)" \
        "scripts/deps.sh --always $sets && apt-get clean"
    if [ -n "$tarball" ]; then
        tar -C "$root" --exclude=./src -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
        lap "chroot saved to the cache"
    fi
else
    # Only what the sets gained since the cache was made.
    step "packages checked inside (scripts/deps.sh $sets)" "scripts/deps.sh $sets"
fi

step "$command" "$command"
