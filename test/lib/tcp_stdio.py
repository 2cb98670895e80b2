# SPDX-License-Identifier: Apache-2.0
"""A TPM behind the tss2 `cmd` TCTI for tests: passes raw TPM commands from
stdin to swtpm's data port and its responses back to stdout. One
connection per command, as tss2's swtpm TCTI does: swtpm serves one
connection at a time, and other processes' commands must get through.

Usage: cmd:python3 tcp_stdio.py HOST PORT   (as a TPMKIT_TCTI value)"""
import socket
import struct
import sys


def read_exact(read, n):
    buf = b""
    while len(buf) < n:
        chunk = read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def main():
    stdin, stdout = sys.stdin.buffer.raw, sys.stdout.buffer
    while True:
        # A TPM command and its response both carry their length at 2..6.
        head = read_exact(stdin.read, 10)
        if head is None:
            return
        body = read_exact(stdin.read, struct.unpack(">I", head[2:6])[0] - 10)
        with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as conn:
            conn.sendall(head + body)
            rhead = read_exact(conn.recv, 10)
            if rhead is None:
                return
            rbody = read_exact(conn.recv,
                               struct.unpack(">I", rhead[2:6])[0] - 10)
        stdout.write(rhead + rbody)
        stdout.flush()


main()
