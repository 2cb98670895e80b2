#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Cold start: whole processes as users run them, one TPM operation each.

For tpmkit, tpm2-openssl and the minimal command sequence (tpmkit-bench
--minimal: raw ESYS calls in a fresh process, the fewest TPM commands with
tpmkit's protection), each of

  openssl dgst -sign (EC, RSA key), openssl pkeyutl -decrypt (RSA OAEP),
  openssl mac (TPM2-HMAC key), openssl rand -hex 32 (DRBG seeded by the
  TPM), one TLS handshake of a fresh openssl s_server

is run as a fresh process, first with no persisted storage primary, then
with the standard storage primary persisted at 0x81000001. The wall clock
is spawn to exit; with --log (the command log of bench/tpm_latency.py) the
TPM commands that process sent are counted, with the model's time for
them. Called by bench/run.sh, which sets TPMKIT_TCTI, TPM2OPENSSL_TCTI and
TPM2TOOLS_TCTI. Prints figures; never judges them.

  cold.py --prog TPMKIT-BENCH --module-dir DIR --keys DIR --work DIR
          [--rounds N] [--log FILE --model NAME] [--tabrmd]
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

SRK = '0x81000001'
# The standard storage primary (DESIGN.md: parent 0x40000001 of key files).
SRK_ATTRS = ('fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|'
             'restricted|decrypt')
COLS = ('minimal', 'tpmkit', 'tpm2-openssl')
# With a persisted primary tpm2-openssl runs twice: on the same key files as
# tpmkit (parent 0x40000001: it creates a primary), and on copies whose
# parent field names the persisted handle (then it uses that handle).
T2O_PERSISTED = 't2o@81000001'
ROWS = (
    ('sign-ec', 'openssl dgst -sign, EC P-256 key'),
    ('sign-rsa', 'openssl dgst -sign, RSA-2048 key'),
    ('decrypt', 'openssl pkeyutl -decrypt, RSA OAEP'),
    ('mac', 'openssl mac, TPM2-HMAC key'),
    ('rand', 'openssl rand -hex 32, TPM-seeded'),
    ('tls', 's_server: start + 1 TLS 1.3 handshake'),
)
TIMEOUT = 300


class Na(Exception):
    """A cell that cannot be measured, with the reason."""


def der_len(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(body)]) + body


def der_items(data):
    """The (tag, whole TLV) items of a DER body."""
    pos, out = 0, []
    while pos < len(data):
        tag, size = data[pos], data[pos + 1]
        hdr = 2
        if size & 0x80:
            n = size & 0x7f
            size = int.from_bytes(data[pos + 2:pos + 2 + n], 'big')
            hdr += n
        out.append((tag, data[pos:pos + hdr + size]))
        pos += hdr + size
    return out


