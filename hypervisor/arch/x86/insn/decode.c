/*
 * x86 instruction decoder: length and operand fields (see asm/insn.h).
 *
 * Sources are the opcode maps of the AMD64 APM vol. 3 appendix A and the
 * Intel SDM vol. 2 appendix A. Where the vendors differ we follow AMD, the
 * architecture Basalt runs on: in 64-bit mode a 66 prefix on a near branch
 * (Jcc, JMP, CALL, FF /2 /4) selects a 16-bit operand size and so a rel16
 * (Intel ignores the prefix there).
 *
 * Legacy opcode maps are checked for undefined opcodes. VEX, XOP and EVEX
 * opcodes are not: within one of their maps the length does not depend on
 * the opcode (bar the few listed in vex_map1_imm8() and 0F 77), so accepting
 * every opcode keeps the length right for instructions newer than this file.
 */
#include <asm/insn.h>

#define MAX_LEN 15

/* Immediate kinds: low four bits of an opcode's attributes. */
enum {
    IMM_NONE,
    IMM_B,     /* imm8 */
    IMM_W,     /* imm16, whatever the operand size (RET imm16) */
    IMM_Z,     /* imm16 for a 16-bit operand size, else imm32 */
    IMM_V,     /* imm16/32/64 by operand size: only MOV reg, imm (B8+r) */
    IMM_WB,    /* imm16 then imm8 (ENTER) */
    IMM_BB,    /* imm8 then imm8 (EXTRQ/INSERTQ) */
    IMM_FAR,   /* offset (as IMM_Z) then a 16-bit selector */
    IMM_MOFFS, /* absolute offset of the address size (A0-A3) */
};

#define F_IMM  0x000f
#define F_M    0x0010 /* a ModRM byte follows */
#define F_BYTE 0x0020 /* 8-bit operation (sets insn.byte_op) */
#define F_D64  0x0040 /* operand size defaults to 64 bits in 64-bit mode */
#define F_F64  0x0080 /* operand size is 64 bits in 64-bit mode, prefixes ignored */
#define F_I64  0x0100 /* invalid in 64-bit mode */
#define F_UD   0x0200 /* undefined in every mode */
#define F_MEM  0x0400 /* the ModRM must encode memory: mod == 3 is #UD */
#define F_REG  0x0800 /* ModRM.mod is ignored and taken as 3 (MOV CR/DR) */
#define F_GRP  0x1000 /* validity or immediate depends on ModRM.reg or prefixes */

/* Shorthands for the maps below; undefined again after them. */
#define M   F_M
#define MB  (F_M | F_BYTE)
#define IB  IMM_B
#define IZ  IMM_Z
#define X64 F_I64
#define UD  F_UD
#define PFX 0 /* prefix or escape: consumed before the table is consulted */

/* Two-operand ALU pattern of 00-05, 08-0D, ... 38-3D. */
#define ALU MB, M, MB, M, F_BYTE | IB, IZ

