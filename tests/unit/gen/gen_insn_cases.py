#!/usr/bin/env python3
"""
Generates tests/unit/insn_cases.inc, the case table of tests/unit/insn_test.c.
Run by hand after changing the decoder or the cases; not needed to build or
run the test. Needs GNU binutils (as, objdump, objcopy, nm; made with 2.40),
gcc and, for a second opinion in the report, llvm-objdump.

    tests/unit/gen/gen_insn_cases.py [--random N] [--seed S] [-o FILE] [--seeds DIR]

Cases come from four sources:
  * structured memory-access (MMIO) forms: instruction text built from
    templates x addressing modes x registers, assembled by gas; the expected
    ModRM/SIB/displacement/immediate fields are derived from the operands of
    the text (not from the encoding), the length from gas;
  * a broad list of instructions of every opcode map, assembled by gas:
    expected length only;
  * opcode sweeps of every map with several ModRM/SIB tails, and random byte
    strings: expected validity and length from objdump, except for the
    documented disagreements in `oracle_override()` where objdump is known
    to differ from the AMD/Intel manuals;
  * hand-written byte strings for prefix rules and the 15-byte limit.
The report on stderr lists every case where the decoder (built from
hypervisor/arch/x86/insn/decode.c into a small helper) disagrees with the
expectation, and where llvm-objdump disagrees with objdump.
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
MODES = ['r16', 'p16', 'p32', 'l64']
AS_CFG = {  # directive, as flag, objdump machine
    'r16': ('.code16', '--32', 'i8086'),
    'p16': ('.code16', '--32', 'i8086'),
    'p32': ('.code32', '--32', 'i386'),
    'l64': ('.code64', '--64', 'i386:x86-64'),
}
SEG_NONE = 0xff
TMP = tempfile.mkdtemp(prefix='insn-gen-')


def run(cmd, inp=None):
    p = subprocess.run(cmd, input=inp, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


# --------------------------------------------------------------------------
# gas: text -> bytes

def assemble(mode, lines):
    """Assembles each line separately labelled; returns {index: bytes}."""
    directive, asflag, _ = AS_CFG[mode]
    pending = list(range(len(lines)))
    while pending:
        src = [directive]
        for k, i in enumerate(pending):
            src.append(f'L{k}: {lines[i]}')
        src.append(f'L{len(pending)}: nop')
        s, o = os.path.join(TMP, 'a.s'), os.path.join(TMP, 'a.o')
        open(s, 'w').write('\n'.join(src) + '\n')
        rc, _, err = run(['as', asflag, s, '-o', o])
        bad = set()
        for m in re.finditer(r'^[^:]*:(\d+): (Error|Warning): (.*)$', err, re.M):
            ln = int(m.group(1)) - 2
            if 0 <= ln < len(pending):
                bad.add(ln)
                print(f'gas rejects [{mode}] {lines[pending[ln]]}: {m.group(3)}', file=sys.stderr)
        if bad:
            pending = [p for k, p in enumerate(pending) if k not in bad]
            continue
        if rc:
            sys.exit('as failed: ' + err)
        run(['objcopy', '-O', 'binary', '-j', '.text', o, o + '.bin'])
        blob = open(o + '.bin', 'rb').read()
        _, nmout, _ = run(['nm', o])
        addr = {}
        for ln in nmout.splitlines():
            a, _, name = ln.split()
            if name.startswith('L'):
                addr[int(name[1:])] = int(a, 16)
        res = {}
        for k, i in enumerate(pending):
            res[i] = blob[addr[k]:addr[k + 1]]
        return res
    return {}


# --------------------------------------------------------------------------
# disassemblers: bytes -> (length or None if invalid, text) of the first instruction

OBJDUMP_PREFIXES = {
    'rex', 'rex64', 'data16', 'data32', 'addr16', 'addr32', 'cs', 'ds', 'es', 'fs', 'gs',
    'ss', 'lock', 'rep', 'repz', 'repnz', 'repe', 'repne', 'notrack', 'bnd', 'xacquire',
    'xrelease'}


def _is_prefix_only(text):
    toks = text.split()
    return bool(toks) and all(t in OBJDUMP_PREFIXES or t.startswith('rex.') for t in toks)


def disasm(mode, blobs, tool='objdump'):
    directive, asflag, mach = AS_CFG[mode]
    slot = 32
    src = [directive]
    for i, b in enumerate(blobs):
        src.append(f'c{i}: .byte ' + ','.join(str(x) for x in b))
        src.append(f'.fill {slot - len(b)},1,0x90')
    s, o = os.path.join(TMP, 'd.s'), os.path.join(TMP, 'd.o')
    open(s, 'w').write('\n'.join(src) + '\n')
    rc, _, err = run(['as', asflag, s, '-o', o])
    if rc:
        sys.exit('as failed: ' + err)
    if tool == 'objdump':
        cmd = ['objdump', '-d', '-w', '--insn-width=16', '-m', mach, o]
    else:
        triple = {'p32': 'i386-unknown-linux', 'l64': 'x86_64-unknown-linux'}[mode]
        cmd = ['llvm-objdump', '-d', '--triple=' + triple, o]
    _, out, _ = run(cmd)
    per = {}
    cur = None
    for ln in out.splitlines():
        m = re.match(r'^[0-9a-f]+ <c(\d+)>:$', ln)
        if m:
            cur = per.setdefault(int(m.group(1)), [])
            continue
        m = re.match(r'^\s*([0-9a-f]+):\s+((?:[0-9a-f]{2}\s)+)\s*(.*)$', ln)
        if m and cur is not None:
            addr = int(m.group(1), 16)
            cur.append((addr, len(m.group(2).split()), m.group(3).strip()))
    res = []
    for i in range(len(blobs)):
        total, text = 0, ''
        got = (None, '(no output)')
        for addr, n, t in per.get(i, []):
            total += n
            text = (text + ' ' + t).strip()
            if _is_prefix_only(t):
                continue
            bad = '(bad)' in t or '<unknown>' in t
            got = (None if bad else total, text)
            break
        res.append(got)
    return res


# --------------------------------------------------------------------------
# the decoder under test, as a helper program

HELPER = r'''
#include <stdio.h>
#include <string.h>
#include "hypervisor/arch/x86/insn/decode.c"
int main(void)
{
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        int mode, n = 0, off = 0, k;
        unsigned v;
        uint8_t b[32];
        if (sscanf(line, "%d%n", &mode, &off) != 1)
            continue;
        while (n < 32 && sscanf(line + off, "%2x%n", &v, &k) == 1) {
            b[n++] = (uint8_t)v;
            off += k;
        }
        struct insn i;
        int r = insn_decode(&i, b, (size_t)n, (enum insn_mode)mode);
        printf("%d %u %u %u %u %d %u %d %d %d %d %d %u %u %u %d %u %u %u %d %u %d %d %d %lld %u %llu %u %llu %u %llu %d\n",
               r, i.len, i.nr_prefixes, i.opsize, i.addrsize, i.byte_op, i.rex, i.lock, i.rep,
               i.repne, i.opsize_prefix, i.vex, i.seg, i.map, i.opcode, i.has_modrm, i.mod, i.reg,
               i.rm, i.has_sib, i.scale, i.index, i.base, i.rip_relative, (long long)i.disp,
               i.disp_size, (unsigned long long)i.imm, i.imm_size, (unsigned long long)i.imm2,
               i.imm2_size, (unsigned long long)i.moffs, i.has_moffs);
    }
    return 0;
}
'''
FIELDS = ['result', 'len', 'nr_prefixes', 'opsize', 'addrsize', 'byte_op', 'rex', 'lock', 'rep',
          'repne', 'opsize_prefix', 'vex', 'seg', 'map', 'opcode', 'has_modrm', 'mod', 'reg', 'rm',
          'has_sib', 'scale', 'index', 'base', 'rip_relative', 'disp', 'disp_size', 'imm',
          'imm_size', 'imm2', 'imm2_size', 'moffs', 'has_moffs']
RESULT = {0: 'OK', -1: 'TRUNCATED', -2: 'INVALID'}
_helper = None


def ours(items):
    """items: [(mode, bytes)] -> list of field dicts."""
    global _helper
    if _helper is None:
        c, exe = os.path.join(TMP, 'h.c'), os.path.join(TMP, 'h')
        open(c, 'w').write(HELPER)
        rc, _, err = run(['gcc', '-std=gnu11', '-O1', '-Wall', '-Wextra', '-I' + ROOT,
                          '-I' + os.path.join(ROOT, 'hypervisor/include'), c, '-o', exe])
        if rc:
            sys.exit('helper build failed: ' + err)
        _helper = exe
    inp = ''.join(f'{MODES.index(m)} {b.hex()}\n' for m, b in items)
    _, out, _ = run([_helper], inp)
    res = []
    for ln in out.splitlines():
        d = dict(zip(FIELDS, (int(x) for x in ln.split())))
        d['result'] = RESULT[d['result']]
        res.append(d)
    return res


# --------------------------------------------------------------------------
# cases

class Case:
    def __init__(self, group, name, mode, data, result='OK', length=None, exp=None, given=None):
        self.group, self.name, self.mode, self.data = group, name, mode, bytes(data)
        self.result = result
        self.length = length if length is not None else (len(data) if result == 'OK' else 0)
        self.exp = exp or {}
        self.given = len(data) if given is None else given  # bytes passed as `avail`


CASES = []
SEEN = set()


def add_case(c):
    key = (c.mode, c.data[:c.given], c.result)
    if key in SEEN:
        return
    SEEN.add(key)
    CASES.append(c)


# ---- registers and addressing modes --------------------------------------

R64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'] + [f'r{i}' for i in range(8, 16)]
R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] + [f'r{i}d' for i in range(8, 16)]
R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'] + [f'r{i}w' for i in range(8, 16)]
R8X = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil'] + [f'r{i}b' for i in range(8, 16)]
R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh']
SUF = {1: 'b', 2: 'w', 4: 'l', 8: 'q'}


def regs(mode, sz):
    if mode == 'l64':
        return {1: R8X, 2: R16, 4: R32, 8: R64}[sz]
    return {1: R8, 2: R16[:8], 4: R32[:8]}[sz]


def default_opsize(mode):
    return 2 if mode in ('r16', 'p16') else 4


class AM:
    """An addressing mode and the fields it must decode to."""

    def __init__(self, text, asz, mod, base=-1, index=-1, scale=1, disp=0, dsize=0, sib=False,
                 rip=False, seg=SEG_NONE):
        self.text, self.asz = text, asz
        self.absolute = base == -1 and index == -1 and not rip
        self.f = dict(has_modrm=1, mod=mod, base=base, index=index, scale=scale, disp=disp,
                      disp_size=dsize, has_sib=int(sib), rip_relative=int(rip), addrsize=asz,
                      seg=seg)


AM64 = [
    AM('(%rax)', 8, 0, base=0),
    AM('(%rcx)', 8, 0, base=1),
    AM('(%rsp)', 8, 0, base=4, sib=True),
    AM('(%rbp)', 8, 1, base=5, dsize=1),
    AM('(%r12)', 8, 0, base=12, sib=True),
    AM('(%r13)', 8, 1, base=13, dsize=1),
    AM('(%r15)', 8, 0, base=15),
    AM('0x7f(%rdx)', 8, 1, base=2, disp=0x7f, dsize=1),
    AM('-0x80(%rbx)', 8, 1, base=3, disp=-0x80, dsize=1),
    AM('0x80(%rsi)', 8, 2, base=6, disp=0x80, dsize=4),
    AM('-0x12345678(%rdi)', 8, 2, base=7, disp=-0x12345678, dsize=4),
    AM('0x7fffffff(%r9)', 8, 2, base=9, disp=0x7fffffff, dsize=4),
    AM('0x10(%rsp)', 8, 1, base=4, disp=0x10, dsize=1, sib=True),
    AM('(%rax,%rbx)', 8, 0, base=0, index=3, sib=True),
    AM('(%rcx,%rdx,2)', 8, 0, base=1, index=2, scale=2, sib=True),
    AM('0x10(%rsp,%rbp,4)', 8, 1, base=4, index=5, scale=4, disp=0x10, dsize=1, sib=True),
    AM('0x1000(%r15,%r12,8)', 8, 2, base=15, index=12, scale=8, disp=0x1000, dsize=4, sib=True),
    AM('(%r13,%rax)', 8, 1, base=13, index=0, dsize=1, sib=True),
    AM('(%rbp,%r9,1)', 8, 1, base=5, index=9, dsize=1, sib=True),
    AM('(%r8,%r14,2)', 8, 0, base=8, index=14, scale=2, sib=True),
    AM('(%r12,%r12,8)', 8, 0, base=12, index=12, scale=8, sib=True),
    AM('(,%rcx,4)', 8, 0, index=1, scale=4, dsize=4, sib=True),
    AM('0x12345678(,%r11,8)', 8, 0, index=11, scale=8, disp=0x12345678, dsize=4, sib=True),
    AM('0x12345678', 8, 0, disp=0x12345678, dsize=4, sib=True),
    AM('-0x10', 8, 0, disp=-0x10, dsize=4, sib=True),
    AM('0x1000(%rip)', 8, 0, disp=0x1000, dsize=4, rip=True),
    AM('-0x20(%rip)', 8, 0, disp=-0x20, dsize=4, rip=True),
    AM('(%eax)', 4, 0, base=0),
    AM('0x10(%ebx,%ecx,2)', 4, 1, base=3, index=1, scale=2, disp=0x10, dsize=1, sib=True),
    AM('(%r8d)', 4, 0, base=8),
    AM('0x100(%r13d)', 4, 2, base=13, disp=0x100, dsize=4),
    AM('(%esp,%r10d,8)', 4, 0, base=4, index=10, scale=8, sib=True),
    AM('0x20(%eip)', 4, 0, disp=0x20, dsize=4, rip=True),
    AM('%fs:(%rax)', 8, 0, base=0, seg=4),
    AM('%gs:0x10(%rbx,%rsi,8)', 8, 1, base=3, index=6, scale=8, disp=0x10, dsize=1, sib=True, seg=5),
    AM('%gs:0x28', 8, 0, disp=0x28, dsize=4, sib=True, seg=5),
    AM('%fs:-0x8(%rip)', 8, 0, disp=-8, dsize=4, rip=True, seg=4),
    # 64-bit mode ignores the ES/CS/SS/DS overrides
    AM('%es:(%rcx)', 8, 0, base=1),
    AM('%ss:0x8(%rbp)', 8, 1, base=5, disp=8, dsize=1),
    AM('%ds:0x1000(%r11)', 8, 2, base=11, disp=0x1000, dsize=4),
]

AM32 = [
    AM('(%eax)', 4, 0, base=0),
    AM('(%ecx)', 4, 0, base=1),
    AM('(%esp)', 4, 0, base=4, sib=True),
    AM('(%ebp)', 4, 1, base=5, dsize=1),
    AM('(%edi)', 4, 0, base=7),
    AM('0x7f(%edx)', 4, 1, base=2, disp=0x7f, dsize=1),
    AM('-0x80(%ebx)', 4, 1, base=3, disp=-0x80, dsize=1),
    AM('0x80(%esi)', 4, 2, base=6, disp=0x80, dsize=4),
    AM('-0x12345678(%edi)', 4, 2, base=7, disp=-0x12345678, dsize=4),
    AM('0xfee00300', 4, 0, disp=0xfee00300 - (1 << 32), dsize=4),
    AM('0x12345678', 4, 0, disp=0x12345678, dsize=4),
    AM('0x8(%esp)', 4, 1, base=4, disp=8, dsize=1, sib=True),
    AM('(%eax,%ebx)', 4, 0, base=0, index=3, sib=True),
    AM('0x10(%esp,%ebp,4)', 4, 1, base=4, index=5, scale=4, disp=0x10, dsize=1, sib=True),
    AM('0x1000(%edi,%esi,8)', 4, 2, base=7, index=6, scale=8, disp=0x1000, dsize=4, sib=True),
    AM('(%ebp,%eax,2)', 4, 1, base=5, index=0, scale=2, dsize=1, sib=True),
    AM('(,%ecx,4)', 4, 0, index=1, scale=4, dsize=4, sib=True),
    AM('0xfec00000(,%edx,8)', 4, 0, index=2, scale=8, disp=0xfec00000 - (1 << 32), dsize=4, sib=True),
    AM('%fs:(%eax)', 4, 0, base=0, seg=4),
    AM('%gs:0x10(%ebx,%esi,8)', 4, 1, base=3, index=6, scale=8, disp=0x10, dsize=1, sib=True, seg=5),
    AM('%es:0x10(%edi)', 4, 1, base=7, disp=0x10, dsize=1, seg=0),
    AM('%cs:(%ebx)', 4, 0, base=3, seg=1),
    AM('%ss:(%eax)', 4, 0, base=0, seg=2),
    AM('%ds:(%ebp)', 4, 1, base=5, dsize=1, seg=3),
    AM('(%bx,%si)', 2, 0, base=3, index=6),
    AM('0x1234(%bp)', 2, 2, base=5, disp=0x1234, dsize=2),
    AM('-0x10(%di)', 2, 1, base=7, disp=-0x10, dsize=1),
]

AM16 = [
    AM('(%bx,%si)', 2, 0, base=3, index=6),
    AM('(%bx,%di)', 2, 0, base=3, index=7),
    AM('(%bp,%si)', 2, 0, base=5, index=6),
    AM('(%bp,%di)', 2, 0, base=5, index=7),
    AM('(%si)', 2, 0, base=6),
    AM('(%di)', 2, 0, base=7),
    AM('(%bp)', 2, 1, base=5, dsize=1),
    AM('(%bx)', 2, 0, base=3),
    AM('0x1234', 2, 0, disp=0x1234, dsize=2),
    AM('-0x2', 2, 0, disp=-2, dsize=2),
    AM('0x12(%bx)', 2, 1, base=3, disp=0x12, dsize=1),
    AM('-0x80(%bp,%di)', 2, 1, base=5, index=7, disp=-0x80, dsize=1),
    AM('0x1234(%si)', 2, 2, base=6, disp=0x1234, dsize=2),
    AM('0x7fff(%bx,%si)', 2, 2, base=3, index=6, disp=0x7fff, dsize=2),
    AM('-0x1000(%bp,%si)', 2, 2, base=5, index=6, disp=-0x1000, dsize=2),
    AM('(%eax)', 4, 0, base=0),
    AM('0x10(%esp,%ecx,4)', 4, 1, base=4, index=1, scale=4, disp=0x10, dsize=1, sib=True),
    AM('0x12345678(%ebx)', 4, 2, base=3, disp=0x12345678, dsize=4),
    AM('%es:(%di)', 2, 0, base=7, seg=0),
    AM('%fs:0x10(%bx)', 2, 1, base=3, disp=0x10, dsize=1, seg=4),
    AM('%ss:(%si)', 2, 0, base=6, seg=2),
    AM('%gs:0x800(%bp)', 2, 2, base=5, disp=0x800, dsize=2, seg=5),
]

AMS = {'r16': AM16, 'p16': AM16, 'p32': AM32, 'l64': AM64}

ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp']
SHIFT = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', None, 'sar']
UNARY = {'not': 2, 'neg': 3, 'mul': 4, 'imul': 5, 'div': 6, 'idiv': 7}
IMM_FULL = {1: 0x7e, 2: 0x1234, 4: 0x12345678, 8: 0x7abcdef0}


def mmio_items(mode):
    """(asm text, expected fields) for the memory-access forms."""
    items = []
    ams = AMS[mode]
    sizes = [1, 2, 4, 8] if mode == 'l64' else [1, 2, 4]
    dflt = default_opsize(mode)

    def szf(sz):
        return dict(opsize=sz if sz > 1 else dflt, byte_op=int(sz == 1))

    def add(text, am, **f):
        e = dict(am.f)
        e.update(f)
        items.append((text, e))

    # Each template below is a function (am, sz, reg name, reg number) -> None.
    def alu(k):
        op = ALU[k]

        def t(am, sz, r, rn):
            s, b = SUF[sz], sz == 1
            add(f'{op}{s} %{r},{am.text}', am, map=0, opcode=k * 8 + (0 if b else 1), reg=rn, **szf(sz))
            add(f'{op}{s} {am.text},%{r}', am, map=0, opcode=k * 8 + (2 if b else 3), reg=rn, **szf(sz))
            add(f'{op}{s} $-3,{am.text}', am, map=0, opcode=0x80 if b else 0x83, reg=k,
                imm=0xfd, imm_size=1, **szf(sz))
            if not b:
                imm = IMM_FULL[sz]
                add(f'{op}{s} ${imm:#x},{am.text}', am, map=0, opcode=0x81, reg=k,
                    imm=imm, imm_size=min(sz, 4), **szf(sz))
        return t

    def test_xchg(am, sz, r, rn):
        s, b, imm = SUF[sz], sz == 1, IMM_FULL[sz]
        add(f'test{s} %{r},{am.text}', am, map=0, opcode=0x84 if b else 0x85, reg=rn, **szf(sz))
        add(f'test{s} ${imm:#x},{am.text}', am, map=0, opcode=0xf6 if b else 0xf7, reg=0,
            imm=imm, imm_size=min(sz, 4), **szf(sz))
        add(f'lock xchg{s} %{r},{am.text}', am, map=0, opcode=0x86 if b else 0x87, reg=rn,
            lock=1, **szf(sz))

    def unary(am, sz, r, rn):
        s, b = SUF[sz], sz == 1
        for op, d in UNARY.items():
            add(f'{op}{s} {am.text}', am, map=0, opcode=0xf6 if b else 0xf7, reg=d, imm_size=0, **szf(sz))
        add(f'inc{s} {am.text}', am, map=0, opcode=0xfe if b else 0xff, reg=0, **szf(sz))
        add(f'lock dec{s} {am.text}', am, map=0, opcode=0xfe if b else 0xff, reg=1, lock=1, **szf(sz))

    def shifts(am, sz, r, rn):
        s, b = SUF[sz], sz == 1
        for k, op in enumerate(SHIFT):
            if op is None or (k + sz) % 3:
                continue
            add(f'{op}{s} $5,{am.text}', am, map=0, opcode=0xc0 if b else 0xc1, reg=k, imm=5, imm_size=1,
                **szf(sz))
            add(f'{op}{s} {am.text}', am, map=0, opcode=0xd0 if b else 0xd1, reg=k, **szf(sz))
            add(f'{op}{s} %cl,{am.text}', am, map=0, opcode=0xd2 if b else 0xd3, reg=k, **szf(sz))

    def bits(am, sz, r, rn):
        if sz == 1:
            for cc, name in enumerate(['seto', 'setb', 'sete', 'setne']):
                add(f'{name} {am.text}', am, map=1, opcode=0x90 + [0, 2, 4, 5][cc], **szf(1))
            return
        s = SUF[sz]
        for k, op in enumerate(['bt', 'bts', 'btr', 'btc']):
            add(f'{op}{s} %{r},{am.text}', am, map=1, opcode=[0xa3, 0xab, 0xb3, 0xbb][k], reg=rn, **szf(sz))
            add(f'{op}{s} $0x1f,{am.text}', am, map=1, opcode=0xba, reg=4 + k, imm=0x1f, imm_size=1,
                **szf(sz))

    def atomics(am, sz, r, rn):
        s, b = SUF[sz], sz == 1
        add(f'lock cmpxchg{s} %{r},{am.text}', am, map=1, opcode=0xb0 if b else 0xb1, reg=rn, lock=1, **szf(sz))
        add(f'xadd{s} %{r},{am.text}', am, map=1, opcode=0xc0 if b else 0xc1, reg=rn, **szf(sz))

    def widen(am, sz, r, rn):
        # MOVZX/MOVSX: opsize is the destination's; byte_op marks a byte source
        if sz == 1:
            return
        s = SUF[sz]
        add(f'movzb{s} {am.text},%{r}', am, map=1, opcode=0xb6, reg=rn, opsize=sz, byte_op=1)
        add(f'movsb{s} {am.text},%{r}', am, map=1, opcode=0xbe, reg=rn, opsize=sz, byte_op=1)
        if sz > 2:
            add(f'movzw{s} {am.text},%{r}', am, map=1, opcode=0xb7, reg=rn, opsize=sz, byte_op=0)
            add(f'movsw{s} {am.text},%{r}', am, map=1, opcode=0xbf, reg=rn, opsize=sz, byte_op=0)
        if sz == 8:
            add(f'movslq {am.text},%{r}', am, map=0, opcode=0x63, reg=rn, opsize=8, byte_op=0)

    def misc_rm(am, sz, r, rn):
        if sz == 1:
            return
        s, imm = SUF[sz], IMM_FULL[sz]
        add(f'lea{s} {am.text},%{r}', am, map=0, opcode=0x8d, reg=rn, **szf(sz))
        add(f'movbe{s} {am.text},%{r}', am, map=2, opcode=0xf0, reg=rn, **szf(sz))
        add(f'movbe{s} %{r},{am.text}', am, map=2, opcode=0xf1, reg=rn, **szf(sz))
        add(f'imul{s} ${imm:#x},{am.text},%{r}', am, map=0, opcode=0x69, reg=rn, imm=imm,
            imm_size=min(sz, 4), **szf(sz))
        add(f'imul{s} $-1,{am.text},%{r}', am, map=0, opcode=0x6b, reg=rn, imm=0xff, imm_size=1, **szf(sz))
        if sz >= 4:
            add(f'movnti %{r},{am.text}', am, map=1, opcode=0xc3, reg=rn, **szf(sz))

    def stack(am, sz, r, rn):
        # PUSH/POP/CALL/JMP r/m: 64-bit operand size by default in long mode
        psz = {'l64': 8, 'p32': 4}.get(mode, 2)
        s = SUF[psz]
        b = 'q' if mode == 'l64' else s
        add(f'push{s} {am.text}', am, map=0, opcode=0xff, reg=6, opsize=psz)
        add(f'pop{s} {am.text}', am, map=0, opcode=0x8f, reg=0, opsize=psz)
        add(f'call{b} *{am.text}', am, map=0, opcode=0xff, reg=2, opsize=psz)
        add(f'jmp{b} *{am.text}', am, map=0, opcode=0xff, reg=4, opsize=psz)

    def vector(am, sz, r, rn):
        add(f'movd %xmm1,{am.text}', am, map=1, opcode=0x7e, reg=1, opsize_prefix=1, vex=0)
        add(f'movdqu {am.text},%xmm2', am, map=1, opcode=0x6f, reg=2, rep=1, vex=0)
        add(f'movaps %xmm3,{am.text}', am, map=1, opcode=0x29, reg=3, vex=0)
        add(f'vmovdqu {am.text},%ymm5', am, map=1, opcode=0x6f, reg=5, rep=1, vex=1)
        add(f'vpinsrw $3,{am.text},%xmm1,%xmm7', am, map=1, opcode=0xc4, reg=7, imm=3, imm_size=1, vex=1)
        add(f'vpblendd $0x5a,{am.text},%ymm1,%ymm1', am, map=3, opcode=0x02, reg=1, imm=0x5a, imm_size=1, vex=1)
        add(f'cvtsi2sdl {am.text},%xmm0', am, map=1, opcode=0x2a, reg=0, repne=1)
        add(f'pextrd $2,%xmm3,{am.text}', am, map=3, opcode=0x16, reg=3, imm=2, imm_size=1)
        add(f'clflush {am.text}', am, map=1, opcode=0xae, reg=7)
        add(f'fistps {am.text}', am, map=0, opcode=0xdf, reg=3)

    templates = [alu(k) for k in range(8)] + [test_xchg, unary, shifts, bits, atomics, widen, misc_rm,
                                              stack, vector]
    for ai, am in enumerate(ams):
        for sz in (sizes if mode != 'r16' else [1, 2]):
            # MOV in every addressing mode and size: the forms MMIO emulation sees most
            rs = regs(mode, sz)
            rn = (ai * 5 + sz * 3) % len(rs)
            if am.absolute and rn == 0:
                rn = 1  # gas would pick the moffs form for the accumulator
            r, s, b = rs[rn], SUF[sz], sz == 1
            imm = IMM_FULL[sz]
            add(f'mov{s} %{r},{am.text}', am, map=0, opcode=0x88 if b else 0x89, reg=rn, **szf(sz))
            add(f'mov{s} {am.text},%{r}', am, map=0, opcode=0x8a if b else 0x8b, reg=rn, **szf(sz))
            add(f'mov{s} ${imm:#x},{am.text}', am, map=0, opcode=0xc6 if b else 0xc7, reg=0,
                imm=imm, imm_size=min(sz, 4), imm2_size=0, **szf(sz))
            if sz >= 4:
                add(f'mov{s} $-2,{am.text}', am, map=0, opcode=0xc7, reg=0, imm=(1 << 32) - 2, imm_size=4,
                    **szf(sz))
        if mode == 'r16':
            continue  # the rest is as in 16-bit protected mode
        for j, t in enumerate(templates):
            if (ai + j) % 4:
                continue
            sz = sizes[(ai + 2 * j) % len(sizes)]
            rs = regs(mode, sz)
            rn = (ai * 7 + j) % len(rs)
            t(am, sz, rs[rn], rn)
    return items


def misc_items(mode):
    """Register, immediate, moffs, string and system forms with expected fields."""
    L = mode == 'l64'
    d = default_opsize(mode)
    asz = 8 if L else (4 if mode == 'p32' else 2)
    sp = 8 if L else d  # stack operand size (PUSH imm, ENTER, near branches)
    items = []

    def add(text, **f):
        items.append((text, f))

    noreg = dict(has_modrm=0, base=-1, index=-1, disp_size=0)
    # register forms: mod = 3, reg and rm name registers
    if L:
        add('mov %r9,%rax', map=0, opcode=0x89, mod=3, reg=9, rm=0, opsize=8, rex=0x4c)
        add('mov %eax,%r15d', map=0, opcode=0x89, mod=3, reg=0, rm=15, opsize=4, rex=0x41)
        add('add %r10b,%sil', map=0, opcode=0x00, mod=3, reg=10, rm=6, byte_op=1, rex=0x44)
        add('xchg %r12,%r13', map=0, opcode=0x87, mod=3, reg=12, rm=13, opsize=8, rex=0x4d)
        add('mov %cr3,%rax', map=1, opcode=0x20, mod=3, reg=3, rm=0, opsize=8, rex=0)
        add('mov %rax,%cr8', map=1, opcode=0x22, mod=3, reg=8, rm=0, opsize=8, rex=0x44)
        add('mov %db7,%r11', map=1, opcode=0x21, mod=3, reg=7, rm=11, opsize=8, rex=0x41)
        add('mov %r14,%cr4', map=1, opcode=0x22, mod=3, reg=4, rm=14, opsize=8, rex=0x41)
        add('movabs $0x1122334455667788,%r10', map=0, opcode=0xba, imm=0x1122334455667788,
            imm_size=8, opsize=8, rex=0x49, **noreg)
        add('movabs $-1,%rax', map=0, opcode=0xb8, imm=(1 << 64) - 1, imm_size=8, opsize=8, **noreg)
        add('mov $0x12345678,%r8d', map=0, opcode=0xb8, imm=0x12345678, imm_size=4, opsize=4, rex=0x41)
        add('pushw $0x1234', map=0, opcode=0x68, imm=0x1234, imm_size=2, opsize=2)
        add('push %r12', map=0, opcode=0x54, opsize=8, rex=0x41, **noreg)
        add('pushw %ax', map=0, opcode=0x50, opsize=2, opsize_prefix=1)
        add('pop %rbp', map=0, opcode=0x5d, opsize=8, **noreg)
        add('movq %xmm1,%rax', map=1, opcode=0x7e, mod=3, reg=1, rm=0, opsize=8, rex=0x48, opsize_prefix=1)
        add('vmovq %xmm9,%r10', map=1, opcode=0x7e, mod=3, reg=9, rm=10, opsize=8, vex=1, opsize_prefix=1)
        add('andn %rax,%rbx,%rcx', map=2, opcode=0xf2, mod=3, reg=1, rm=0, opsize=8, vex=1)
        add('andn %eax,%ebx,%r9d', map=2, opcode=0xf2, mod=3, reg=9, rm=0, opsize=4, vex=1)
        add('rorx $7,%r11,%r12', map=3, opcode=0xf0, mod=3, reg=12, rm=11, opsize=8, imm=7, imm_size=1,
            vex=1, repne=1)
        add('pushfq', map=0, opcode=0x9c, opsize=8, **noreg)
        add('popfw', map=0, opcode=0x9d, opsize=2, **noreg)
        add('leaveq', map=0, opcode=0xc9, opsize=8, **noreg)
        add('iretq', map=0, opcode=0xcf, opsize=8, rex=0x48, **noreg)
        add('swapgs', map=1, opcode=0x01, mod=3, reg=7, rm=0)
    else:
        add('mov %ecx,%edx', map=0, opcode=0x89, mod=3, reg=1, rm=2, opsize=4)
        add('mov %ax,%si', map=0, opcode=0x89, mod=3, reg=0, rm=6, opsize=2)
        add('add %ah,%bl', map=0, opcode=0x00, mod=3, reg=4, rm=3, byte_op=1, opsize=d)
        add('mov %cr0,%eax', map=1, opcode=0x20, mod=3, reg=0, rm=0, opsize=4)
        add('mov %ebx,%cr3', map=1, opcode=0x22, mod=3, reg=3, rm=3, opsize=4)
        add('mov %db6,%edi', map=1, opcode=0x21, mod=3, reg=6, rm=7, opsize=4)
        add('movb $0x12,%dh', map=0, opcode=0xb6, imm=0x12, imm_size=1, byte_op=1, opsize=d, **noreg)
        add('mov $0x12345678,%ebx', map=0, opcode=0xbb, imm=0x12345678, imm_size=4, opsize=4, **noreg)
        add('mov $0x1234,%cx', map=0, opcode=0xb9, imm=0x1234, imm_size=2, opsize=2, **noreg)
        add('pushl $0x12345678', map=0, opcode=0x68, imm=0x12345678, imm_size=4, opsize=4)
        add('pushw $0x1234', map=0, opcode=0x68, imm=0x1234, imm_size=2, opsize=2)
        add('push %es', map=0, opcode=0x06, opsize=d, **noreg)
        add('pop %ds', map=0, opcode=0x1f, opsize=d, **noreg)
        add('pusha', map=0, opcode=0x60, opsize=d, **noreg)
        add('daa', map=0, opcode=0x27, **noreg)
        add('aam $0x10', map=0, opcode=0xd4, imm=0x10, imm_size=1)
        add('aad $0x0a', map=0, opcode=0xd5, imm=0x0a, imm_size=1)
        add('into', map=0, opcode=0xce, **noreg)
        add('inc %edx', map=0, opcode=0x42, opsize=4, **noreg)
        add('dec %di', map=0, opcode=0x4f, opsize=2, **noreg)
        add('lcall $0x10,$0x1234', map=0, opcode=0x9a, imm=0x1234, imm_size=d, imm2=0x10, imm2_size=2, opsize=d)
        add('ljmp $0x08,$0x1234', map=0, opcode=0xea, imm=0x1234, imm_size=d, imm2=8, imm2_size=2, opsize=d)
        add('lcallw $0x10,$0x1234', map=0, opcode=0x9a, imm=0x1234, imm_size=2, imm2=0x10, imm2_size=2, opsize=2)
        add('lcalll $0x10,$0x12345678', map=0, opcode=0x9a, imm=0x12345678, imm_size=4, imm2=0x10,
            imm2_size=2, opsize=4)
        add('ljmpl $0x08,$0xfee00000', map=0, opcode=0xea, imm=0xfee00000, imm_size=4, imm2=8, imm2_size=2,
            opsize=4)
        add('arpl %ax,(%bx)' if asz == 2 else 'arpl %ax,(%ebx)', map=0, opcode=0x63, reg=0, mod=0)
        add('bound %eax,(%esi)', map=0, opcode=0x62, reg=0, mod=0, base=6, opsize=4)
        add('les (%eax),%ebx', map=0, opcode=0xc4, reg=3, mod=0, base=0, opsize=4, vex=0)
        add('lds 0x10(%esi),%di', map=0, opcode=0xc5, reg=7, mod=1, base=6, disp=0x10, disp_size=1,
            opsize=2, vex=0)
        add('vaddps %xmm1,%xmm2,%xmm3', map=1, opcode=0x58, mod=3, reg=3, rm=1, vex=1)
        add('vaddpd (%ebx),%ymm6,%ymm7', map=1, opcode=0x58, mod=0, reg=7, base=3, vex=1, opsize_prefix=1,
            addrsize=4)
        add('vpermq $0x1b,%ymm1,%ymm2', map=3, opcode=0x00, mod=3, reg=2, rm=1, imm=0x1b, imm_size=1, vex=1)
        add('andn %eax,%ebx,%ecx', map=2, opcode=0xf2, mod=3, reg=1, rm=0, opsize=4, vex=1)
        add('vaddps %zmm1,%zmm2,%zmm3', map=1, opcode=0x58, mod=3, reg=3, rm=1, vex=1)
        add('vpternlogd $0x96,(%eax),%zmm1,%zmm2{%k1}', map=3, opcode=0x25, mod=0, reg=2, base=0,
            imm=0x96, imm_size=1, vex=1, opsize_prefix=1)
        add('vprotd $0x11,%xmm1,%xmm2', map=8, opcode=0xc2, mod=3, reg=2, rm=1, imm=0x11, imm_size=1, vex=1)
        add('bextr $0x1234,%eax,%ebx', map=10, opcode=0x10, mod=3, reg=3, rm=0, imm=0x1234, imm_size=4, vex=1)
        add('blcfill %eax,%ebx', map=9, opcode=0x01, mod=3, reg=1, rm=0, vex=1, imm_size=0)
    add('enter $0x1234,$5', map=0, opcode=0xc8, imm=0x1234, imm_size=2, imm2=5, imm2_size=1, opsize=sp, **noreg)
    add('ret $0x10', map=0, opcode=0xc2, imm=0x10, imm_size=2, opsize=sp, **noreg)
    add('lret $0x20', map=0, opcode=0xca, imm=0x20, imm_size=2, **noreg)
    add('int $0x80', map=0, opcode=0xcd, imm=0x80, imm_size=1, **noreg)
    add('int3', map=0, opcode=0xcc, imm_size=0, **noreg)
    add('int1', map=0, opcode=0xf1, imm_size=0, **noreg)
    add('push $0x12', map=0, opcode=0x6a, imm=0x12, imm_size=1, opsize=sp)
    add('push $-0x1000', map=0, opcode=0x68, imm=(1 << (32 if sp >= 4 else 16)) - 0x1000,
        imm_size=4 if sp >= 4 else 2, opsize=sp)
    add('in $0x60,%al', map=0, opcode=0xe4, imm=0x60, imm_size=1, byte_op=1)
    add('out %eax,$0x80', map=0, opcode=0xe7, imm=0x80, imm_size=1, byte_op=0, opsize=4)
    add('in (%dx),%ax', map=0, opcode=0xed, imm_size=0, opsize=2)
    add('outb %al,(%dx)', map=0, opcode=0xee, imm_size=0, byte_op=1)
    add('xabort $0x12', map=0, opcode=0xc6, mod=3, reg=7, rm=0, imm=0x12, imm_size=1)
    add('imul $0x12345678,%ecx,%edx', map=0, opcode=0x69, mod=3, reg=2, rm=1, imm=0x12345678, imm_size=4,
        opsize=4)
    add('imul $0x1234,%cx,%dx', map=0, opcode=0x69, mod=3, reg=2, rm=1, imm=0x1234, imm_size=2, opsize=2)
    add('shld $3,%eax,%ebx', map=1, opcode=0xa4, mod=3, reg=0, rm=3, imm=3, imm_size=1, opsize=4)
    add('pshufd $0x1b,%xmm1,%xmm2', map=1, opcode=0x70, mod=3, reg=2, rm=1, imm=0x1b, imm_size=1,
        opsize_prefix=1)
    add('psrlw $3,%mm1', map=1, opcode=0x71, mod=3, reg=2, rm=1, imm=3, imm_size=1)
    add('extrq $4,$8,%xmm1', map=1, opcode=0x78, mod=3, reg=0, rm=1, imm=8, imm_size=1, imm2=4, imm2_size=1,
        opsize_prefix=1)
    add('insertq $4,$8,%xmm1,%xmm2', map=1, opcode=0x78, mod=3, reg=2, rm=1, imm=8, imm_size=1, imm2=4,
        imm2_size=1, repne=1)
    add('extrq %xmm1,%xmm2', map=1, opcode=0x79, mod=3, reg=2, rm=1, imm_size=0)
    add('pfadd %mm1,%mm2', map=1, opcode=0x0f, mod=3, reg=2, rm=1, imm=0x9e, imm_size=1)
    add('pavgusb 0x10(%' + {8: 'rax', 4: 'eax', 2: 'bx'}[asz] + '),%mm3', map=1, opcode=0x0f, mod=1,
        reg=3, imm=0xbf, imm_size=1, disp=0x10, disp_size=1)
    add('roundss $4,%xmm1,%xmm2', map=3, opcode=0x0a, mod=3, reg=2, rm=1, imm=4, imm_size=1)
    add('crc32b %cl,%eax', map=2, opcode=0xf0, mod=3, reg=0, rm=1, byte_op=1, repne=1)
    add('crc32l %ecx,%eax', map=2, opcode=0xf1, mod=3, reg=0, rm=1, byte_op=0, repne=1)

    # MOV moffs: the offset has the address size
    if L:
        add('movabs 0x1122334455667788,%al', map=0, opcode=0xa0, moffs=0x1122334455667788, has_moffs=1,
            addrsize=8, byte_op=1, has_modrm=0, imm_size=0)
        add('movabs %eax,0xfee00020', map=0, opcode=0xa3, moffs=0xfee00020, has_moffs=1, addrsize=8,
            opsize=4, byte_op=0)
        add('movabs 0x8000000000000000,%rax', map=0, opcode=0xa1, moffs=1 << 63, has_moffs=1, addrsize=8,
            opsize=8, rex=0x48)
        add('movabs %ax,0x10', map=0, opcode=0xa3, moffs=0x10, has_moffs=1, addrsize=8, opsize=2)
        add('addr32 movabs 0x12345678,%eax', map=0, opcode=0xa1, moffs=0x12345678, has_moffs=1,
            addrsize=4, opsize=4)
        add('movabs %fs:0x28,%rax', map=0, opcode=0xa1, moffs=0x28, has_moffs=1, addrsize=8, seg=4)
    else:
        o = 0xfee00020 if asz == 4 else 0x1234
        add(f'mov {o:#x},%al', map=0, opcode=0xa0, moffs=o, has_moffs=1, addrsize=asz, byte_op=1,
            has_modrm=0)
        add(f'mov %eax,{o:#x}', map=0, opcode=0xa3, moffs=o, has_moffs=1, addrsize=asz, opsize=4)
        add(f'mov %fs:{o:#x},%ax', map=0, opcode=0xa1, moffs=o, has_moffs=1, addrsize=asz, opsize=2, seg=4)
        add(f'mov %al,%es:{o:#x}', map=0, opcode=0xa2, moffs=o, has_moffs=1, addrsize=asz, seg=0)
        if asz == 4:
            add('addr16 mov 0x1234,%al', map=0, opcode=0xa0, moffs=0x1234, has_moffs=1, addrsize=2)
        else:
            add('addr32 mov 0x12345678,%al', map=0, opcode=0xa0, moffs=0x12345678, has_moffs=1, addrsize=4)

    # string instructions: implicit memory operands
    si, di = {8: ('rsi', 'rdi'), 4: ('esi', 'edi'), 2: ('si', 'di')}[asz]
    osi, odi = {8: ('esi', 'edi'), 4: ('si', 'di'), 2: ('esi', 'edi')}[asz]
    oasz = {8: 4, 4: 2, 2: 4}[asz]
    sizes = [1, 2, 4, 8] if L else [1, 2, 4]
    for sz in sizes:
        s = SUF[sz]
        b = sz == 1
        f = dict(byte_op=int(b), opsize=sz if sz > 1 else d, has_modrm=0, map=0)
        add(f'stos{s} %es:(%{di})', opcode=0xaa + (not b), addrsize=asz, **f)
        add(f'rep stos{s} %es:(%{di})', opcode=0xaa + (not b), addrsize=asz, rep=1, **f)
        add(f'lods{s} (%{si})', opcode=0xac + (not b), addrsize=asz, **f)
        add(f'lods{s} %fs:(%{osi})', opcode=0xac + (not b), addrsize=oasz, seg=4, **f)
        add(f'rep movs{s} (%{si}),%es:(%{di})', opcode=0xa4 + (not b), addrsize=asz, rep=1, **f)
        add(f'movs{s} %gs:(%{osi}),%es:(%{odi})', opcode=0xa4 + (not b), addrsize=oasz, seg=5, **f)
        add(f'repe cmps{s} %es:(%{di}),(%{si})', opcode=0xa6 + (not b), addrsize=asz, rep=1, **f)
        add(f'repne scas{s} %es:(%{di})', opcode=0xae + (not b), addrsize=asz, repne=1, **f)
        if sz < 8:
            add(f'rep ins{s} (%dx),%es:(%{di})', opcode=0x6c + (not b), addrsize=asz, rep=1, **f)
            add(f'rep outs{s} (%{si}),(%dx)', opcode=0x6e + (not b), addrsize=asz, rep=1, **f)
    add(f'xlat (%{"rbx" if L else ("ebx" if asz == 4 else "bx")})', map=0, opcode=0xd7, byte_op=1, has_modrm=0)

    # instructions the hypervisor intercepts (length and identity)
    ex = dict(has_modrm=0, imm_size=0, disp_size=0)
    for text, m, opc in [('cpuid', 1, 0xa2), ('rdmsr', 1, 0x32), ('wrmsr', 1, 0x30), ('hlt', 0, 0xf4),
                         ('invd', 1, 0x08), ('wbinvd', 1, 0x09), ('rdpmc', 1, 0x33), ('rdtsc', 1, 0x31),
                         ('clts', 1, 0x06), ('ud2', 1, 0x0b), ('rsm', 1, 0xaa), ('sysenter', 1, 0x34)]:
        add(text, map=m, opcode=opc, **ex)
    add('pause', map=0, opcode=0x90, rep=1, nr_prefixes=1, **ex)
    for text, modrm in [('vmmcall', 0xd9), ('vmrun', 0xd8), ('vmload', 0xda), ('vmsave', 0xdb),
                        ('stgi', 0xdc), ('clgi', 0xdd), ('skinit', 0xde), ('invlpga', 0xdf),
                        ('monitor', 0xc8), ('mwait', 0xc9), ('xgetbv', 0xd0), ('xsetbv', 0xd1),
                        ('rdtscp', 0xf9), ('monitorx', 0xfa), ('mwaitx', 0xfb), ('clzero', 0xfc),
                        ('rdpru', 0xfd), ('vmcall', 0xc1), ('clac', 0xca), ('stac', 0xcb),
                        ('serialize', 0xe8), ('xend', 0xd5), ('xtest', 0xd6)]:
        add(text, map=1, opcode=0x01, has_modrm=1, mod=3, reg=(modrm >> 3) & 7, rm=modrm & 7, imm_size=0,
            disp_size=0)
    return items


# Instructions for length coverage across the opcode maps. "64:" only in
# 64-bit mode, "L:" only outside it; gas drops what a mode lacks.
BROAD = r'''
nop
nopw 0x0(%eax,%eax,1)
nopl 0x12345678(%eax,%eax,1)
xchg %eax,%ecx
xchg %ax,%dx
cbtw
cwtl
cltd
64:cltq
64:cqto
lahf
sahf
cmc
clc
stc
cli
sti
cld
std
fwait
pushf
popf
leave
ret
lret
iret
64:sysretq
64:syscall
64:sysexitq
sysexit
getsec
jmp .+0x1000
jmp .+2
call .+0x1000
jz .+0x2000
jnz .+0x4
js .+0x7f
jg .-0x1000
loop .+0x10
loopne .+0x10
loope .+0x10
jecxz .+0x10
L:jcxz .+0x10
64:jrcxz .+0x10
xbegin .+0x100
L:salc
L:aaa
L:aas
L:das
L:popa
L:push %cs
L:push %ss
L:pop %ss
L:push %ds
L:pop %es
push %fs
pop %fs
push %gs
pop %gs
mov %es,%ax
mov %ax,%ss
mov %fs,(%eax)
mov (%eax),%gs
lar %ax,%bx
lsl (%eax),%ecx
sldt (%eax)
str %ax
lldt %ax
ltr (%eax)
verr %ax
verw (%eax)
sgdt (%eax)
sidt 0x10(%eax)
lgdt (%eax)
lidt (%eax)
smsw %ax
lmsw (%eax)
invlpg (%eax)
64:invlpgb
64:tlbsync
wbnoinvd
rdpid %eax
64:rdpid %rax
rdrand %eax
rdseed %cx
64:rdrand %r10
cmpxchg8b (%eax)
64:cmpxchg16b (%rax)
64:rdfsbase %rax
64:wrgsbase %r11d
fxsave (%eax)
fxrstor (%eax)
64:fxsave64 (%rax)
xsave (%eax)
xrstor (%eax)
xsaveopt (%eax)
xsavec (%eax)
xsaves (%eax)
xrstors (%eax)
ldmxcsr (%eax)
stmxcsr (%eax)
lfence
mfence
sfence
clflushopt (%eax)
clwb (%eax)
prefetcht0 (%eax)
prefetcht1 (%eax)
prefetcht2 (%eax)
prefetchnta (%eax)
prefetch (%eax)
prefetchw (%eax)
femms
emms
invpcid (%eax),%eax
64:invpcid (%rax),%rax
endbr32
endbr64
rdsspd %eax
incsspd %eax
saveprevssp
rstorssp (%eax)
wrssd %eax,(%eax)
wrussd %eax,(%eax)
setssbsy
clrssbsy (%eax)
64:rdsspq %rax
movdiri %eax,(%eax)
movdir64b (%eax),%eax
enqcmd (%eax),%eax
enqcmds (%eax),%eax
pconfig
encls
enclu
enclv
vmxon (%eax)
vmxoff
vmlaunch
vmresume
vmclear (%eax)
vmptrld (%eax)
vmptrst (%eax)
L:vmread %eax,%ebx
L:vmwrite (%eax),%ebx
64:vmread %rax,%rbx
64:vmwrite (%rax),%rbx
invept (%eax),%eax
invvpid (%eax),%eax
64:pvalidate
64:rmpadjust
64:rmpupdate
64:psmash
uiret
tpause %eax
umonitor %eax
umwait %ecx
hreset $1
bswap %eax
64:bswap %r9
bsf (%eax),%ecx
bsr %dx,%ax
tzcnt %eax,%ebx
lzcnt (%eax),%ecx
popcnt %ax,%bx
64:popcnt %r8,%r9
cmove %eax,%ebx
cmovnz (%eax),%cx
64:cmovge %r8,%r15
sete %al
setg (%eax)
shld %cl,%eax,(%eax)
shrd $5,%eax,(%eax)
shrd %cl,%ax,%bx
adcx %eax,%ebx
adox (%eax),%ecx
andn %eax,%ebx,%ecx
bextr %eax,%ebx,%ecx
blsi %eax,%ebx
blsr (%eax),%ecx
blsmsk %eax,%ebx
bzhi %eax,%ebx,%ecx
pdep %eax,%ebx,%ecx
pext (%eax),%ebx,%ecx
mulx %eax,%ebx,%ecx
rorx $3,%eax,%ebx
sarx %eax,%ebx,%ecx
shlx %eax,(%eax),%ecx
shrx %eax,%ebx,%ecx
64:sarx %rax,%rbx,%rcx
blcfill %eax,%ebx
blci (%eax),%ebx
t1mskc %eax,%ebx
tzmsk %eax,%ebx
bextr $0x1234,(%eax),%ebx
llwpcb %eax
slwpcb %eax
lwpins $0x12345678,%eax,%ecx
lwpval $1,(%eax),%ecx
fld %st(1)
fld1
fldz
fldpi
fsin
fcos
fsqrt
fabs
fchs
fxch %st(3)
fnop
fnclex
fninit
fnstsw %ax
fnstsw (%eax)
fnstcw (%eax)
fldcw (%eax)
fnstenv (%eax)
fldenv (%eax)
fnsave (%eax)
frstor (%eax)
flds (%eax)
fldl 0x10(%eax)
fldt (%eax)
fstps (%eax)
fstpt (%eax)
fildl (%eax)
fildll (%eax)
fistpll (%eax)
fisttpl (%eax)
fbld (%eax)
fbstp (%eax)
fadd %st(1),%st
fadds (%eax)
faddl (%eax)
fiaddl (%eax)
fmulp %st,%st(2)
fdivrp %st,%st(1)
fcomi %st(1),%st
fucomip %st(1),%st
fcmovb %st(1),%st
fcmovnu %st(2),%st
ffree %st(1)
ffreep %st(1)
fcompp
fucompp
f2xm1
fyl2x
fprem1
frndint
fscale
fxam
ftst
fdecstp
fincstp
movd %eax,%mm0
movd %mm1,(%eax)
movq %mm0,%mm1
movq (%eax),%mm2
paddb %mm1,%mm2
pmaddwd (%eax),%mm3
pshufw $0x1b,%mm1,%mm2
pextrw $3,%mm1,%eax
pinsrw $2,(%eax),%mm1
pmovmskb %mm1,%eax
maskmovq %mm1,%mm2
movntq %mm1,(%eax)
psrlq $3,%mm2
psllw %mm1,%mm2
palignr $3,%mm1,%mm2
pshufb (%eax),%mm1
movaps %xmm1,%xmm2
movups (%eax),%xmm3
movss %xmm1,(%eax)
movsd (%eax),%xmm1
movupd %xmm1,%xmm2
movlps (%eax),%xmm1
movhps %xmm1,(%eax)
movhlps %xmm1,%xmm2
unpcklps %xmm1,%xmm2
addps %xmm1,%xmm2
addsd (%eax),%xmm1
mulss %xmm1,%xmm2
sqrtps %xmm1,%xmm2
rsqrtss %xmm1,%xmm2
andnps %xmm1,%xmm2
cmpps $1,%xmm1,%xmm2
cmpsd $2,(%eax),%xmm1
shufps $0x1b,%xmm1,%xmm2
shufpd $1,(%eax),%xmm1
cvtsi2ss %eax,%xmm1
cvttss2si %xmm1,%eax
cvtsd2si (%eax),%eax
64:cvtsi2sdq %rax,%xmm1
64:cvttsd2si %xmm1,%r10
cvtps2pd %xmm1,%xmm2
cvtdq2ps %xmm1,%xmm2
cvtpi2ps %mm1,%xmm2
comiss %xmm1,%xmm2
ucomisd (%eax),%xmm1
movmskps %xmm1,%eax
movdqa %xmm1,%xmm2
movdqu (%eax),%xmm3
movq %xmm1,(%eax)
movq2dq %mm1,%xmm2
movdq2q %xmm1,%mm2
pshufd $0x1b,%xmm1,%xmm2
pshufhw $1,%xmm1,%xmm2
pshuflw $1,(%eax),%xmm2
pslldq $3,%xmm1
psrldq $4,%xmm1
psraw $2,%xmm3
punpcklqdq %xmm1,%xmm2
pextrw $3,%xmm1,%eax
pinsrw $2,%eax,%xmm1
maskmovdqu %xmm1,%xmm2
movntdq %xmm1,(%eax)
movntpd %xmm1,(%eax)
movnti %eax,(%eax)
lddqu (%eax),%xmm1
addsubps %xmm1,%xmm2
haddpd %xmm1,%xmm2
movshdup %xmm1,%xmm2
movddup (%eax),%xmm1
pabsb %xmm1,%xmm2
phaddw %xmm1,%xmm2
pmulhrsw (%eax),%xmm1
palignr $5,%xmm1,%xmm2
pblendvb %xmm0,%xmm1,%xmm2
blendvps %xmm0,(%eax),%xmm2
ptest %xmm1,%xmm2
pmovsxbw %xmm1,%xmm2
pmovzxdq (%eax),%xmm1
pmuldq %xmm1,%xmm2
pcmpeqq %xmm1,%xmm2
movntdqa (%eax),%xmm1
packusdw %xmm1,%xmm2
pminsb %xmm1,%xmm2
pmulld %xmm1,%xmm2
phminposuw %xmm1,%xmm2
pcmpgtq %xmm1,%xmm2
roundps $1,%xmm1,%xmm2
roundsd $2,(%eax),%xmm1
blendps $3,%xmm1,%xmm2
pblendw $0x55,%xmm1,%xmm2
pextrb $1,%xmm1,%eax
pextrd $2,%xmm1,(%eax)
64:pextrq $1,%xmm1,%rax
extractps $1,%xmm1,%eax
pinsrb $1,%eax,%xmm1
insertps $0x10,%xmm1,%xmm2
pinsrd $3,(%eax),%xmm1
64:pinsrq $1,%rax,%xmm1
dpps $0xff,%xmm1,%xmm2
dppd $0x31,%xmm1,%xmm2
mpsadbw $1,%xmm1,%xmm2
pclmulqdq $0x11,%xmm1,%xmm2
pcmpestrm $1,%xmm1,%xmm2
pcmpestri $2,(%eax),%xmm1
pcmpistrm $3,%xmm1,%xmm2
pcmpistri $4,%xmm1,%xmm2
aesenc %xmm1,%xmm2
aesenclast (%eax),%xmm1
aesdec %xmm1,%xmm2
aesimc %xmm1,%xmm2
aeskeygenassist $1,%xmm1,%xmm2
sha1rnds4 $3,%xmm1,%xmm2
sha1nexte %xmm1,%xmm2
sha1msg1 %xmm1,%xmm2
sha1msg2 %xmm1,%xmm2
sha256rnds2 %xmm0,%xmm1,%xmm2
sha256msg1 %xmm1,%xmm2
sha256msg2 (%eax),%xmm2
gf2p8mulb %xmm1,%xmm2
gf2p8affineqb $1,%xmm1,%xmm2
gf2p8affineinvqb $2,(%eax),%xmm1
movbe (%eax),%eax
crc32w %ax,%ebx
64:crc32q %rax,%rbx
64:crc32b %r9b,%r10
extrq $1,$2,%xmm3
insertq %xmm1,%xmm2
movntss %xmm1,(%eax)
movntsd %xmm1,(%eax)
aesencwide128kl (%eax)
aesdec128kl (%eax),%xmm1
encodekey128 %eax,%ebx
encodekey256 %eax,%ebx
loadiwkey %xmm1,%xmm2
pfmul %mm1,%mm2
pfrcp (%eax),%mm1
pi2fd %mm1,%mm2
pswapd %mm1,%mm2
pmulhrw %mm1,%mm2
vzeroupper
vzeroall
vmovaps %ymm1,%ymm2
vmovups (%eax),%ymm3
vmovss %xmm1,%xmm2,%xmm3
vmovsd (%eax),%xmm1
vmovdqa %xmm1,(%eax)
vmovd %eax,%xmm1
vmovq %xmm1,%xmm2
vaddps %ymm1,%ymm2,%ymm3
vaddsd 0x10(%eax),%xmm1,%xmm2
vmulpd (%eax,%ebx,4),%ymm1,%ymm2
vsqrtps %ymm1,%ymm2
vandnps %xmm1,%xmm2,%xmm3
vcmpps $1,%ymm1,%ymm2,%ymm3
vcmpsd $2,(%eax),%xmm1,%xmm2
vshufps $0x1b,%ymm1,%ymm2,%ymm3
vpshufd $0x1b,%ymm1,%ymm2
vpshufhw $1,%xmm1,%xmm2
vpsrlw $3,%ymm1,%ymm2
vpslldq $4,%xmm1,%xmm2
vpsrad $2,%xmm1,%xmm2
vpinsrw $2,%eax,%xmm1,%xmm2
vpextrw $3,%xmm1,%eax
vpinsrb $1,(%eax),%xmm1,%xmm2
vpextrd $2,%xmm1,%eax
64:vpextrq $1,%xmm1,%rax
64:vpinsrq $1,%rax,%xmm1,%xmm2
vldmxcsr (%eax)
vstmxcsr (%eax)
vcvtsi2ss %eax,%xmm1,%xmm2
64:vcvtsi2sdq %rax,%xmm1,%xmm2
vcvttss2si %xmm1,%eax
vcvtps2pd %xmm1,%ymm2
vcvtph2ps %xmm1,%ymm2
vcvtps2ph $0,%ymm1,%xmm2
vbroadcastss (%eax),%ymm1
vbroadcastsd %xmm1,%ymm2
vbroadcastf128 (%eax),%ymm1
vpbroadcastb %xmm1,%ymm2
vpbroadcastq (%eax),%xmm1
vinsertf128 $1,%xmm1,%ymm2,%ymm3
vextractf128 $1,%ymm1,%xmm2
vinserti128 $1,(%eax),%ymm2,%ymm3
vperm2f128 $0x20,%ymm1,%ymm2,%ymm3
vperm2i128 $0x31,%ymm1,%ymm2,%ymm3
vpermq $0x1b,%ymm1,%ymm2
vpermpd $0x1b,(%eax),%ymm2
vpermd %ymm1,%ymm2,%ymm3
vpermilps $1,%ymm1,%ymm2
vpermilpd %xmm1,%xmm2,%xmm3
vblendvps %ymm4,%ymm1,%ymm2,%ymm3
vpblendvb %xmm4,(%eax),%xmm2,%xmm3
vpblendd $0x0f,%ymm1,%ymm2,%ymm3
vmaskmovps (%eax),%ymm1,%ymm2
vpmaskmovd %ymm1,%ymm2,(%eax)
vtestps %ymm1,%ymm2
vptest %ymm1,%ymm2
vgatherdps %ymm1,(%eax,%ymm2,4),%ymm3
vpgatherqq %ymm1,0x10(%eax,%ymm2,8),%ymm3
vgatherqps %xmm1,(,%ymm2,1),%xmm3
vpsllvd %ymm1,%ymm2,%ymm3
vpsravd (%eax),%xmm2,%xmm3
vfmadd132ps %ymm1,%ymm2,%ymm3
vfmadd231sd (%eax),%xmm1,%xmm2
vfnmsub213pd %xmm1,%xmm2,%xmm3
vfmaddsubps %ymm1,%ymm2,%ymm3,%ymm4
vfmaddps %xmm1,(%eax),%xmm2,%xmm3
vfmaddsd (%eax),%xmm1,%xmm2,%xmm3
vfnmaddss %xmm1,%xmm2,%xmm3,%xmm4
vaesenc %ymm1,%ymm2,%ymm3
vaesdeclast (%eax),%xmm1,%xmm2
vpclmulqdq $0x11,%ymm1,%ymm2,%ymm3
vgf2p8affineqb $1,%ymm1,%ymm2,%ymm3
vgf2p8mulb %xmm1,%xmm2,%xmm3
{vex} vpdpbusd %ymm1,%ymm2,%ymm3
{vex} vpdpwssds (%eax),%xmm1,%xmm2
vpmadd52luq %ymm1,%ymm2,%ymm3
vpdpbssd %xmm1,%xmm2,%xmm3
vbcstnebf162ps (%eax),%xmm1
vcvtneebf162ps (%eax),%ymm1
vpermil2ps $0,%xmm1,%xmm2,%xmm3,%xmm4
vpermil2pd $1,(%eax),%xmm2,%xmm3,%xmm4
vpcmov %xmm1,%xmm2,%xmm3,%xmm4
vpcmov (%eax),%ymm2,%ymm3,%ymm4
vpcomb $1,%xmm1,%xmm2,%xmm3
vprotb $3,%xmm1,%xmm2
vprotw %xmm1,%xmm2,%xmm3
vpshab %xmm1,%xmm2,%xmm3
vpshlq (%eax),%xmm2,%xmm3
vfrczps %ymm1,%ymm2
vfrczss (%eax),%xmm1
vphaddbw %xmm1,%xmm2
vphsubdq (%eax),%xmm1
vpmacsdd %xmm1,%xmm2,%xmm3,%xmm4
vpmadcswd %xmm1,(%eax),%xmm3,%xmm4
kandw %k1,%k2,%k3
kmovw %k1,%eax
kmovq %k1,%k2
kmovb (%eax),%k1
kortestw %k1,%k2
kshiftlw $3,%k1,%k2
kunpckbw %k1,%k2,%k3
kaddd %k1,%k2,%k3
vaddps %zmm1,%zmm2,%zmm3
vaddps %zmm1,%zmm2,%zmm3{%k1}{z}
vaddps {rn-sae},%zmm1,%zmm2,%zmm3
vaddps (%eax){1to16},%zmm2,%zmm3
vaddpd 0x40(%eax),%zmm2,%zmm3
vaddpd 0x48(%eax),%zmm2,%zmm3
vmovdqu64 %zmm1,(%eax)
vmovdqu8 (%eax),%zmm1{%k2}
vmovdqa32 %xmm1,%xmm2{%k1}
vpternlogd $0xff,%zmm1,%zmm2,%zmm3
vpternlogq $0x96,(%eax){1to8},%zmm2,%zmm3
vpgatherdd (%eax,%zmm2,4),%zmm1{%k1}
vpscatterqq %zmm1,0x80(%eax,%zmm2,8){%k1}
vshuff32x4 $1,%zmm1,%zmm2,%zmm3
vpcmpd $1,%zmm1,%zmm2,%k1
vcmppd $3,%zmm1,%zmm2,%k1
vpshufd $1,%zmm1,%zmm2
vpsrlq $3,%zmm1,%zmm2
vpinsrw $1,%eax,%xmm1,%xmm2
vextracti32x4 $1,%zmm1,%xmm2
vinserti64x4 $1,%ymm1,%zmm2,%zmm3
vcvtps2ph $0,%zmm1,%ymm2
vcvtph2ps %ymm1,%zmm2
vcvtusi2ss %eax,%xmm1,%xmm2
vcvttps2udq %zmm1,%zmm2
vcvtudq2pd %ymm1,%zmm2
vcvtqq2pd %zmm1,%zmm2
vpcompressb %zmm1,(%eax)
vpexpandw (%eax),%zmm1
vpshldw $3,%zmm1,%zmm2,%zmm3
vpshrdvq %zmm1,%zmm2,%zmm3
vpdpbusd %zmm1,%zmm2,%zmm3
vpdpwssd (%eax),%zmm1,%zmm2
vpopcntb %zmm1,%zmm2
vpermb %zmm1,%zmm2,%zmm3
vpmultishiftqb %zmm1,%zmm2,%zmm3
vgetmantps $1,%zmm1,%zmm2
vrndscalepd $4,%zmm1,%zmm2
vfixupimmps $0,%zmm1,%zmm2,%zmm3
vrangeps $1,%zmm1,%zmm2,%zmm3
vfpclassps $1,%zmm1,%k1
vreduceps $1,%zmm1,%zmm2
vdbpsadbw $1,%zmm1,%zmm2,%zmm3
vcvtne2ps2bf16 %zmm1,%zmm2,%zmm3
vdpbf16ps %zmm1,%zmm2,%zmm3
vp2intersectd %zmm1,%zmm2,%k2
vaddph %zmm1,%zmm2,%zmm3
vaddsh (%eax),%xmm1,%xmm2
vmulph {rz-sae},%zmm1,%zmm2,%zmm3
vfmadd132ph %zmm1,%zmm2,%zmm3
vfcmaddcph (%eax),%zmm1,%zmm2
vcvtph2dq %ymm1,%zmm2
vcvtsh2ss %xmm1,%xmm2,%xmm3
vmovsh (%eax),%xmm1
vmovw %eax,%xmm1
vrcpph %zmm1,%zmm2
vcmpph $1,%zmm1,%zmm2,%k1
vgetmantph $2,%zmm1,%zmm2
vfpclassph $3,%zmm1,%k2
vaesenc %zmm1,%zmm2,%zmm3
vgf2p8affineqb $1,%zmm1,%zmm2,%zmm3
vpclmulqdq $1,%zmm1,%zmm2,%zmm3
64:vaddps %zmm17,%zmm28,%zmm31
64:vaddps (%r9,%r10,8),%zmm16,%zmm20
64:vpgatherdd (%r8,%zmm24,4),%zmm25{%k3}
64:vmovdqu64 0x1000(%rip),%zmm30
64:vpaddq %ymm16,%ymm17,%ymm18
64:vextracti64x2 $1,%zmm21,%xmm22
64:vcvtsi2sdq %rax,%xmm21,%xmm22
64:vmovq %xmm17,%rax
64:kmovq %k1,%rax
64:ldtilecfg (%rax)
64:sttilecfg (%rax)
64:tilerelease
64:tilezero %tmm1
64:tileloadd (%rax,%rbx,1),%tmm2
64:tileloaddt1 0x10(%rax,%rbx,4),%tmm3
64:tilestored %tmm2,(%rax,%rbx,1)
64:tdpbssd %tmm1,%tmm2,%tmm3
64:tdpbf16ps %tmm1,%tmm2,%tmm3
64:tdpfp16ps %tmm1,%tmm2,%tmm3
64:cmpexadd %eax,%ecx,(%rbx)
64:cmpbexadd %rax,%rcx,0x10(%rbx)
64:aadd %eax,(%rax)
64:aand %rax,(%rbx)
64:movabs $0x12,%al
64:mov $0x1234,%r10w
64:mov %r8b,%r9b
64:movsxd %eax,%r8
64:lock cmpxchg %r8,(%rax)
64:xrelease lock incl (%rax)
64:bnd jmp .+0x100
64:notrack jmp *%rax
64:ljmp *(%rax)
64:lcall *(%rax)
64:rex64 ljmp *(%rax)
L:ljmp *(%eax)
L:lcall *(%eax)
lss (%eax),%ecx
lfs (%eax),%ecx
lgs (%eax),%cx
L:les (%eax),%cx
L:lds (%eax),%ecx
ud1 %eax,%ecx
ud0 %eax,%ecx
ud1 (%eax),%ecx
'''


def broad_lines(mode):
    out = []
    for ln in BROAD.strip().splitlines():
        if ln.startswith('64:'):
            if mode != 'l64':
                continue
            ln = ln[3:]
        elif ln.startswith('L:'):
            if mode == 'l64':
                continue
            ln = ln[2:]
        if mode == 'l64':
            ln = ln.replace('(%eax', '(%rax').replace('%ebx,4)', '%rbx,4)')
        elif mode in ('r16', 'p16'):
            ln = ln.replace('(%eax)', '(%bx)')
        out.append(ln)
    return out


# ---- opcode sweeps and random strings, judged by objdump -----------------

FILL = bytes([0x9e, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe])


def modrm_tails(reg):
    r = reg << 3
    return [
        bytes([0xc1 | r]),                          # register
        bytes([0x00 | r]),                          # [base]
        bytes([0x05 | r, 0x44, 0x33, 0x22, 0x11]),  # disp32 or RIP (32-bit); [DI]+... (16)
        bytes([0x44 | r, 0x88, 0x7f]),              # SIB + disp8
        bytes([0x81 | r, 0x44, 0x33, 0x22, 0x91]),  # disp32 (disp16 with 16-bit addressing)
        bytes([0x04 | r, 0x25, 0x44, 0x33, 0x22, 0x11]),  # SIB, no base: disp32
        bytes([0x06 | r, 0x34, 0x12]),              # 16-bit addressing: disp16
    ]


LEGACY_PREFIXES = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3}


def sweep_blobs(mode):
    """Every opcode of every legacy map, with ModRM tails and some prefixes.
    Returns the strings and their (prefixes, escape, opcode, reg, tail index)."""
    blobs, meta = [], []
    escapes = [b'', b'\x0f', b'\x0f\x38', b'\x0f\x3a']
    pfx_sets = [b'', b'\x66', b'\x67', b'\xf3', b'\xf2']
    if mode == 'l64':
        pfx_sets += [b'\x48', b'\x66\x48', b'\x41']
    for esc in escapes:
        for op in range(256):
            if not esc and (op in LEGACY_PREFIXES or op == 0x0f or (mode == 'l64' and 0x40 <= op <= 0x4f)):
                continue
            if esc == b'\x0f' and op in (0x38, 0x3a):
                continue
            for pi, pfx in enumerate(pfx_sets):
                for reg in (range(8) if pi == 0 else [0, 7]):
                    for ti, t in enumerate(modrm_tails(reg)):
                        blobs.append((pfx + esc + bytes([op]) + t + FILL)[:15])
                        meta.append((pfx, esc, op, reg, ti))
    return blobs, meta


def keep_sweep(meta):
    """Table subset of a sweep: per opcode the register forms of every ModRM.reg
    and two memory forms, each distinct (result, length) once; prefixed forms
    only where the prefix changes the outcome."""
    def keep(blobs, exp, got):
        base = {}
        for k, (pfx, esc, op, reg, ti) in enumerate(meta):
            if not pfx:
                base[(esc, op, reg, ti)] = exp[k]
        seen, out = set(), []
        for k, (pfx, esc, op, reg, ti) in enumerate(meta):
            e = exp[k]
            if e == SKIP:
                continue
            if not pfx:
                if ti != 0 and not (reg == 0 and ti in (2, 3)):
                    continue
                key = (esc, op, e)
            else:
                b = base.get((esc, op, reg, ti))
                norm = ('OK', e[1] - len(pfx)) if e[0] == 'OK' else e
                if b == norm or b == SKIP:
                    continue
                key = (pfx, esc, op)
            if key not in seen:
                seen.add(key)
                out.append(k)
        return out
    return keep


def random_blob(rng, mode):
    L = mode == 'l64'
    b = bytearray()
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3, 5])):
        b.append(rng.choice(sorted(LEGACY_PREFIXES)))
    if L and rng.random() < 0.4:
        b.append(0x40 | rng.randrange(16))
    kind = rng.random()
    if kind < 0.35:
        pass  # one-byte map
    elif kind < 0.6:
        b.append(0x0f)
    elif kind < 0.7:
        b += rng.choice([b'\x0f\x38', b'\x0f\x3a'])
    elif kind < 0.78:
        b.append(0xc5)
        b.append(rng.randrange(256) | (0 if L else 0xc0))
    elif kind < 0.88:
        b.append(0xc4)
        b.append((rng.randrange(256) & ~0x1f | rng.choice([1, 2, 3, 1, 2, 3, 0, 7])) | (0 if L else 0xc0))
        b.append(rng.randrange(256))
    elif kind < 0.95:
        b.append(0x62)
        p0 = (rng.randrange(256) & 0xf0) | rng.choice([1, 2, 3, 5, 6, 1, 2, 3, 4, 0])
        if rng.random() < 0.1:
            p0 |= 0x08
        b.append(p0 | (0 if L else 0xc0))
        b.append(rng.randrange(256) | (0x04 if rng.random() < 0.9 else 0))
        b.append(rng.randrange(256))
    else:
        b.append(0x8f)
        b.append((rng.randrange(256) & 0xe0) | rng.choice([8, 9, 10, 8, 9, 10, 0, 11]))
        b.append(rng.randrange(256))
    while len(b) < 15:
        b.append(rng.randrange(256))
    return bytes(b[:15])


def split_prefixes(mode, blob):
    """Index of the opcode (or VEX escape) byte, and the prefix bytes."""
    i = 0
    while i < len(blob) and (blob[i] in LEGACY_PREFIXES or (mode == 'l64' and 0x40 <= blob[i] <= 0x4f)):
        i += 1
    return i, blob[:i]


def vex_escape(mode, blob, i):
    """Whether blob[i] starts a VEX, XOP or EVEX prefix (per the manuals)."""
    if i + 1 >= len(blob) or mode == 'r16':
        return False
    op, nxt = blob[i], blob[i + 1]
    if op == 0x8f:
        return (nxt & 0x1f) >= 8
    if op in (0xc4, 0xc5, 0x62):
        return mode == 'l64' or (nxt >> 6) == 3
    return False


SKIP = 'skip'


def oracle_override(mode, blob, od):
    """
    Where objdump disagrees with the AMD/Intel manuals, the manuals' answer
    as (result, length); SKIP where the decoder deliberately does not check
    what objdump checks; None to take objdump's answer `od` (length or None).
    """
    i, pfx = split_prefixes(mode, blob)
    if i >= len(blob):
        return None
    op = blob[i]
    nxt = blob[i + 1] if i + 1 < len(blob) else 0
    legacy = bool(set(pfx) & {0x66, 0xf0, 0xf2, 0xf3})
    rex_at_op = mode == 'l64' and i > 0 and 0x40 <= pfx[-1] <= 0x4f
    if mode == 'r16' and op in (0xc4, 0xc5, 0x62) and (nxt >> 6) == 3:
        return ('INVALID', 0)  # no VEX/EVEX in real mode: LES/LDS/BOUND with a register operand
    if mode == 'r16' and op == 0x8f and (nxt & 0x38):
        return ('INVALID', 0)  # no XOP in real mode: POP r/m with reg != 0
    if vex_escape(mode, blob, i):
        if legacy or rex_at_op:
            return ('INVALID', 0)  # SDM 2.3.2, APM 1.8: 66/F0/F2/F3/REX before VEX/XOP/EVEX is #UD
        if od is None:
            return SKIP  # VEX/XOP/EVEX opcodes and their prefix/L/W combinations are not checked
        return None
    if op == 0x9b:
        return ('OK', i + 1)  # FWAIT is an instruction of its own; objdump merges it with x87
    if op in (0x8c, 0x8e):
        reg = (nxt >> 3) & 7
        if reg > 5 or (op == 0x8e and reg == 1):
            return ('INVALID', 0)  # no segment register 6/7; MOV CS, r/m is #UD
    if op == 0x0f and 0x24 <= nxt <= 0x27:
        return ('INVALID', 0)  # MOV to/from test registers existed on 386/486 only
    if op == 0x0f and nxt == 0x78 and i + 2 < len(blob) and (blob[i + 2] >> 3) & 7:
        mand = [p for p in pfx if p in (0xf2, 0xf3)]
        if not mand and 0x66 in pfx:
            return ('INVALID', 0)  # EXTRQ is 66 0F 78 /0 ib ib
    if op == 0x0f and nxt in (0xa6, 0xa7):
        return ('INVALID', 0)  # VIA PadLock (objdump decodes it); #UD on AMD and Intel
    if op == 0xd6 and mode != 'l64':
        return ('OK', i + 1)  # SALC: undocumented, but executed by AMD, Intel and QEMU
    if od is None:
        return SKIP  # mandatory-prefix and ModRM.mod combinations are not checked
    return None


def normalize(mode, blob):
    """Drops REX bytes that do not directly precede the opcode: the CPU ignores
    them, objdump merges them. Returns (blob for objdump, bytes dropped)."""
    if mode != 'l64':
        return blob, 0
    i, pfx = split_prefixes(mode, blob)
    keep = bytes(b for j, b in enumerate(pfx) if not (0x40 <= b <= 0x4f) or j == i - 1)
    return keep + blob[i:], i - len(keep)


def judge(mode, blobs):
    """Expected (result, length) per blob, or SKIP."""
    om = 'p16' if mode == 'r16' else mode
    norm = [normalize(mode, b) for b in blobs]
    od = disasm(om, [n[0] for n in norm])
    res = []
    for b, (_, dropped), (olen, _) in zip(blobs, norm, od):
        if olen is not None:
            olen += dropped
        ov = oracle_override(mode, b, olen)
        if ov is None:
            r = ('OK', olen) if olen else ('INVALID', 0)
        else:
            r = ov
        if r != SKIP and r[0] == 'OK' and r[1] > 15:
            r = ('INVALID', 0)
        res.append(r)
    return res


def llvm_report(mode, blobs, expected):
    """Second opinion: llvm-objdump against the expectations (report only)."""
    if mode not in ('p32', 'l64') or not shutil.which('llvm-objdump'):
        return
    norm = [normalize(mode, b)[0] for b in blobs]
    ll = disasm(mode, norm, tool='llvm')
    diff = 0
    for b, n, (llen, text), e in zip(blobs, norm, ll, expected):
        if e == SKIP or e[0] != 'OK':
            continue
        if llen is not None and llen + (len(b) - len(n)) != e[1]:
            diff += 1
            if diff <= 10:
                print(f'llvm-objdump length differs [{mode}] {b.hex()}: {llen} vs {e[1]} ({text})',
                      file=sys.stderr)
    print(f'llvm-objdump: {diff} length differences in {mode}', file=sys.stderr)


# ---- hand-written cases: prefix rules, mode rules, limits ------------------

def h(s):
    return bytes.fromhex(s.replace(' ', ''))


MANUAL = [
    # (mode, hex, result, length, fields, name); length None = all bytes
    ('l64', '', 'TRUNCATED', 0, {}, 'empty buffer'),
    ('p32', '66', 'TRUNCATED', 0, {}, 'prefix only'),
    ('l64', '0f', 'TRUNCATED', 0, {}, 'escape only'),
    ('l64', '0f 38', 'TRUNCATED', 0, {}, 'three-byte escape only'),
    ('p32', 'c4', 'TRUNCATED', 0, {}, 'C4 alone: LES or VEX undecided'),
    ('l64', '26' * 14 + '90', 'OK', None, dict(nr_prefixes=14), '14 prefixes + NOP = 15 bytes'),
    ('l64', '26' * 15 + '90', 'INVALID', 0, {}, '15 prefixes + NOP = 16 bytes'),
    ('l64', '26' * 15, 'INVALID', 0, {}, '15 prefixes: the 16th byte is never needed'),
    ('l64', '2e' * 13 + '48 90', 'OK', None, dict(nr_prefixes=14, rex=0x48), '13 prefixes + REX + NOP'),
    ('l64', '2e' * 14 + '48 90', 'INVALID', 0, {}, '14 prefixes + REX + NOP = 16 bytes'),
    ('l64', '66 f0 2e 48 c7 84 18 44 33 22 11 78 56 34', 'TRUNCATED', 0, {}, '15-byte insn, 14 available'),
    ('l64', '26 36 64 48 c7 84 18 44 33 22 11 78 56 34 12', 'OK', None,
     dict(seg=4, rex=0x48, opsize=8, base=0, index=3, disp=0x11223344, imm=0x12345678, imm_size=4),
     'exactly 15 bytes'),
    ('l64', '26 36 64 67 48 c7 84 18 44 33 22 11 78 56 34 12', 'INVALID', 0, {}, '16 bytes: too long'),
    ('l64', 'f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3', 'INVALID', 0, {}, 'only prefixes, past 15'),
    # REX placement
    ('l64', '48 66 90', 'OK', None, dict(rex=0, opsize=2, nr_prefixes=2, opsize_prefix=1),
     'REX then 66: REX ignored'),
    ('l64', '66 48 90', 'OK', None, dict(rex=0x48, opsize=8, nr_prefixes=2), '66 then REX.W: W wins'),
    ('l64', '48 41 b8 78 56 34 12', 'OK', None, dict(rex=0x41, opsize=4, imm=0x12345678, imm_size=4),
     'two REX: the last one counts (no W)'),
    ('l64', '41 48 b8 88 77 66 55 44 33 22 11', 'OK', None, dict(rex=0x48, opsize=8, imm_size=8,
     imm=0x1122334455667788), 'two REX: the last one counts (W)'),
    ('l64', '4c 26 8b 00', 'OK', None, dict(rex=0, reg=0, base=0, seg=SEG_NONE, nr_prefixes=2),
     'REX then segment prefix: REX ignored'),
    ('l64', '49 2e e8 00 00 00 00', 'OK', None, dict(rex=0, opsize=8, imm_size=4),
     'REX.W then 2E: ignored, CALL rel32'),
    ('l64', '66 49 2e e8 00 00', 'OK', None, dict(rex=0, opsize=2, imm_size=2),
     'REX.W then 2E: ignored, 66 CALL rel16 (AMD)'),
    ('l64', '4d 8b 04 24', 'OK', None, dict(rex=0x4d, reg=8, base=12, opsize=8), 'REX.WRB'),
    ('l64', '42 8b 04 20', 'OK', None, dict(rex=0x42, reg=0, base=0, index=12), 'REX.X selects r12 as index'),
    ('l64', '42 8b 04 25 00 10 00 00', 'OK', None, dict(index=12, base=-1, disp=0x1000, disp_size=4),
     'REX.X, no base'),
    ('l64', '41 8b 45 00', 'OK', None, dict(base=13, mod=1, disp_size=1), 'r13 base needs disp8'),
    ('l64', '41 8b 05 00 01 00 00', 'OK', None, dict(rip_relative=1, base=-1, disp=0x100),
     'REX.B does not turn RIP-relative into r13'),
    ('l64', '41 8b 04 25 10 00 00 00', 'OK', None, dict(base=-1, index=-1, disp=0x10),
     'SIB base 101 with mod 0 is disp32 even with REX.B'),
    # segment overrides and rep prefixes: last one wins
    ('p32', '64 65 8b 00', 'OK', None, dict(seg=5), 'two segment overrides: last wins'),
    ('p32', '26 2e 36 3e 8b 00', 'OK', None, dict(seg=3), 'ES CS SS DS: DS'),
    ('l64', '64 26 8b 00', 'OK', None, dict(seg=4), '64-bit: ES after FS is ignored'),
    ('l64', '3e 8b 00', 'OK', None, dict(seg=SEG_NONE), '64-bit: DS override ignored'),
    ('l64', 'f2 f3 a4', 'OK', None, dict(rep=1, repne=0), 'F2 F3: rep'),
    ('l64', 'f3 f2 a6', 'OK', None, dict(rep=0, repne=1), 'F3 F2: repne'),
    ('l64', 'f0 f0 f0 01 00', 'OK', None, dict(lock=1, nr_prefixes=3), 'repeated LOCK'),
    ('l64', '66 66 66 66 66 90', 'OK', None, dict(opsize=2, nr_prefixes=5), 'repeated 66'),
    # operand/address size rules
    ('l64', '66 e8 00 00', 'OK', None, dict(opsize=2, imm_size=2), '64-bit 66 CALL: rel16 (AMD)'),
    ('l64', '66 48 e8 00 00 00 00', 'OK', None, dict(opsize=8, imm_size=4), '64-bit 66 REX.W CALL: rel32'),
    ('l64', 'e9 00 00 00 00', 'OK', None, dict(opsize=8, imm_size=4), 'JMP rel32, 64-bit operand size'),
    ('l64', '0f 84 00 00 00 00', 'OK', None, dict(opsize=8, imm_size=4, map=1, opcode=0x84), 'Jcc rel32'),
    ('l64', '66 0f 84 00 00', 'OK', None, dict(opsize=2, imm_size=2), 'Jcc rel16 with 66 (AMD)'),
    ('p16', '0f 84 00 00', 'OK', None, dict(opsize=2, imm_size=2), '16-bit Jcc rel16'),
    ('p16', '66 0f 84 00 00 00 00', 'OK', None, dict(opsize=4, imm_size=4), '16-bit 66 Jcc rel32'),
    ('l64', '68 78 56 34 12', 'OK', None, dict(opsize=8, imm_size=4), 'PUSH imm32 in 64-bit mode'),
    ('l64', '67 e3 10', 'OK', None, dict(addrsize=4, imm_size=1), 'JECXZ'),
    ('l64', '67 a0 78 56 34 12', 'OK', None, dict(addrsize=4, moffs=0x12345678, has_moffs=1, byte_op=1),
     'moffs32 with 67 in 64-bit mode'),
    ('p16', '67 a1 78 56 34 12', 'OK', None, dict(addrsize=4, moffs=0x12345678, opsize=2), 'moffs32 in 16-bit'),
    ('p32', '67 a3 34 12', 'OK', None, dict(addrsize=2, moffs=0x1234), 'moffs16 in 32-bit'),
    ('l64', '48 b8 88 77 66 55 44 33 22 11', 'OK', None, dict(imm_size=8, opsize=8), 'MOV r64, imm64'),
    ('l64', '66 b8 34 12', 'OK', None, dict(imm_size=2, opsize=2), 'MOV r16, imm16'),
    ('l64', 'c2 10 00', 'OK', None, dict(imm=0x10, imm_size=2, opsize=8), 'RET imm16'),
    ('p32', '66 c2 10 00', 'OK', None, dict(imm=0x10, imm_size=2, opsize=2), 'RET imm16 with 66'),
    ('p32', 'ca 10 00', 'OK', None, dict(imm_size=2), 'RETF imm16'),
    ('l64', 'c8 34 12 05', 'OK', None, dict(imm=0x1234, imm_size=2, imm2=5, imm2_size=1), 'ENTER'),
    ('l64', '66 c8 34 12 05', 'OK', None, dict(imm_size=2, imm2_size=1, opsize=2), 'ENTER with 66'),
    ('p32', '9a 78 56 34 12 10 00', 'OK', None, dict(imm=0x12345678, imm_size=4, imm2=0x10, imm2_size=2),
     'CALL far ptr16:32'),
    ('p32', '66 ea 34 12 08 00', 'OK', None, dict(imm=0x1234, imm_size=2, imm2=8, imm2_size=2),
     'JMP far ptr16:16'),
    ('l64', '48 0f 20 c0', 'OK', None, dict(opsize=8, mod=3, rm=0, reg=0), 'MOV from CR0 with REX.W'),
    ('l64', '66 0f 22 d8', 'OK', None, dict(opsize=8, reg=3, rm=0), 'MOV to CR3: 66 ignored'),
    ('l64', '0f 20 00', 'OK', None, dict(mod=3, rm=0, reg=0, has_sib=0, disp_size=0),
     'MOV CR: mod is ignored (no SIB/disp)'),
    ('l64', '0f 22 44', 'OK', None, dict(mod=3, rm=4, reg=0, has_sib=0, disp_size=0),
     'MOV CR: mod=1 rm=4 is still a register'),
    ('p32', '0f 21 85', 'OK', None, dict(mod=3, rm=5, reg=0, opsize=4), 'MOV DR: mod ignored'),
    ('l64', 'f0 0f 20 c0', 'OK', None, dict(lock=1), 'LOCK MOV CR0 (AMD CR8 alias)'),
    ('l64', '0f 78 c1', 'OK', None, dict(imm_size=0, opsize=8), 'VMREAD'),
    ('l64', '66 0f 78 c1 08 04', 'OK', None, dict(imm=8, imm_size=1, imm2=4, imm2_size=1), 'EXTRQ imm, imm'),
    ('l64', 'f2 0f 78 ca 08 04', 'OK', None, dict(imm=8, imm_size=1, imm2=4, imm2_size=1), 'INSERTQ imm, imm'),
    ('l64', 'f3 0f 78 c1 08 04', 'INVALID', 0, {}, 'F3 0F 78'),
    ('l64', '66 f2 0f 78 ca 08 04', 'OK', None, dict(imm_size=1, imm2_size=1, repne=1),
     'F2 is the mandatory prefix over 66'),
    ('l64', 'f3 0f b8 c1', 'OK', None, dict(opcode=0xb8, rep=1), 'POPCNT'),
    ('l64', '0f b8 c1', 'INVALID', 0, {}, 'JMPE (IA-64 only)'),
    ('l64', '0f 00 f0', 'INVALID', 0, {}, '0F 00 /6'),
    ('l64', '0f 00 38', 'INVALID', 0, {}, '0F 00 /7'),
    ('l64', '0f ba 20 05', 'OK', None, dict(reg=4, imm=5, imm_size=1), 'BT m, imm8'),
    ('l64', '0f ba 18 05', 'INVALID', 0, {}, '0F BA /3'),
    ('l64', '0f 0f c1 9e', 'OK', None, dict(imm=0x9e, imm_size=1, opcode=0x0f, map=1), '3DNow! PFADD'),
    ('l64', '0f 0f 44 24 08 b4', 'OK', None, dict(imm=0xb4, imm_size=1, disp=8, disp_size=1), '3DNow! SIB'),
    ('l64', '0f 3a 0f c1 03', 'OK', None, dict(map=3, opcode=0x0f, imm=3, imm_size=1), '0F 3A PALIGNR mmx'),
    ('l64', '0f 3a 00 c1 03', 'INVALID', 0, {}, 'undefined 0F 3A 00'),
    ('l64', '0f 38 50 c1', 'INVALID', 0, {}, 'undefined 0F 38 50'),
    ('l64', '0f 04', 'INVALID', 0, {}, 'undefined 0F 04'),
    ('l64', '0f 24 c0', 'INVALID', 0, {}, 'MOV TR (386/486 only)'),
    ('l64', '0f ff c0', 'OK', None, dict(has_modrm=1), 'UD0 has ModRM'),
    ('l64', '0f b9 c0', 'OK', None, dict(has_modrm=1), 'UD1 has ModRM'),
    ('l64', '0f 0b', 'OK', None, dict(has_modrm=0), 'UD2'),
    # groups
    ('l64', 'f6 c8 12', 'OK', None, dict(reg=1, imm=0x12, imm_size=1), 'TEST /1 alias has imm8'),
    ('l64', 'f7 08 78 56 34 12', 'OK', None, dict(reg=1, imm_size=4), 'TEST /1 alias has imm32'),
    ('l64', '66 f7 c0 34 12', 'OK', None, dict(imm_size=2, opsize=2), 'TEST r/m16, imm16'),
    ('l64', 'f7 d0', 'OK', None, dict(reg=2, imm_size=0), 'NOT has no immediate'),
    ('l64', 'f6 38', 'OK', None, dict(reg=7, imm_size=0), 'IDIV m8'),
    ('l64', 'c6 08 12', 'INVALID', 0, {}, 'C6 /1'),
    ('l64', 'c6 f8 12', 'OK', None, dict(imm=0x12, imm_size=1), 'XABORT'),
    ('l64', 'c6 f9 12', 'INVALID', 0, {}, 'C6 /7 other than F8'),
    ('l64', 'c6 38 12', 'INVALID', 0, {}, 'C6 /7 memory'),
    ('l64', 'c7 f8 00 01 00 00', 'OK', None, dict(imm_size=4), 'XBEGIN rel32'),
    ('l64', '66 c7 f8 00 01', 'OK', None, dict(imm_size=2), 'XBEGIN rel16'),
    ('l64', 'c7 c8 00 00 00 00', 'INVALID', 0, {}, 'C7 /1'),
    ('l64', 'fe 10', 'INVALID', 0, {}, 'FE /2'),
    ('l64', 'fe c8', 'OK', None, dict(reg=1, byte_op=1), 'DEC r/m8'),
    ('l64', 'ff 38', 'INVALID', 0, {}, 'FF /7'),
    ('l64', 'ff d8', 'INVALID', 0, {}, 'far CALL with a register'),
    ('l64', 'ff e8', 'INVALID', 0, {}, 'far JMP with a register'),
    ('l64', 'ff 18', 'OK', None, dict(reg=3, opsize=4), 'far CALL m16:32'),
    ('l64', '48 ff 28', 'OK', None, dict(reg=5, opsize=8), 'far JMP m16:64'),
    ('l64', 'ff d0', 'OK', None, dict(reg=2, opsize=8), 'CALL r64'),
    ('l64', '66 ff e0', 'OK', None, dict(reg=4, opsize=2), 'JMP r16 (AMD)'),
    ('l64', 'ff 30', 'OK', None, dict(reg=6, opsize=8), 'PUSH m64'),
    ('l64', 'ff 00', 'OK', None, dict(reg=0, opsize=4), 'INC m32'),
    ('l64', '8f c0', 'OK', None, dict(reg=0, opsize=8), 'POP r64'),
    ('l64', '8f 00', 'OK', None, dict(reg=0, mod=0, base=0, opsize=8), 'POP m64'),
    ('p32', '8f 20', 'INVALID', 0, {}, '8F /4: map field < 8, so POP group'),
    ('p32', '8f 08', 'TRUNCATED', 0, {}, '8F with map field 8: XOP'),
    ('l64', '8d c0', 'INVALID', 0, {}, 'LEA with a register'),
    ('l64', '0f c3 c0', 'INVALID', 0, {}, 'MOVNTI with a register'),
    ('l64', '0f b2 c0', 'INVALID', 0, {}, 'LSS with a register'),
    ('l64', '8c c8', 'OK', None, dict(reg=1, mod=3), 'MOV r, CS'),
    ('l64', '8e c8', 'INVALID', 0, {}, 'MOV CS, r'),
    ('l64', '8e f0', 'INVALID', 0, {}, 'MOV to segment register 6'),
    ('l64', '63 c1', 'OK', None, dict(opcode=0x63), 'MOVSXD'),
    ('p32', '63 c1', 'OK', None, dict(opcode=0x63), 'ARPL'),
    ('p32', '82 c0 01', 'OK', None, dict(byte_op=1, imm_size=1), '82 alias of 80 outside 64-bit mode'),
    ('l64', '82 c0 01', 'INVALID', 0, {}, '82 in 64-bit mode'),
    ('p32', 'd6', 'OK', None, {}, 'SALC'),
    ('l64', 'd6', 'INVALID', 0, {}, 'SALC in 64-bit mode'),
    ('p32', 'd4 0a', 'OK', None, dict(imm=10, imm_size=1), 'AAM'),
    ('p32', '0f 05', 'OK', None, {}, 'SYSCALL outside 64-bit mode'),
    ('p32', '40', 'OK', None, dict(opcode=0x40, rex=0), 'INC eax, not REX'),
    ('p32', '48 90', 'OK', 1, dict(opcode=0x48), 'DEC eax, then NOP'),
    # VEX / XOP / EVEX
    ('l64', 'c5 f8 77', 'OK', None, dict(vex=1, map=1, opcode=0x77, has_modrm=0), 'VZEROUPPER: no ModRM'),
    ('l64', 'c4 e1 7c 77', 'OK', None, dict(vex=1, map=1, opcode=0x77, has_modrm=0), 'VZEROALL, 3-byte VEX'),
    ('l64', '62 f1 7c 48 77 c0', 'INVALID', 0, {}, 'EVEX 0F 77'),
    ('l64', '66 c5 f8 77', 'INVALID', 0, {}, '66 before VEX'),
    ('l64', 'f3 c4 e1 78 10 c1', 'INVALID', 0, {}, 'F3 before VEX'),
    ('l64', 'f0 c5 f8 58 c1', 'INVALID', 0, {}, 'LOCK before VEX'),
    ('l64', '48 c5 f8 58 c1', 'INVALID', 0, {}, 'REX before VEX'),
    ('l64', '48 2e c5 f8 58 c1', 'OK', None, dict(vex=1, rex=0x40, nr_prefixes=2),
     'REX then segment then VEX: REX ignored'),
    ('l64', '67 c5 f8 58 00', 'OK', None, dict(vex=1, addrsize=4), '67 before VEX'),
    ('l64', '64 c5 f8 58 00', 'OK', None, dict(vex=1, seg=4), 'FS before VEX'),
    ('l64', '66 62 f1 7c 48 58 c1', 'INVALID', 0, {}, '66 before EVEX'),
    ('l64', '48 8f e8 78 c2 c1 05', 'INVALID', 0, {}, 'REX before XOP'),
    ('l64', 'c4 e0 78 58 c1', 'INVALID', 0, {}, 'VEX map 0'),
    ('l64', 'c4 e4 78 58 c1', 'INVALID', 0, {}, 'VEX map 4'),
    ('l64', 'c4 41 78 58 04 24', 'OK', None, dict(vex=1, rex=0x45, reg=8, base=12), 'VEX.R and VEX.B'),
    ('l64', 'c4 e1 f8 7e c0', 'OK', None, dict(vex=1, opsize=8, rex=0x48), 'VEX.W: 64-bit operand'),
    ('p32', 'c4 e1 f8 7e c0', 'OK', None, dict(vex=1, opsize=4, rex=0), 'VEX.W ignored for GPR in 32-bit'),
    ('l64', 'c4 e3 79 0f c1 05', 'OK', None, dict(vex=1, map=3, opcode=0x0f, imm=5, imm_size=1,
     opsize_prefix=1), 'VEX map 3 has imm8'),
    ('l64', 'c5 f9 70 c1 1b', 'OK', None, dict(vex=1, map=1, opcode=0x70, imm=0x1b, imm_size=1,
     opsize_prefix=1), 'VPSHUFD imm8'),
    ('l64', 'c5 fa 10 c1', 'OK', None, dict(rep=1, opsize_prefix=0), 'VEX.pp F3'),
    ('l64', 'c5 fb 10 c1', 'OK', None, dict(repne=1, rep=0), 'VEX.pp F2'),
    ('p32', 'c5 f8 58 c1', 'OK', None, dict(vex=1), 'VEX in 32-bit mode'),
    ('p32', 'c5 38 58', 'OK', 2, dict(vex=0, opcode=0xc5, mod=0, reg=7, rm=0), 'LDS in 32-bit mode'),
    ('p32', 'c4 00', 'OK', None, dict(vex=0, opcode=0xc4), 'LES in 32-bit mode'),
    ('p16', 'c5 f8 58 c1', 'OK', None, dict(vex=1, addrsize=2), 'VEX in 16-bit protected mode'),
    ('p16', 'c5 f8 58 00', 'OK', None, dict(vex=1, addrsize=2, base=3, index=6), 'VEX, 16-bit addressing'),
    ('r16', 'c5 f8 58 c1', 'INVALID', 0, {}, 'no VEX in real mode (LDS reg)'),
    ('r16', 'c4 00', 'OK', None, dict(vex=0, opcode=0xc4), 'LES in real mode'),
    ('r16', '62 f1 7c 48 58 c1', 'INVALID', 0, {}, 'no EVEX in real mode (BOUND reg)'),
    ('r16', '62 00', 'OK', None, dict(vex=0, opcode=0x62), 'BOUND in real mode'),
    ('r16', '8f e8 78 c2 c1 05', 'INVALID', 0, {}, 'no XOP in real mode'),
    ('r16', '8f 06 34 12', 'OK', None, dict(disp=0x1234, disp_size=2), 'POP m16 in real mode'),
    ('p32', '62 00', 'OK', None, dict(vex=0, opcode=0x62, mod=0), 'BOUND in 32-bit mode'),
    ('p32', '62 f1 7c 48 58 c1', 'OK', None, dict(vex=1, map=1, opcode=0x58), 'EVEX in 32-bit mode'),
    ('l64', '62 f1 7c 48 58 c1', 'OK', None, dict(vex=1, map=1, opcode=0x58, reg=0, rm=1), 'EVEX'),
    ('l64', '62 f1 7c 48 58 40 01', 'OK', None, dict(vex=1, disp=1, disp_size=1),
     'EVEX disp8 is reported unscaled'),
    ('l64', '62 f9 7c 48 58 c1', 'INVALID', 0, {}, 'EVEX P0 bit 3 set'),
    ('l64', '62 f1 78 48 58 c1', 'INVALID', 0, {}, 'EVEX P1 bit 2 clear'),
    ('l64', '62 f4 7c 48 58 c1', 'INVALID', 0, {}, 'EVEX map 4'),
    ('l64', '62 f7 7c 48 58 c1', 'INVALID', 0, {}, 'EVEX map 7'),
    ('l64', '62 f0 7c 48 58 c1', 'INVALID', 0, {}, 'EVEX map 0'),
    ('l64', '62 f5 7c 48 58 c1', 'OK', None, dict(map=5, opcode=0x58), 'EVEX map 5'),
    ('l64', '62 f3 7d 48 25 c1 96', 'OK', None, dict(map=3, imm=0x96, imm_size=1), 'EVEX map 3 imm8'),
    ('l64', '62 f1 7d 48 72 d1 03', 'OK', None, dict(map=1, reg=2, imm=3, imm_size=1), 'EVEX 0F 72 imm8'),
    ('l64', '8f e8 78 c2 c1 05', 'OK', None, dict(vex=1, map=8, opcode=0xc2, imm=5, imm_size=1), 'XOP map 8'),
    ('l64', '8f e9 78 80 c1', 'OK', None, dict(vex=1, map=9, opcode=0x80, imm_size=0), 'XOP map 9'),
    ('l64', '8f ea 78 10 c1 78 56 34 12', 'OK', None, dict(vex=1, map=10, imm=0x12345678, imm_size=4),
     'XOP map A: imm32'),
    ('l64', '8f eb 78 10 c1', 'INVALID', 0, {}, 'XOP map B'),
    ('l64', '8f c7', 'OK', None, dict(vex=0, reg=0, rm=7), '8F with map field 7: POP r/m'),
]


# ---- assembling the table --------------------------------------------------

def add_assembled(group, mode, items, fields=True):
    """items: [(text, fields)]; the bytes and length come from gas."""
    amode = 'p16' if mode == 'r16' else mode
    asm = assemble(amode, [t for t, _ in items])
    for k, (text, f) in enumerate(items):
        if k not in asm:
            continue
        data = asm[k]
        i, _ = split_prefixes(mode, data)
        if mode == 'r16' and vex_escape('p16', data, i):
            add_case(Case(group, text, mode, data, 'INVALID'))  # LES/LDS/BOUND/POP with a bad ModRM there
            continue
        add_case(Case(group, text, mode, data, 'OK', len(data), dict(f) if fields else {}))


def add_judged(mode, blobs, name, keep):
    """Byte strings judged by objdump (+ overrides); `keep` picks the ones for the table."""
    exp = judge(mode, blobs)
    llvm_report(mode, blobs, exp)
    got = ours([(mode, b) for b in blobs])
    chosen = [k for k in keep(blobs, exp, got) if exp[k] != SKIP]
    # Keep only the bytes the expectation needs: the instruction, or for an
    # invalid one the shortest head that the decoder already rejects.
    heads = [(k, n) for k in chosen if exp[k][0] == 'INVALID' for n in range(1, len(blobs[k]) + 1)]
    verdict = ours([(mode, blobs[k][:n]) for k, n in heads])
    shortest = {}
    for (k, n), g in zip(heads, verdict):
        if g['result'] == 'INVALID' and k not in shortest:
            shortest[k] = n
    for k in chosen:
        e = exp[k]
        data = blobs[k][:e[1]] if e[0] == 'OK' else blobs[k][:shortest.get(k, len(blobs[k]))]
        add_case(Case(name, '', mode, data, e[0], e[1]))
    skipped = sum(1 for e, g in zip(exp, got) if e == SKIP and g['result'] == 'OK')
    bad = [k for k, (e, g) in enumerate(zip(exp, got))
           if e != SKIP and (e[0] != g['result'] or (e[0] == 'OK' and e[1] != g['len']))]
    print(f'{name} [{mode}]: {len(blobs)} strings, {len(bad)} disagree with the decoder, '
          f'{skipped} accepted by the decoder but not objdump (not checked), {len(chosen)} kept',
          file=sys.stderr)
    for k in bad[:20]:
        print(f'  {blobs[k].hex()}: expected {exp[k]}, decoder {got[k]["result"]} {got[k]["len"]}',
              file=sys.stderr)


def keep_sample(n):
    """The first n strings with a verdict (they are random already)."""
    def keep(blobs, exp, got):
        return [k for k in range(len(blobs)) if exp[k] != SKIP][:n]
    return keep


def build(args):
    rng = random.Random(args.seed)
    for mode in MODES:
        add_assembled('mmio', mode, mmio_items(mode))
        add_assembled('misc', mode, misc_items(mode))
        if mode != 'r16':  # as in 16-bit protected mode, but for VEX (swept below)
            add_assembled('broad', mode, [(t, {}) for t in broad_lines(mode)], fields=False)
        blobs, meta = sweep_blobs(mode)
        if mode == 'r16':  # the same as 16-bit protected mode but for the VEX/XOP/EVEX escapes
            sel = [k for k, m in enumerate(meta) if not m[1] and m[2] in (0xc4, 0xc5, 0x62, 0x8f)]
            blobs, meta = [blobs[k] for k in sel], [meta[k] for k in sel]
        add_judged(mode, blobs, 'sweep', keep_sweep(meta))
        if mode != 'r16':
            blobs = [random_blob(rng, mode) for _ in range(args.random)]
            add_judged(mode, blobs, 'random', keep_sample(args.keep_random))
    for mode, hx, res, length, f, name in MANUAL:
        data = h(hx)
        add_case(Case('manual', name, mode, data, res,
                      length if length is not None else (len(data) if res == 'OK' else 0), dict(f)))


def verify():
    """Decoder vs. expectations of the final table (the test repeats this)."""
    got = ours([(c.mode, c.data[:c.given]) for c in CASES])
    bad = 0
    for c, g in zip(CASES, got):
        why = []
        if g['result'] != c.result:
            why.append(f'result {g["result"]}')
        elif c.result == 'OK':
            if g['len'] != c.length:
                why.append(f'len {g["len"]} != {c.length}')
            for k, v in c.exp.items():
                if g[k] != v:
                    why.append(f'{k} {g[k]} != {v}')
        if why:
            bad += 1
            print(f'MISMATCH [{c.mode}] {c.data.hex()} {c.name}: expected {c.result}: {", ".join(why)}',
                  file=sys.stderr)
    print(f'{len(CASES)} cases, {bad} mismatches', file=sys.stderr)
    return bad


def c_str(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


MEM_KEYS = ['mod', 'base', 'index', 'scale', 'disp', 'disp_size', 'has_sib', 'rip_relative', 'addrsize', 'seg']
MODE_C = {'r16': 'R16', 'p16': 'P16', 'p32': 'P32', 'l64': 'L64'}
RESULT_C = {'OK': 'OK', 'TRUNCATED': 'TRUNC', 'INVALID': 'INV'}


def c_value(k, v):
    if k in ('imm', 'imm2', 'moffs'):
        return f'{v:#x}ull' if v > 9 else str(v)
    if k == 'disp':
        return f'{v:#x}' if v > 9 else (f'-{-v:#x}' if v < -9 else str(v))
    if k in ('opcode', 'rex', 'seg') and v > 9:
        return f'{v:#x}'
    return str(v)


def emit(path):
    out = ['/* Generated by tests/unit/gen/gen_insn_cases.py from GNU as/objdump 2.40; do not edit.',
           ' * { group, mode, result, length, bytes given, bytes, name, checked fields, expected fields } */']
    for c in CASES:
        data = c.data[:c.given]
        bytestr = '"' + ''.join(f'\\x{b:02x}' for b in data) + '"'
        e = dict(c.exp)
        chk, vals = [], []
        if e.get('has_modrm') == 1 and all(k in e for k in MEM_KEYS):
            chk.append('K_MEM')
            vals.append('MEM(' + ', '.join(c_value(k, e.pop(k)) for k in MEM_KEYS) + ')')
            del e['has_modrm']
        chk += [f'K({k})' for k in e]
        vals += [f'.{k} = {c_value(k, v)}' for k, v in e.items()]
        out.append(f'{{ G_{c.group.upper()}, {MODE_C[c.mode]}, {RESULT_C[c.result]}, {c.length}, {len(data)}, {bytestr}, '
                   f'{c_str(c.name)}, {" | ".join(chk) or "0"}, {{ {", ".join(vals)} }} }},')
    open(path, 'w').write('\n'.join(out) + '\n')


def write_seeds(path, count=200):
    """Fuzzer seeds: a spread of the valid named cases."""
    os.makedirs(path, exist_ok=True)
    pool = sorted({c.data for c in CASES if c.result == 'OK' and c.group not in ('sweep', 'random')})
    step = max(1, len(pool) // count)
    for data in pool[::step]:
        open(os.path.join(path, data.hex()), 'wb').write(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--random', type=int, default=30000, help='random strings per mode (checked)')
    ap.add_argument('--keep-random', type=int, default=250, help='random strings per mode kept in the table')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('-o', default=os.path.join(ROOT, 'tests/unit/insn_cases.inc'))
    ap.add_argument('--seeds', help='also write fuzzer seeds here (e.g. tests/fuzz/corpus/insn)')
    args = ap.parse_args()
    try:
        build(args)
        bad = verify()
        emit(args.o)
        print(f'wrote {args.o}', file=sys.stderr)
        if args.seeds:
            write_seeds(args.seeds)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
