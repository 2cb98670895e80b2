#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A modelled TPM chip in front of swtpm: the latency layer of bench/run.sh.

The tss2 "swtpm" TCTI talks TPM commands on a data port P and swtpm's
control protocol on P+1. This proxy listens on both and forwards to the
real swtpm on SP and SP+1. Control traffic passes through untouched. On the
data port each response is held until the modelled chip would have
answered: the model's time for that command (bench/chip-models.txt) minus
the time swtpm actually took, so that the wall clock approximates the chip.
The chip does one command at a time: a lock spans forwarding a command,
the wait for swtpm and the hold, so two clients (a resource manager and a
tool, two processes without one) queue as they would on the real chip.

  tpm_latency.py --listen P --tpm SP --models FILE --model NAME
                 [--log FILE] [--ready FILE]

--model none holds nothing: it only counts. --log FILE gets one line per
command, written before the response is sent on (so whoever got the
response finds its line there):

  CC NAME CLASS MODEL_MS SWTPM_MS RC

--ready FILE is written (atomically, holding the proxy's pid) once both
ports listen. The proxy runs until killed (SIGTERM).
"""
import os

# This proxy's own Python must not read an OpenSSL configuration meant for
# the bench (tpmkit seeding itself through this very proxy).
for _name in ('OPENSSL_CONF', 'OPENSSL_MODULES'):
    os.environ.pop(_name, None)

import argparse  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import socketserver  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

# Command codes (TPM 2.0 Part 2, TPM_CC) -> names, for the log and the model.
CC_NAMES = {
    0x11F: 'NV_UndefineSpaceSpecial', 0x120: 'EvictControl',
    0x121: 'HierarchyControl', 0x122: 'NV_UndefineSpace',
    0x124: 'ChangeEPS', 0x125: 'ChangePPS', 0x126: 'Clear',
    0x127: 'ClearControl', 0x128: 'ClockSet', 0x129: 'HierarchyChangeAuth',
    0x12A: 'NV_DefineSpace', 0x12B: 'PCR_Allocate', 0x12C: 'PCR_SetAuthPolicy',
    0x12D: 'PP_Commands', 0x12E: 'SetPrimaryPolicy', 0x12F: 'FieldUpgradeStart',
    0x130: 'ClockRateAdjust', 0x131: 'CreatePrimary', 0x132: 'NV_GlobalWriteLock',
    0x133: 'GetCommandAuditDigest', 0x134: 'NV_Increment', 0x135: 'NV_SetBits',
    0x136: 'NV_Extend', 0x137: 'NV_Write', 0x138: 'NV_WriteLock',
    0x139: 'DictionaryAttackLockReset', 0x13A: 'DictionaryAttackParameters',
    0x13B: 'NV_ChangeAuth', 0x13C: 'PCR_Event', 0x13D: 'PCR_Reset',
    0x13E: 'SequenceComplete', 0x13F: 'SetAlgorithmSet',
    0x140: 'SetCommandCodeAuditStatus', 0x141: 'FieldUpgradeData',
    0x142: 'IncrementalSelfTest', 0x143: 'SelfTest', 0x144: 'Startup',
    0x145: 'Shutdown', 0x146: 'StirRandom', 0x147: 'ActivateCredential',
    0x148: 'Certify', 0x149: 'PolicyNV', 0x14A: 'CertifyCreation',
    0x14B: 'Duplicate', 0x14C: 'GetTime', 0x14D: 'GetSessionAuditDigest',
    0x14E: 'NV_Read', 0x14F: 'NV_ReadLock', 0x150: 'ObjectChangeAuth',
    0x151: 'PolicySecret', 0x152: 'Rewrap', 0x153: 'Create',
    0x154: 'ECDH_ZGen', 0x155: 'HMAC', 0x156: 'Import', 0x157: 'Load',
    0x158: 'Quote', 0x159: 'RSA_Decrypt', 0x15B: 'HMAC_Start',
    0x15C: 'SequenceUpdate', 0x15D: 'Sign', 0x15E: 'Unseal',
    0x160: 'PolicySigned', 0x161: 'ContextLoad', 0x162: 'ContextSave',
    0x163: 'ECDH_KeyGen', 0x164: 'EncryptDecrypt', 0x165: 'FlushContext',
    0x167: 'LoadExternal', 0x168: 'MakeCredential', 0x169: 'NV_ReadPublic',
    0x16A: 'PolicyAuthorize', 0x16B: 'PolicyAuthValue',
    0x16C: 'PolicyCommandCode', 0x16D: 'PolicyCounterTimer',
    0x16E: 'PolicyCpHash', 0x16F: 'PolicyLocality', 0x170: 'PolicyNameHash',
    0x171: 'PolicyOR', 0x172: 'PolicyTicket', 0x173: 'ReadPublic',
    0x174: 'RSA_Encrypt', 0x176: 'StartAuthSession', 0x177: 'VerifySignature',
    0x178: 'ECC_Parameters', 0x179: 'FirmwareRead', 0x17A: 'GetCapability',
    0x17B: 'GetRandom', 0x17C: 'GetTestResult', 0x17D: 'Hash',
    0x17E: 'PCR_Read', 0x17F: 'PolicyPCR', 0x180: 'PolicyRestart',
    0x181: 'ReadClock', 0x182: 'PCR_Extend', 0x183: 'PCR_SetAuthValue',
    0x184: 'NV_Certify', 0x185: 'EventSequenceComplete',
    0x186: 'HashSequenceStart', 0x187: 'PolicyPhysicalPresence',
    0x188: 'PolicyDuplicationSelect', 0x189: 'PolicyGetDigest',
    0x18A: 'TestParms', 0x18B: 'Commit', 0x18C: 'PolicyPassword',
    0x18D: 'ZGen_2Phase', 0x18E: 'EC_Ephemeral', 0x18F: 'PolicyNvWritten',
    0x190: 'PolicyTemplate', 0x191: 'CreateLoaded',
    0x192: 'PolicyAuthorizeNV', 0x193: 'EncryptDecrypt2',
}

ST_SESSIONS = 0x8002
RH_NULL = 0x40000007
ALG_TYPES = {0x0001: 'RSA', 0x0008: 'KEYEDHASH', 0x0023: 'ECC',
             0x0025: 'SYMCIPHER'}
SIG_TYPES = {0x0014: 'RSA', 0x0016: 'RSA', 0x0018: 'ECC', 0x001A: 'ECC',
             0x001B: 'ECC', 0x001C: 'ECC', 0x0005: 'KEYEDHASH'}
# Far more than any TPM command: a bigger size field is not a TPM frame.
MAX_FRAME = 1 << 20


def u16(data, pos):
    return struct.unpack_from('>H', data, pos)[0]


def u32(data, pos):
    return struct.unpack_from('>I', data, pos)[0]


def public_type(cmd, handles):
    """The object type in the inPublic of Create, CreatePrimary or
    CreateLoaded: after the handles, the authorization area and
    inSensitive (whose size is never encrypted)."""
    pos = 10 + 4 * handles
    if u16(cmd, 0) == ST_SESSIONS:
        pos += 4 + u32(cmd, pos)
    pos += 2 + u16(cmd, pos)   # inSensitive
    return ALG_TYPES.get(u16(cmd, pos + 2), 'default')


def signature_type(rsp):
    """The key type of a TPM2_Sign response, from its sigAlg."""
    pos = 10
    if u16(rsp, 0) == ST_SESSIONS:
        pos += 4                # parameterSize
    return SIG_TYPES.get(u16(rsp, pos), 'default')


def command_class(cmd, rsp):
    """The model's class for a command and its response."""
    cc = u32(cmd, 6)
    name = CC_NAMES.get(cc, 'CC_0x%x' % cc)
    try:
        if cc == 0x131:
            return name, 'CreatePrimary.' + public_type(cmd, 1)
        if cc in (0x153, 0x191):
            return name, 'Create.' + public_type(cmd, 1)
        if cc == 0x15D:
            rc = u32(rsp, 6)
            return name, 'Sign.' + (signature_type(rsp) if rc == 0 else 'ECC')
        if cc == 0x176:
            return name, ('StartAuthSession.'
                          + ('unsalted' if u32(cmd, 10) == RH_NULL
                             else 'salted'))
    except struct.error:
        pass
    return name, name


class Model:
    """Milliseconds per class for one chip, from the models file."""

    def __init__(self, path, chip):
        self.ms = {}
        chips = set()
        with open(path, encoding='utf-8') as f:
            for line in f:
                fields = line.split()
                if not fields or fields[0].startswith('#'):
                    continue
                klass, name, ms = fields[0], fields[1], float(fields[2])
                chips.add(name)
                if name == chip:
                    self.ms[klass] = ms
        if chip != 'none' and chip not in chips:
            raise SystemExit('tpm_latency.py: no model "%s" in %s (models: %s)'
                             % (chip, path, ', '.join(sorted(chips))))
        self.none = chip == 'none'

    def time(self, klass):
        if self.none:
            return 0.0
        if klass in self.ms:
            return self.ms[klass]
        base = klass.split('.')[0]
        for k in (base + '.default', base, 'default'):
            if k in self.ms:
                return self.ms[k]
        return 0.0


def recv_exact(sock, n):
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_frame(sock):
    head = recv_exact(sock, 10)
    if head is None:
        return None
    size = u32(head, 2)
    if size < 10 or size > MAX_FRAME:
        raise ConnectionError('not a TPM frame (size %d)' % size)
    rest = recv_exact(sock, size - 10)
    if rest is None:
        return None
    return head + rest


class Chip:
    def __init__(self, args):
        self.model = Model(args.models, args.model)
        self.tpm = args.tpm
        self.lock = threading.Lock()      # the chip: one command at a time
        self.log = open(args.log, 'a', encoding='utf-8') if args.log else None

    def exchange(self, upstream, cmd):
        """Send one command, hold its response as the chip would."""
        with self.lock:
            start = time.monotonic()
            upstream.sendall(cmd)
            rsp = recv_frame(upstream)
            if rsp is None:
                return None
            took = time.monotonic() - start
            name, klass = command_class(cmd, rsp)
            model = self.model.time(klass)
            hold = model / 1e3 - took
            if hold > 0:
                time.sleep(hold)
            if self.log is not None:
                self.log.write('0x%x %s %s %g %.3f 0x%x\n'
                               % (u32(cmd, 6), name, klass, model, took * 1e3,
                                  u32(rsp, 6)))
                self.log.flush()
        return rsp


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class DataHandler(socketserver.BaseRequestHandler):
    def handle(self):
        chip = self.server.chip
        upstream = socket.create_connection(('127.0.0.1', chip.tpm))
        try:
            while True:
                cmd = recv_frame(self.request)
                if cmd is None:
                    break
                rsp = chip.exchange(upstream, cmd)
                if rsp is None:
                    break
                self.request.sendall(rsp)
        except (OSError, ConnectionError):
            pass
        finally:
            upstream.close()


class CtrlHandler(socketserver.BaseRequestHandler):
    def handle(self):
        upstream = socket.create_connection(('127.0.0.1',
                                             self.server.chip.tpm + 1))
        back = threading.Thread(target=pump, args=(upstream, self.request),
                                daemon=True)
        back.start()
        pump(self.request, upstream)
        back.join()
        upstream.close()


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--listen', type=int, required=True)
    p.add_argument('--tpm', type=int, required=True)
    p.add_argument('--models', required=True)
    p.add_argument('--model', required=True)
    p.add_argument('--log')
    p.add_argument('--ready')
    args = p.parse_args()
    chip = Chip(args)
    servers = []
    for port, handler in ((args.listen, DataHandler),
                          (args.listen + 1, CtrlHandler)):
        srv = Server(('127.0.0.1', port), handler)
        srv.chip = chip
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    if args.ready:
        tmp = args.ready + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write('%d\n' % os.getpid())
        os.rename(tmp, args.ready)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    for srv in servers:
        srv.shutdown()
    sys.exit(0)


if __name__ == '__main__':
    main()