static const uint16_t onebyte[256] = {
    /* 00 */ ALU, X64, X64, ALU, X64, PFX,
    /* 10 */ ALU, X64, X64, ALU, X64, X64,
    /* 20 */ ALU, PFX, X64, ALU, PFX, X64,
    /* 30 */ ALU, PFX, X64, ALU, PFX, X64,
    /* 40 INC/DEC, or REX in 64-bit mode */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 50 PUSH/POP reg */
    F_D64, F_D64, F_D64, F_D64, F_D64, F_D64, F_D64, F_D64,
    F_D64, F_D64, F_D64, F_D64, F_D64, F_D64, F_D64, F_D64,
    /* 60 PUSHA POPA BOUND ARPL/MOVSXD, FS GS 66 67, PUSH IMUL PUSH IMUL INS INS OUTS OUTS */
    X64, X64, M | F_MEM | X64, M, PFX, PFX, PFX, PFX,
    IZ | F_D64, M | IZ, IB | F_D64, M | IB, F_BYTE, 0, F_BYTE, 0,
    /* 70 Jcc rel8 */
    IB | F_D64, IB | F_D64, IB | F_D64, IB | F_D64, IB | F_D64, IB | F_D64, IB | F_D64, IB | F_D64,
    IB | F_D64, IB | F_D64, IB | F_D64, IB | F_D64, IB | F_D64, IB | F_D64, IB | F_D64, IB | F_D64,
    /* 80 group 1, TEST, XCHG, MOV, MOV Sreg, LEA, MOV Sreg, POP r/m */
    MB | IB, M | IZ, MB | IB | X64, M | IB, MB, M, MB, M,
    MB, M, MB, M, M | F_GRP, M | F_MEM, M | F_GRP, M | F_GRP | F_D64,
    /* 90 XCHG/NOP, CBW CWD CALLF FWAIT PUSHF POPF SAHF LAHF */
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, IMM_FAR | X64, 0, F_D64, F_D64, 0, 0,
    /* A0 MOV moffs, MOVS CMPS, TEST imm, STOS LODS SCAS */
    F_BYTE | IMM_MOFFS, IMM_MOFFS, F_BYTE | IMM_MOFFS, IMM_MOFFS, F_BYTE, 0, F_BYTE, 0,
    F_BYTE | IB, IZ, F_BYTE, 0, F_BYTE, 0, F_BYTE, 0,
    /* B0 MOV reg8, imm8; B8 MOV reg, imm */
    F_BYTE | IB, F_BYTE | IB, F_BYTE | IB, F_BYTE | IB, F_BYTE | IB, F_BYTE | IB, F_BYTE | IB, F_BYTE | IB,
    IMM_V, IMM_V, IMM_V, IMM_V, IMM_V, IMM_V, IMM_V, IMM_V,
    /* C0 shifts, RET imm, RET, LES LDS (VEX in 64-bit mode), MOV imm, ENTER LEAVE RETF INT3 INT INTO IRET */
    MB | IB, M | IB, IMM_W | F_D64, F_D64, M | F_MEM | X64, M | F_MEM | X64, MB | IB | F_GRP, M | IZ | F_GRP,
    IMM_WB | F_D64, F_D64, IMM_W, 0, 0, IB, X64, 0,
    /* D0 shifts, AAM AAD SALC XLAT, x87 */
    MB, M, MB, M, IB | X64, IB | X64, X64, F_BYTE,
    M, M, M, M, M, M, M, M,
    /* E0 LOOPcc JrCXZ IN OUT, CALL JMP JMPF JMP, IN OUT */
    IB | F_D64, IB | F_D64, IB | F_D64, IB | F_D64, F_BYTE | IB, IB, F_BYTE | IB, IB,
    IZ | F_D64, IZ | F_D64, IMM_FAR | X64, IB | F_D64, F_BYTE, 0, F_BYTE, 0,
    /* F0 LOCK INT1 REPNE REP HLT CMC, group 3, flags, group 4, group 5 */
    PFX, 0, PFX, PFX, 0, 0, MB | F_GRP, M | F_GRP,
    0, 0, 0, 0, 0, 0, MB | F_GRP, M | F_GRP,
};

#define M16 M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M