def reparent(src, dst, handle):
    """A copy of a TSS2 PRIVATE KEY file whose parent is `handle`. The key
    is the same: created under the standard primary, it loads under the
    persisted copy of that primary."""
    import base64
    text = open(src, encoding='ascii').read().split('\n')
    b64 = ''.join(line for line in text if line and not line.startswith('-'))
    der = base64.b64decode(b64)
    (tag, whole), = der_items(der)
    hdr = 2 + (whole[1] & 0x7f if whole[1] & 0x80 else 0)
    items = der_items(whole[hdr:])
    value = handle.to_bytes(4, 'big')
    if value[0] & 0x80:
        value = b'\0' + value
    out = b''
    for t, item in items:
        if t == 0x02:   # the parent INTEGER
            item = b'\x02' + der_len(len(value)) + value
        out += item
    der = bytes([tag]) + der_len(len(out)) + out
    b64 = base64.b64encode(der).decode()
    with open(dst, 'w', encoding='ascii') as f:
        f.write('-----BEGIN TSS2 PRIVATE KEY-----\n')
        for i in range(0, len(b64), 64):
            f.write(b64[i:i + 64] + '\n')
        f.write('-----END TSS2 PRIVATE KEY-----\n')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Cold:
    def __init__(self, args):
        self.a = args
        self.work = args.work
        os.makedirs(self.work, exist_ok=True)
        self.env = dict(os.environ)
        for name in ('OPENSSL_CONF', 'OPENSSL_MODULES', 'LD_PRELOAD'):
            self.env.pop(name, None)
        self.tk = ['-provider-path', args.module_dir, '-provider', 'tpmkit',
                   '-provider', 'default']
        # Without the property query OpenSSL 3.0 signs with the default
        # provider on the exported public part (docs/performance.md).
        self.t2o = ['-provider', 'tpm2', '-provider', 'default',
                    '-propquery', '?provider=tpm2']
        self.k = lambda name: os.path.join(args.keys, name)
        self.w = lambda name: os.path.join(self.work, name)
        self.results = {}   # (row, phase, col) -> {'wall': [], 'cmds': ...}
        self.notes = []
        self.write_inputs()

    # --- set-up --------------------------------------------------------

    def write_inputs(self):
        with open(self.w('msg'), 'wb') as f:
            f.write(b'tpmkit cold start\n' * 4)
        with open(self.w('secret'), 'wb') as f:
            f.write(os.urandom(32))
        self.run_ok(['openssl', 'pkeyutl', '-encrypt', '-pubin', '-inkey',
                     self.k('rsa.pub.pem'), '-pkeyopt',
                     'rsa_padding_mode:oaep', '-in', self.w('secret'),
                     '-out', self.w('ct')])
        sample = open(os.path.join(os.path.dirname(__file__), '..',
                                   'openssl.cnf.sample')).read()
        with open(self.w('tk-seed.cnf'), 'w') as f:
            f.write(sample.replace('@TPMKIT_MODULE@', os.path.join(
                self.a.module_dir, 'tpmkit.so')))
        # tpm2-openssl's RAND is a whole DRBG of its own (every byte from
        # TPM2_GetRandom): made the primary DRBG, it is the nearest thing.
        with open(self.w('t2o-rand.cnf'), 'w') as f:
            f.write('openssl_conf = init\n[init]\nproviders = prov\n'
                    'random = rnd\n[prov]\ndefault = act\ntpm2 = act\n'
                    '[act]\nactivate = 1\n[rnd]\nrandom = CTR-DRBG\n'
                    'properties = provider=tpm2\n')
        for name in ('ec.pem', 'rsa.pem'):
            reparent(self.k(name), self.w('p-' + name), 0x81000001)

    def run_ok(self, cmd, env=None):
        r = subprocess.run(cmd, env=env or self.env, capture_output=True,
                           timeout=TIMEOUT, check=False)
        if r.returncode != 0:
            raise SystemExit('cold.py: %s failed: %s' % (
                ' '.join(cmd), r.stderr.decode(errors='replace').strip()))
        return r.stdout.decode(errors='replace')

    def tools(self, *cmd):
        return self.run_ok(['tpm2_' + cmd[0]] + list(cmd[1:]))

    def persist(self):
        self.tools('createprimary', '-Q', '-C', 'o', '-g', 'sha256', '-G',
                   'ecc256:aes128cfb', '-a', SRK_ATTRS, '-c', self.w('p.ctx'))
        self.tools('evictcontrol', '-Q', '-C', 'o', '-c', self.w('p.ctx'), SRK)
        self.tools('flushcontext', '-t')
        # The ESYS_TR of the persisted primary for the minimal sequences;
        # tpmkit-bench checks that its name is the standard primary's.
        self.run_ok([self.a.prog, '--save-srk', self.w('srk.tr')])

    def unpersist(self):
        r = subprocess.run(['tpm2_getcap', 'handles-persistent'],
                           env=self.env, capture_output=True, check=False,
                           timeout=TIMEOUT)
        if SRK in r.stdout.decode():
            self.tools('evictcontrol', '-Q', '-C', 'o', '-c', SRK)

    # --- one process ---------------------------------------------------

    @staticmethod
    def cols(persisted):
        return COLS + (T2O_PERSISTED,) if persisted else COLS

    def command(self, row, col, persisted):
        """(argv, environment) of one cold process; Na if not applicable."""
        env = self.env
        if col == 'minimal':
            op = 'sign-ec' if row == 'tls' else row
            cmd = [self.a.prog, '--minimal', op, '--keys', self.a.keys]
            return cmd + (['--srk', self.w('srk.tr')] if persisted else []), env
        tk = col == 'tpmkit'
        prov = self.tk if tk else self.t2o

        def key(name):
            return self.w('p-' + name) if col == T2O_PERSISTED \
                else self.k(name)
        if row in ('sign-ec', 'sign-rsa'):
            name = 'ec.pem' if row == 'sign-ec' else 'rsa.pem'
            return (['openssl', 'dgst'] + prov
                    + ['-sha256', '-sign', key(name), '-out', self.w('sig'),
                       self.w('msg')], env)
        if row == 'decrypt':
            return (['openssl', 'pkeyutl'] + prov
                    + ['-decrypt', '-inkey', key('rsa.pem'), '-pkeyopt',
                       'rsa_padding_mode:oaep', '-in', self.w('ct'), '-out',
                       self.w('pt')], env)
        if row == 'mac':
            if not tk:
                raise Na('tpm2-openssl has no MAC')
            return (['openssl', 'mac'] + prov
                    + ['-digest', 'SHA256', '-macopt',
                       'key-uri:' + self.k('hmac.pem'), '-in', self.w('msg'),
                       'TPM2-HMAC'], env)
        if row == 'rand':
            env = dict(env, OPENSSL_CONF=self.w('tk-seed.cnf' if tk
                                                 else 't2o-rand.cnf'))
            return ['openssl', 'rand', '-hex', '32'], env
        name = 'ec.pem'
        return (['openssl', 's_server'] + prov
                + ['-key', key(name), '-cert', self.k('ec.crt'), '-naccept',
                   '1', '-tls1_3', '-no_ticket'], env)

    def spawn(self, row, col, persisted):
        """Wall milliseconds of one process, and whether it worked."""
        cmd, env = self.command(row, col, persisted)
        start = time.monotonic()
        if row != 'tls' or col == 'minimal':
            r = subprocess.run(cmd, env=env, capture_output=True,
                               timeout=TIMEOUT, check=False)
            wall = (time.monotonic() - start) * 1e3
            if r.returncode != 0:
                raise Na(self.reason(r.stderr))
            if row == 'decrypt' and col != 'minimal' \
                    and open(self.w('pt'), 'rb').read() != \
                    open(self.w('secret'), 'rb').read():
                raise Na('wrong plaintext')
            return wall
        port = free_port()
        # s_server quits at EOF on its stdin: hold it open until the end.
        srv = subprocess.Popen(cmd + ['-accept', str(port)], env=env,
                               stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        ok = False
        # s_server prints ACCEPT once it listens; the client is plain
        # OpenSSL, no TPM.
        timer = threading.Timer(TIMEOUT, srv.kill)
        timer.start()
        for line in srv.stdout:
            if line.startswith(b'ACCEPT'):
                ok = True
                break
        timer.cancel()
        if ok:
            cli = subprocess.run(
                ['openssl', 's_client', '-connect', '127.0.0.1:%d' % port,
                 '-tls1_3', '-brief'], env=self.env,
                stdin=subprocess.DEVNULL, capture_output=True,
                timeout=TIMEOUT, check=False)
            ok = b'CONNECTION ESTABLISHED' in cli.stderr
        srv.stdin.close()
        try:
            srv.wait(timeout=TIMEOUT if ok else 5)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()
            ok = False
        wall = (time.monotonic() - start) * 1e3
        err = srv.stderr.read()
        srv.stdout.close()
        srv.stderr.close()
        if not ok:
            raise Na(self.reason(err, 'the handshake failed'))
        return wall

    @staticmethod
    def reason(stderr, fallback='fails'):
        lines = [line for line in stderr.decode(errors='replace').split('\n')
                 if line.strip()]
        errs = [line for line in lines if ':error:' in line]
        text = (errs or lines or [fallback])[0].strip()
        return 'fails: ' + text[:150]

    # --- the command log -----------------------------------------------

    def log_size(self):
        if not self.a.log:
            return None
        return os.path.getsize(self.a.log)

    def settle(self):
        """The log once it has stopped growing: a resource manager flushes
        a client's objects after the client is gone."""
        if not self.a.log:
            return None
        size, stable = self.log_size(), 0
        while stable < (6 if self.a.tabrmd else 2):
            time.sleep(0.05)
            now = self.log_size()
            stable = stable + 1 if now == size else 0
            size = now
        return size

    def commands(self, start, end):
        by, total, ms = {}, 0, 0.0
        with open(self.a.log, encoding='utf-8') as f:
            f.seek(start)
            for line in f.read(end - start).split('\n'):
                fields = line.split()
                if len(fields) < 4:
                    continue
                by[fields[1]] = by.get(fields[1], 0) + 1
                total += 1
                ms += float(fields[3])
        return by, total, ms

    # --- the run -------------------------------------------------------

    def measure(self, row, col, persisted, key=None):
        key = (key or row, persisted, col)
        cell = self.results.setdefault(key, {'wall': [], 'by': {}, 'n': 0,
                                             'cmds': 0, 'ms': 0.0,
                                             'na': None})
        if cell['na']:
            return
        start = self.settle()
        try:
            wall = self.spawn(row, col, persisted)
        except Na as e:
            cell['na'] = str(e)
            self.settle()
            return
        end = self.settle()
        cell['wall'].append(wall)
        if start is not None:
            by, total, ms = self.commands(start, end)
            for name, n in by.items():
                cell['by'][name] = cell['by'].get(name, 0) + n
            cell['n'] += 1
            cell['cmds'] += total
            cell['ms'] += ms

    def run(self):
        self.unpersist()
        for persisted in (False, True):
            if persisted:
                self.persist()
                # tpmkit checks a persisted primary once per user and TPM
                # (by creating the standard primary and comparing); the
                # first process pays it. Measured apart, so that the rows
                # show what every later process pays.
                self.measure('sign-ec', 'tpmkit', True, key='check')
            cols = self.cols(persisted)
            for r in range(self.a.rounds):
                for row, _ in ROWS:
                    for k in range(len(cols)):
                        self.measure(row, cols[(r + k) % len(cols)],
                                     persisted)
                print('cold.py: %s primary, round %d of %d done'
                      % ('persisted' if persisted else 'no persisted',
                         r + 1, self.a.rounds), file=sys.stderr)
        self.unpersist()
        self.report()

    # --- the table -----------------------------------------------------

    def note(self, why):
        if why not in self.notes:
            self.notes.append(why)
        return 'n/a[%d]' % (self.notes.index(why) + 1)

    @staticmethod
    def num(v):
        return '%.0f' % v if v >= 100 else '%.1f' % v if v >= 10 \
            else '%.2f' % v

    def tpm_ms(self, row, persisted, col):
        c = self.results.get((row, persisted, col))
        if c is None or c['na'] or not c['n']:
            return None
        return c['ms'] / c['n']

    def wall(self, row, persisted, col):
        c = self.results.get((row, persisted, col))
        if c is None or c['na'] or not c['wall'] or \
                (row == 'tls' and col == 'minimal'):
            return None
        return statistics.median(c['wall'])

    def report(self):
        counted = bool(self.a.log)
        model = self.a.model or 'swtpm'
        print('cold start: one fresh process per figure, %d round(s); wall'
              ' ms min/median/max,' % self.a.rounds)
        print('  TPM commands that process sent and their modelled time'
              ' (model %s)' % model)
        print('  primary: "created" = no persisted storage primary;'
              ' "persisted" = the standard')
        print('  storage primary at 0x81000001: tpmkit and tpm2-openssl use'
              ' the same key files')
        print('  (parent 0x40000001), %s uses copies with parent'
              ' 0x81000001, minimal the' % T2O_PERSISTED)
        print('  persisted handle')
        fmt = '%-40s %-9s %-12s %-20s %5s %8s  %s'
        print(fmt % ('operation', 'primary', 'column', 'wall ms', 'cmds',
                     'TPM ms', 'commands per process'))
        for row, title in ROWS:
            for persisted in (False, True):
                first = True
                for col in self.cols(persisted):
                    c = self.results.get((row, persisted, col))
                    if c is None:
                        continue
                    if c['na']:
                        wall, cmds, ms, by = self.note(c['na']), '-', '-', ''
                    else:
                        w = c['wall']
                        wall = '%s/%s/%s' % (self.num(min(w)),
                                             self.num(statistics.median(w)),
                                             self.num(max(w)))
                        if row == 'tls' and col == 'minimal':
                            wall = self.note(
                                'the minimal column of the TLS row is the'
                                ' TPM part of a handshake (one signature:'
                                ' the EC sign sequence), not a handshake')
                        if counted and c['n']:
                            n = c['n']
                            cmds = self.count(c['cmds'] / n)
                            ms = self.num(c['ms'] / n)
                            by = ', '.join('%s %s' % (k, self.count(v / n))
                                           for k, v in c['by'].items())
                        else:
                            cmds, ms, by = '-', '-', \
                                '(not counted: run with --model)'
                    print(fmt % (title if first else '',
                                 ('persisted' if persisted else 'created')
                                 if first else '', col, wall, cmds, ms, by))
                    first = False
        print()
        print('cold-start ratios (modelled TPM time per process; wall-clock'
              ' ratio in brackets)')
        for row, title in ROWS:
            for persisted in (False, True):
                parts = []
                pairs = (('tpmkit', 'minimal', 'tk/minimal'),
                         ('tpmkit', 'tpm2-openssl', 'tk/t2o'))
                if persisted:
                    pairs += (('tpmkit', T2O_PERSISTED, 'tk/' + T2O_PERSISTED),)
                for a, b, label in pairs:
                    x, y = self.tpm_ms(row, persisted, a), \
                        self.tpm_ms(row, persisted, b)
                    wx, wy = self.wall(row, persisted, a), \
                        self.wall(row, persisted, b)
                    r = '%.2f' % (x / y) if x is not None and y else '-'
                    rw = '%.2f' % (wx / wy) if wx and wy else '-'
                    parts.append('%s %s [%s]' % (label, r, rw))
                print('  %-40s %-9s %s' % (title, 'persisted' if persisted
                                           else 'created', '   '.join(parts)))
        self.report_check(counted)
        print()
        print('cold-start targets (issue 13; informational: never judged by'
              ' tests)')
        for row in ('sign-ec', 'sign-rsa'):
            name = 'EC' if row == 'sign-ec' else 'RSA'
            self.target('dgst -sign %s, persisted: tpmkit / tpm2-openssl'
                        % name, row, True, 'tpm2-openssl', 0.4)
            self.target('  (informational) tpmkit / %s' % T2O_PERSISTED,
                        row, True, T2O_PERSISTED, 0.4)
            self.target('dgst -sign %s, persisted: tpmkit / minimal' % name,
                        row, True, 'minimal', 1.1)
            self.target('dgst -sign %s, created: tpmkit / minimal' % name,
                        row, False, 'minimal', 1.1)
        print()
        print('notes')
        for i, why in enumerate(self.notes):
            print('  n/a[%d] %s' % (i + 1, why))
        print('  minimal = tpmkit-bench --minimal (raw ESYS in a fresh'
              ' process: the fewest TPM commands, secrets in a salted'
              ' session)')

    def report_check(self, counted):
        c = self.results.get(('check', True, 'tpmkit'))
        if c is None:
            return
        print()
        print('  not in the rows above: the first tpmkit process after the'
              ' primary was persisted')
        print('  (dgst -sign EC) checks it once per user and TPM:', end=' ')
        if c['na']:
            print(c['na'])
        elif counted and c['n']:
            print('%s commands, %s TPM ms (%s)' % (
                self.count(c['cmds'] / c['n']), self.num(c['ms'] / c['n']),
                ', '.join('%s %s' % (k, self.count(v / c['n']))
                          for k, v in c['by'].items())))
        else:
            print('wall %s ms (not counted: run with --model)'
                  % self.num(statistics.median(c['wall'])))

    def target(self, what, row, persisted, other, goal):
        x, y = self.tpm_ms(row, persisted, 'tpmkit'), \
            self.tpm_ms(row, persisted, other)
        if x is None or not y:
            print('  %-56s    n/a   (goal <= %.2f): not measured'
                  % (what, goal))
            return
        print('  %-56s %6.2f   (goal <= %.2f): %s'
              % (what, x / y, goal, 'met' if x / y <= goal else 'MISSED'))

    @staticmethod
    def count(v):
        return '%d' % v if v == int(v) else '%.2f' % v


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--prog', required=True)
    p.add_argument('--module-dir', required=True)
    p.add_argument('--keys', required=True)
    p.add_argument('--work', required=True)
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--log')
    p.add_argument('--model')
    p.add_argument('--tabrmd', action='store_true')
    Cold(p.parse_args()).run()


if __name__ == '__main__':
    main()