static const uint16_t twobyte[256] = {
    /* 00 grp6 grp7 LAR LSL, SYSCALL CLTS SYSRET INVD WBINVD UD2 PREFETCH FEMMS 3DNow! */
    M | F_GRP, M, M, M, UD, 0, 0, 0,
    0, 0, UD, 0, UD, M, 0, M | IB,
    /* 10 SSE moves; 18-1F prefetch/hint NOP/CET/MPX */
    M16,
    /* 20 MOV CR/DR; 24-27 were MOV TR (386/486 only) */
    M | F_REG | F_F64, M | F_REG | F_F64, M | F_REG | F_F64, M | F_REG | F_F64, UD, UD, UD, UD,
    M, M, M, M, M, M, M, M,
    /* 30 WRMSR RDTSC RDMSR RDPMC SYSENTER SYSEXIT - GETSEC, 38 and 3A are escapes */
    0, 0, 0, 0, 0, 0, UD, 0, PFX, UD, PFX, UD, UD, UD, UD, UD,
    /* 40 CMOVcc */
    M16,
    /* 50, 60 SSE/MMX */
    M16,
    M16,
    /* 70 PSHUF/shift groups with imm8, EMMS, VMREAD VMWRITE (or SSE4a), 7A 7B undefined */
    M | IB, M | IB, M | IB, M | IB, M, M, M, 0,
    M | F_GRP | F_F64, M | F_GRP | F_F64, UD, UD, M, M, M, M,
    /* 80 Jcc rel16/32 */
    IZ | F_D64, IZ | F_D64, IZ | F_D64, IZ | F_D64, IZ | F_D64, IZ | F_D64, IZ | F_D64, IZ | F_D64,
    IZ | F_D64, IZ | F_D64, IZ | F_D64, IZ | F_D64, IZ | F_D64, IZ | F_D64, IZ | F_D64, IZ | F_D64,
    /* 90 SETcc */
    MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB,
    /* A0 PUSH/POP FS CPUID BT SHLD, PUSH/POP GS RSM BTS SHRD grp15 IMUL */
    F_D64, F_D64, 0, M, M | IB, M, UD, UD,
    F_D64, F_D64, 0, M, M | IB, M, M, M,
    /* B0 CMPXCHG LSS BTR LFS LGS MOVZX, POPCNT UD1 grp8 BTC BSF BSR MOVSX */
    MB, M, M | F_MEM, M, M | F_MEM, M | F_MEM, MB, M,
    M | F_GRP, M, M | IB | F_GRP, M, M, M, MB, M,
    /* C0 XADD CMPPS MOVNTI PINSRW PEXTRW SHUFPS grp9, BSWAP */
    MB, M, M | IB, M | F_MEM | F_GRP, M | IB, M | IB, M | IB, M,
    0, 0, 0, 0, 0, 0, 0, 0,
    /* D0-FF SSE/MMX; FF is UD0 */
    M16,
    M16,
    M16,
};

#undef M
#undef MB
#undef IB
#undef IZ
#undef X64
#undef UD
#undef PFX
#undef ALU
#undef M16

/* Defined opcodes of the legacy (non-VEX) 0F 38 and 0F 3A maps, as ranges. */
static const uint8_t valid_0f38[][2] = {
    { 0x00, 0x0b }, /* SSSE3 */
    { 0x10, 0x10 }, { 0x14, 0x15 }, { 0x17, 0x17 }, { 0x1c, 0x1e },
    { 0x20, 0x25 }, { 0x28, 0x2b }, { 0x30, 0x35 }, { 0x37, 0x41 }, /* SSE4.1/4.2 */
    { 0x80, 0x82 }, /* INVEPT INVVPID INVPCID */
    { 0xc8, 0xcd }, { 0xcf, 0xcf }, /* SHA, GF2P8MULB */
    { 0xd8, 0xd8 }, { 0xdb, 0xdf }, /* AES, Key Locker */
    { 0xf0, 0xf1 }, /* MOVBE, CRC32 */
    { 0xf5, 0xf6 }, /* WRUSS, ADCX/ADOX/WRSS */
    { 0xf8, 0xfc }, /* MOVDIR64B/ENQCMD, MOVDIRI, ENCODEKEY, AADD etc. */
};

static const uint8_t valid_0f3a[][2] = {
    { 0x08, 0x0f }, { 0x14, 0x17 }, { 0x20, 0x22 }, { 0x40, 0x42 }, { 0x44, 0x44 },
    { 0x60, 0x63 }, { 0xcc, 0xcc }, { 0xce, 0xcf }, { 0xdf, 0xdf },
    { 0xf0, 0xf0 }, /* HRESET */
};

static bool in_ranges(const uint8_t (*r)[2], size_t n, uint8_t op)
{
    for (size_t i = 0; i < n; i++)
        if (op >= r[i][0] && op <= r[i][1])
            return true;
    return false;
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct cursor {
    const uint8_t *p;
    size_t avail;
    size_t pos;
};

/* The 15-byte check comes first so that a too-long encoding is INVALID even if truncated. */
static int next(struct cursor *c, uint8_t *b)
{
    if (c->pos >= MAX_LEN)
        return INSN_INVALID;
    if (c->pos >= c->avail)
        return INSN_TRUNCATED;
    *b = c->p[c->pos++];
    return INSN_OK;
}

static int next_le(struct cursor *c, unsigned n, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t b;
        int r = next(c, &b);
        if (r)
            return r;
        x |= (uint64_t)b << (8 * i);
    }
    *v = x;
    return INSN_OK;
}

#define TRY(expr)                                                              \
    do {                                                                       \
        int r_ = (expr);                                                       \
        if (r_)                                                                \
            return r_;                                                         \
    } while (0)

/* Field by field: a struct assignment could become a memset call. */
static void clear(struct insn *o)
{
    o->len = 0;
    o->nr_prefixes = 0;
    o->opsize = 4;
    o->addrsize = 4;
    o->byte_op = false;
    o->rex = 0;
    o->lock = o->rep = o->repne = false;
    o->opsize_prefix = false;
    o->vex = false;
    o->seg = INSN_SEG_NONE;
    o->map = INSN_MAP_ONEBYTE;
    o->opcode = 0;
    o->has_modrm = false;
    o->mod = o->reg = o->rm = 0;
    o->has_sib = false;
    o->scale = 1;
    o->index = -1;
    o->base = -1;
    o->rip_relative = false;
    o->disp = 0;
    o->disp_size = 0;
    o->imm = 0;
    o->imm_size = 0;
    o->imm2 = 0;
    o->imm2_size = 0;
    o->moffs = 0;
    o->has_moffs = false;
}

/* The decoder's state besides the output: prefixes and the REX-like bits (0 or 8). */
struct state {
    enum insn_mode mode;
    bool p66, p67;
    uint8_t mand;       /* mandatory-prefix view: last F2/F3, else 66, else 0 */
    uint8_t w, r, x, b; /* from REX, VEX, XOP or EVEX */
};

static uint8_t operand_size(const struct state *s, uint16_t f)
{
    if (s->mode == INSN_MODE_LONG64) {
        if (f & F_F64)
            return 8;
        if (s->w)
            return 8;
        if (s->p66)
            return 2;
        return (f & F_D64) ? 8 : 4;
    }
    if (f & F_F64)
        return 4;
    if (s->mode == INSN_MODE_PROT32)
        return s->p66 ? 2 : 4;
    return s->p66 ? 4 : 2;
}

/* Register numbers of the 16-bit forms [BX+SI] .. [BX], indexed by ModRM.rm. */
static const int8_t base16[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
static const int8_t index16[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };

static int read_disp(struct cursor *c, struct insn *o, unsigned size)
{
    uint64_t v;
    TRY(next_le(c, size, &v));
    o->disp_size = (uint8_t)size;
    if (size == 1)
        o->disp = (int8_t)v;
    else if (size == 2)
        o->disp = (int16_t)v;
    else
        o->disp = (int32_t)v;
    return INSN_OK;
}

static int decode_modrm(struct cursor *c, struct insn *o, const struct state *s, bool mod_ignored)
{
    uint8_t m;
    TRY(next(c, &m));
    o->has_modrm = true;
    o->mod = mod_ignored ? 3 : m >> 6;
    o->reg = (uint8_t)(((m >> 3) & 7) | s->r);
    o->rm = (uint8_t)((m & 7) | s->b);
    if (o->mod == 3)
        return INSN_OK;

    unsigned rm = m & 7;
    if (o->addrsize == 2) {
        if (o->mod == 0 && rm == 6)
            return read_disp(c, o, 2);
        o->base = base16[rm];
        o->index = index16[rm];
        return o->mod ? read_disp(c, o, o->mod == 1 ? 1 : 2) : INSN_OK;
    }

    unsigned base = rm;
    if (rm == 4) {
        uint8_t sib;
        TRY(next(c, &sib));
        o->has_sib = true;
        o->scale = (uint8_t)(1u << (sib >> 6));
        unsigned idx = ((sib >> 3) & 7) | s->x;
        o->index = idx == 4 ? -1 : (int8_t)idx; /* 100b without REX.X means no index */
        base = sib & 7;
        if (base == 5 && o->mod == 0)
            return read_disp(c, o, 4); /* disp32, no base (not RIP-relative) */
        o->base = (int8_t)(base | s->b);
    } else if (rm == 5 && o->mod == 0) {
        o->rip_relative = s->mode == INSN_MODE_LONG64;
        return read_disp(c, o, 4);
    } else {
        o->base = (int8_t)(rm | s->b);
    }
    return o->mod ? read_disp(c, o, o->mod == 1 ? 1 : 4) : INSN_OK;
}

static int read_imm(struct cursor *c, struct insn *o, unsigned kind)
{
    unsigned z = o->opsize == 2 ? 2 : 4;
    unsigned n1 = 0, n2 = 0;

    switch (kind) {
    case IMM_NONE: return INSN_OK;
    case IMM_B: n1 = 1; break;
    case IMM_W: n1 = 2; break;
    case IMM_Z: n1 = z; break;
    case IMM_V: n1 = o->opsize; break;
    case IMM_WB: n1 = 2; n2 = 1; break;
    case IMM_BB: n1 = 1; n2 = 1; break;
    case IMM_FAR: n1 = z; n2 = 2; break;
    case IMM_MOFFS:
        TRY(next_le(c, o->addrsize, &o->moffs));
        o->has_moffs = true;
        return INSN_OK;
    }
    TRY(next_le(c, n1, &o->imm));
    o->imm_size = (uint8_t)n1;
    if (n2) {
        TRY(next_le(c, n2, &o->imm2));
        o->imm2_size = (uint8_t)n2;
    }
    return INSN_OK;
}

/*
 * ModRM-dependent rules of the legacy maps. Returns the immediate kind, or
 * -1 for #UD. May adjust the operand size (FF /2 /4 /6 default to 64 bits).
 */
static int group_rules(struct insn *o, const struct state *s, uint8_t modrm, unsigned imm)
{
    unsigned reg = (modrm >> 3) & 7;

    if (o->map == INSN_MAP_ONEBYTE) {
        switch (o->opcode) {
        case 0x8c: /* MOV r/m, Sreg: ES CS SS DS FS GS */
            return reg <= 5 ? (int)imm : -1;
        case 0x8e: /* MOV Sreg, r/m: CS cannot be loaded */
            return reg <= 5 && reg != 1 ? (int)imm : -1;
        case 0x8f: /* POP r/m; the rest of the group is XOP's space */
            return reg == 0 ? (int)imm : -1;
        case 0xc6: case 0xc7: /* MOV imm; XABORT imm8 / XBEGIN rel are C6/C7 F8 */
            return reg == 0 || modrm == 0xf8 ? (int)imm : -1;
        case 0xf6: /* TEST imm (/1 is an alias of /0) */
            return reg <= 1 ? IMM_B : IMM_NONE;
        case 0xf7:
            return reg <= 1 ? IMM_Z : IMM_NONE;
        case 0xfe: /* INC, DEC */
            return reg <= 1 ? (int)imm : -1;
        case 0xff:
            if (reg == 7 || ((reg == 3 || reg == 5) && modrm >= 0xc0))
                return -1; /* far CALL/JMP take only m16:xx */
            if (reg == 2 || reg == 4 || reg == 6) /* near CALL/JMP, PUSH */
                o->opsize = operand_size(s, F_D64);
            return (int)imm;
        }
        return (int)imm;
    }

    switch (o->opcode) {
    case 0x00: /* /6 was JMPE (IA-64), /7 never defined */
        return reg < 6 ? (int)imm : -1;
    case 0x78: /* VMREAD; 66: EXTRQ /0 ib ib; F2: INSERTQ ib ib */
        if (s->mand == 0xf3 || (s->mand == 0x66 && reg != 0))
            return -1;
        return s->mand ? IMM_BB : IMM_NONE;
    case 0x79: /* VMWRITE; 66: EXTRQ; F2: INSERTQ */
        return s->mand == 0xf3 ? -1 : IMM_NONE;
    case 0xb8: /* POPCNT needs F3: without it this was JMPE (IA-64) */
        return s->mand == 0xf3 ? (int)imm : -1;
    case 0xba: /* BT BTS BTR BTC imm8 */
        return reg >= 4 ? (int)imm : -1;
    case 0xc3: /* MOVNTI stores 32 bits, or 64 with REX.W; there is no 16-bit form */
        o->opsize = s->w ? 8 : 4;
        return (int)imm;
    }
    return (int)imm;
}

/* The VEX/EVEX 0F-map opcodes with an imm8: PSHUF*, shift groups, CMPPS, PINSRW, PEXTRW, SHUFPS. */
static bool vex_map1_imm8(uint8_t op)
{
    return (op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6);
}

/*
 * VEX (C4, C5), XOP (8F) and EVEX (62); `esc` is the escape byte. The caller
 * has established that it is not LES/LDS/BOUND/POP.
 */
static int decode_vex(struct cursor *c, struct insn *o, struct state *s, uint8_t esc, uint8_t p0,
                      bool had_legacy)
{
    bool long64 = s->mode == INSN_MODE_LONG64;
    uint8_t p1 = 0, p2, map, w = 0, pp, rxb;

    if (esc == 0xc5) {
        map = 1;
        pp = p0 & 3;
        rxb = (uint8_t)((p0 & 0x80) | 0x60);
    } else {
        TRY(next(c, &p1));
        rxb = p0 & 0xe0;
        w = p1 >> 7;
        pp = p1 & 3;
        map = esc == 0x62 ? (p0 & 7) : (p0 & 0x1f);
    }
    if (esc == 0x62) {
        TRY(next(c, &p2));
        /* P0 bit 3 and P1 bit 2 are fixed (0 and 1) in AVX-512 and AVX10 */
        if ((p0 & 0x08) || !(p1 & 0x04) || map == 0 || map == 4 || map == 7)
            return INSN_INVALID;
    } else if (esc == 0x8f) {
        if (map < 8 || map > 10)
            return INSN_INVALID;
    } else if (map < 1 || map > 3) {
        return INSN_INVALID;
    }
    /* 66, F2, F3, F0 or REX before any of these escapes is #UD */
    if (had_legacy)
        return INSN_INVALID;

    o->vex = true;
    o->map = map;
    o->opsize_prefix = pp == 1;
    o->rep = pp == 2;
    o->repne = pp == 3;
    if (long64) {
        s->r = (rxb & 0x80) ? 0 : 8;
        s->x = (rxb & 0x40) ? 0 : 8;
        s->b = (rxb & 0x20) ? 0 : 8;
        s->w = w ? 8 : 0;
        o->rex = (uint8_t)(0x40 | s->w | s->r >> 1 | s->x >> 2 | s->b >> 3);
    }
    o->opsize = long64 && w ? 8 : 4;

    uint8_t op;
    TRY(next(c, &op));
    o->opcode = op;

    if (map == 1 && op == 0x77) {
        if (esc == 0x62)
            return INSN_INVALID; /* no EVEX form: its length is unknowable */
        return INSN_OK; /* VZEROUPPER/VZEROALL: the only VEX form without ModRM */
    }
    TRY(decode_modrm(c, o, s, false));

    unsigned n = 0;
    if (map == 3 || map == 8 || (map == 1 && vex_map1_imm8(op)))
        n = 1;
    else if (map == 10)
        n = 4; /* XOP map A: BEXTR, LWPINS, LWPVAL take imm32 */
    if (n) {
        TRY(next_le(c, n, &o->imm));
        o->imm_size = (uint8_t)n;
    }
    return INSN_OK;
}

static int decode(struct cursor *c, struct insn *o, enum insn_mode mode)
{
    struct state s = { .mode = mode };
    bool long64 = mode == INSN_MODE_LONG64;
    bool had_legacy = false; /* 66, F0, F2, F3 or REX: VEX/XOP/EVEX after them is #UD */
    uint8_t b, rex = 0, last_rep = 0;
    unsigned nr = 0;

    for (;; nr++) {
        TRY(next(c, &b));
        if (long64 && (b & 0xf0) == 0x40) {
            rex = b; /* a later REX replaces this one */
            continue;
        }
        switch (b) {
        case 0xf0: o->lock = true; break;
        case 0xf2: case 0xf3: last_rep = b; break;
        case 0x66: s.p66 = true; break;
        case 0x67: s.p67 = true; break;
        case 0x26: case 0x2e: case 0x36: case 0x3e:
            if (!long64) /* 64-bit mode ignores these (they are branch hints there) */
                o->seg = (uint8_t)((b >> 3) & 3);
            break;
        case 0x64: case 0x65:
            o->seg = (uint8_t)(b - 0x64 + 4);
            break;
        default:
            goto opcode;
        }
        if (b == 0x66 || b == 0xf0 || b == 0xf2 || b == 0xf3)
            had_legacy = true;
        rex = 0; /* a REX is only effective right before the opcode */
    }
opcode:
    o->nr_prefixes = (uint8_t)nr;
    o->rep = last_rep == 0xf3;
    o->repne = last_rep == 0xf2;
    o->opsize_prefix = s.p66;
    s.mand = last_rep ? last_rep : (s.p66 ? 0x66 : 0);
    if (rex) {
        had_legacy = true;
        o->rex = rex;
        s.w = (rex & 8) ? 8 : 0;
        s.r = (rex & 4) ? 8 : 0;
        s.x = (rex & 2) ? 8 : 0;
        s.b = (rex & 1) ? 8 : 0;
    }
    if (long64)
        o->addrsize = s.p67 ? 4 : 8;
    else if (mode == INSN_MODE_PROT32)
        o->addrsize = s.p67 ? 2 : 4;
    else
        o->addrsize = s.p67 ? 4 : 2;

    uint16_t f;
    if (b == 0x0f) {
        TRY(next(c, &b));
        if (b == 0x38 || b == 0x3a) {
            o->map = b == 0x38 ? INSN_MAP_0F38 : INSN_MAP_0F3A;
            TRY(next(c, &b));
            if (o->map == INSN_MAP_0F38 ? !in_ranges(valid_0f38, ARRAY_LEN(valid_0f38), b)
                                        : !in_ranges(valid_0f3a, ARRAY_LEN(valid_0f3a), b))
                return INSN_INVALID;
            f = o->map == INSN_MAP_0F38 ? F_M : F_M | IMM_B;
            /* CRC32 r, r/m8 */
            if (o->map == INSN_MAP_0F38 && b == 0xf0 && s.mand == 0xf2)
                f |= F_BYTE;
        } else {
            o->map = INSN_MAP_0F;
            f = twobyte[b];
        }
    } else {
        if (b == 0xc4 || b == 0xc5 || b == 0x62 || b == 0x8f) {
            /*
             * Outside 64-bit mode C4/C5/62 are VEX/EVEX only where LES/LDS/BOUND
             * would have a register operand (ModRM.mod = 3, #UD for those). 8F
             * is XOP when the map field (low five bits of the next byte) is 8
             * or more, else POP r/m. Real and virtual-8086 mode have none of
             * them: there these bytes always decode as LES/LDS/BOUND/POP.
             */
            uint8_t p0 = 0;
            bool esc;
            if (long64 && b != 0x8f) {
                TRY(next(c, &p0));
                esc = true;
            } else if (mode == INSN_MODE_REAL16) {
                esc = false;
            } else {
                TRY(next(c, &p0));
                esc = b == 0x8f ? (p0 & 0x1f) >= 8 : (p0 >> 6) == 3;
                if (!esc)
                    c->pos--; /* it was the ModRM */
            }
            if (esc) {
                o->opsize_prefix = o->rep = o->repne = false;
                o->rex = 0;
                s.w = s.r = s.x = s.b = 0;
                return decode_vex(c, o, &s, b, p0, had_legacy);
            }
        }
        f = onebyte[b];
    }
    o->opcode = b;

    if ((f & F_UD) || (long64 && (f & F_I64)))
        return INSN_INVALID;
    o->byte_op = (f & F_BYTE) != 0;
    o->opsize = operand_size(&s, f);

    unsigned imm = f & F_IMM;
    if (f & F_M) {
        TRY(decode_modrm(c, o, &s, (f & F_REG) != 0));
        if ((f & F_MEM) && o->mod == 3)
            return INSN_INVALID;
        if (f & F_GRP) {
            /* reconstruct the raw ModRM byte (mod, reg and rm low bits) */
            uint8_t modrm = (uint8_t)(o->mod << 6 | (o->reg & 7) << 3 | (o->rm & 7));
            int k = group_rules(o, &s, modrm, imm);
            if (k < 0)
                return INSN_INVALID;
            imm = (unsigned)k;
        }
    }
    return read_imm(c, o, imm);
}

int insn_decode(struct insn *out, const uint8_t *bytes, size_t avail, enum insn_mode mode)
{
    struct cursor c = { .p = bytes, .avail = avail, .pos = 0 };

    clear(out);
    if ((unsigned)mode > INSN_MODE_LONG64)
        return INSN_INVALID;
    int r = decode(&c, out, mode);
    if (r)
        return r;
    out->len = (uint8_t)c.pos;
    return INSN_OK;
}
