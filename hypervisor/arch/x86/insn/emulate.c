/*
 * x86 instruction emulator (asm/x86_emulate.h): the instructions a guest
 * uses on device memory and for string port I/O. Semantics from the AMD64
 * APM vol. 3 and the Intel SDM vol. 2; flags are computed here, not taken
 * from the host CPU, so the same code runs in the hypervisor and on the
 * host for tests.
 */
#include <asm/x86_emulate.h>

#define PAGE_BYTES 4096u

#define CF EMUL_FLAG_CF
#define PF EMUL_FLAG_PF
#define AF EMUL_FLAG_AF
#define ZF EMUL_FLAG_ZF
#define SF EMUL_FLAG_SF
#define DF EMUL_FLAG_DF
#define OF EMUL_FLAG_OF
#define ARITH EMUL_ARITH_FLAGS

#define REG_RAX 0
#define REG_RCX 1
#define REG_RDX 2
#define REG_RSI 6
#define REG_RDI 7

#define SEG_ATTR_P    0x80u
#define SEG_ATTR_CODE 0x08u
#define SEG_ATTR_RW   0x02u  /* data: writable; code: readable */
#define SEG_ATTR_DOWN 0x04u  /* data: expand-down */

typedef unsigned __int128 u128;

static uint64_t size_mask(unsigned int size)
{
    return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static uint64_t sign_bit(unsigned int size)
{
    return 1ULL << (size * 8 - 1);
}

static uint64_t addr_mask(unsigned int asz)
{
    return asz == 8 ? ~0ULL : asz == 4 ? 0xffffffffULL : 0xffffULL;
}

static int unhandled(struct emul_state *s, const char *what)
{
    unsigned int i = 0;
    while (what[i] && i < sizeof(s->why) - 1) {
        s->why[i] = what[i];
        i++;
    }
    s->why[i] = '\0';
    return EMUL_UNHANDLEABLE;
}

static int fault(struct emul_state *s, uint8_t vector, bool has_error, uint32_t error)
{
    s->exc = (struct emul_exception){ .vector = vector, .has_error = has_error, .error = error };
    return EMUL_EXCEPTION;
}

/* Registers */

/* The 8-bit registers 4-7 are AH, CH, DH, BH unless there is a REX prefix. */
static bool high_byte_reg(const struct insn *in, unsigned int reg, unsigned int size)
{
    return size == 1 && !in->rex && reg >= 4 && reg < 8;
}

static uint64_t get_reg(const struct emul_state *s, const struct insn *in, unsigned int reg, unsigned int size)
{
    if (high_byte_reg(in, reg, size))
        return (s->gpr[reg - 4] >> 8) & 0xff;
    return s->gpr[reg & 15] & size_mask(size);
}

/* Writes of 8 and 16 bits keep the rest of the register; 32-bit writes
 * clear the upper half, as in 64-bit mode (outside it nobody sees it). */
static void set_reg(struct emul_state *s, const struct insn *in, unsigned int reg, unsigned int size, uint64_t v)
{
    if (high_byte_reg(in, reg, size)) {
        uint64_t *r = &s->gpr[reg - 4];
        *r = (*r & ~0xff00ULL) | ((v & 0xff) << 8);
        return;
    }
    uint64_t *r = &s->gpr[reg & 15];
    if (size < 4)
        *r = (*r & ~size_mask(size)) | (v & size_mask(size));
    else
        *r = v & size_mask(size);
}

/* A register used as an address (rSI, rDI) or a count (rCX) with this
 * address size. */
static void set_addr_reg(struct emul_state *s, unsigned int reg, unsigned int asz, uint64_t v)
{
    if (asz == 2)
        s->gpr[reg] = (s->gpr[reg] & ~0xffffULL) | (v & 0xffff);
    else
        s->gpr[reg] = v & addr_mask(asz);
}

/* Segments and addresses */

/* Offset within a segment -> linear address, with the checks the CPU
 * makes: in 64-bit mode only FS and GS have a base and the address must be
 * canonical (in 48 bits, or 57 with 5-level paging); elsewhere the cached limit (also in real mode, which may be
 * "unreal") and, in protected mode, presence and writability. */
static int linearize(struct emul_state *s, unsigned int seg, uint64_t off, unsigned int size, bool write,
                     uint64_t *la)
{
    uint8_t vector = seg == EMUL_SS ? 12 : 13; /* #SS or #GP */
    if (s->mode == INSN_MODE_LONG64) {
        uint64_t a = off + (seg == EMUL_FS || seg == EMUL_GS ? s->seg[seg].base : 0);
        uint64_t last = a + size - 1;
        unsigned int spare = s->la57 ? 64 - 57 : 64 - 48; /* bits above the canonical width */
        if ((uint64_t)((int64_t)(a << spare) >> spare) != a ||
            (uint64_t)((int64_t)(last << spare) >> spare) != last)
            return fault(s, vector, true, 0);
        *la = a;
        return EMUL_OK;
    }
    const struct emul_segment *sr = &s->seg[seg];
    if (s->mode != INSN_MODE_REAL16) {
        if (!(sr->attr & SEG_ATTR_P))
            return fault(s, vector, true, 0);
        if (write && ((sr->attr & SEG_ATTR_CODE) || !(sr->attr & SEG_ATTR_RW)))
            return fault(s, vector, true, 0);
        if (!write && (sr->attr & SEG_ATTR_CODE) && !(sr->attr & SEG_ATTR_RW))
            return fault(s, vector, true, 0);
    }
    bool expand_down = !(sr->attr & SEG_ATTR_CODE) && (sr->attr & SEG_ATTR_DOWN) && (sr->attr & 0x10);
    uint64_t last = off + size - 1;
    if (expand_down) {
        uint64_t top = (sr->attr & 0x400) ? 0xffffffffULL : 0xffffULL;
        if (off <= sr->limit || last > top)
            return fault(s, vector, true, 0);
    } else if (last > sr->limit || last < off) {
        return fault(s, vector, true, 0);
    }
    *la = (uint32_t)(sr->base + off);
    return EMUL_OK;
}

/* The ModRM memory operand: its segment and offset. */
static void modrm_address(const struct emul_state *s, const struct insn *in, unsigned int *seg, uint64_t *off)
{
    uint64_t ea = (uint64_t)in->disp;
    unsigned int dseg = EMUL_DS;
    if (in->rip_relative) {
        ea += s->rip + in->len;
    } else {
        if (in->base >= 0) {
            ea += s->gpr[in->base];
            /* BP-, ESP- and EBP-based forms default to SS. */
            if (in->addrsize == 2 ? in->base == 5 : (in->base == 4 || in->base == 5))
                dseg = EMUL_SS;
        }
        if (in->index >= 0)
            ea += s->gpr[in->index] * in->scale;
    }
    *seg = in->seg != INSN_SEG_NONE ? in->seg : dseg;
    *off = ea & addr_mask(in->addrsize);
}

static int read_mem(struct emul_state *s, uint64_t la, unsigned int size, uint64_t *val)
{
    uint8_t b[8] = { 0 };
    int rc = s->ops->read(s, la, b, size);
    uint64_t v = 0;
    for (unsigned int i = 0; i < size; i++)
        v |= (uint64_t)b[i] << (8 * i);
    *val = v;
    return rc;
}

static int write_mem(struct emul_state *s, uint64_t la, unsigned int size, uint64_t val)
{
    uint8_t b[8];
    for (unsigned int i = 0; i < size; i++)
        b[i] = (uint8_t)(val >> (8 * i));
    return s->ops->write(s, la, b, size);
}

/* Flags */

static uint32_t flags_szp(uint64_t r, unsigned int size)
{
    r &= size_mask(size);
    uint32_t f = 0;
    if (!r)
        f |= ZF;
    if (r & sign_bit(size))
        f |= SF;
    if (!__builtin_parity((unsigned int)(r & 0xff)))
        f |= PF;
    return f;
}

static void set_flags(struct emul_state *s, uint32_t mask, uint32_t f)
{
    s->rflags = (s->rflags & ~(uint64_t)mask) | (f & mask);
}

enum alu_op { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* a op b on `size` bytes; *flags holds the incoming carry and gets the
 * arithmetic flags out. */
static uint64_t alu(enum alu_op op, unsigned int size, uint64_t a, uint64_t b, uint32_t *flags)
{
    uint64_t m = size_mask(size), sb = sign_bit(size);
    a &= m;
    b &= m;
    unsigned int cin = (op == ALU_ADC || op == ALU_SBB) && (*flags & CF);
    uint64_t r;
    uint32_t f = 0;
    switch (op) {
    case ALU_ADD:
    case ALU_ADC: {
        u128 full = (u128)a + b + cin;
        r = (uint64_t)full & m;
        if ((full >> (size * 8)) & 1)
            f |= CF;
        if ((a ^ r) & (b ^ r) & sb)
            f |= OF;
        f |= (a ^ b ^ r) & AF;
        break;
    }
    case ALU_SUB:
    case ALU_SBB:
    case ALU_CMP:
        r = (a - b - cin) & m;
        if ((u128)a < (u128)b + cin)
            f |= CF;
        if ((a ^ b) & (a ^ r) & sb)
            f |= OF;
        f |= (a ^ b ^ r) & AF;
        break;
    case ALU_OR:
        r = a | b;
        break;
    case ALU_AND:
        r = a & b;
        break;
    default: /* XOR */
        r = a ^ b;
        break;
    }
    *flags = f | flags_szp(r, size);
    return r;
}

/* The instructions */

struct mem_operand {
    uint64_t la;
    unsigned int size;
};

/* The ModRM memory operand of `size` bytes, checked for the access. */
static int modrm_mem(struct emul_state *s, const struct insn *in, unsigned int size, bool write,
                     struct mem_operand *m)
{
    if (!in->has_modrm || in->mod == 3)
        return unhandled(s, "register operand where memory was accessed");
    unsigned int seg;
    uint64_t off;
    modrm_address(s, in, &seg, &off);
    m->size = size;
    return linearize(s, seg, off, size, write, &m->la);
}

/* The same, read: its value in *mv. */
static int modrm_read(struct emul_state *s, const struct insn *in, unsigned int size, bool write,
                      struct mem_operand *m, uint64_t *mv)
{
    int rc = modrm_mem(s, in, size, write, m);
    return rc ? rc : read_mem(s, m->la, size, mv);
}

static void advance(struct emul_state *s, const struct insn *in)
{
    uint64_t rip = s->rip + in->len;
    if (s->mode == INSN_MODE_REAL16 || s->mode == INSN_MODE_PROT16)
        rip &= 0xffff;
    else if (s->mode == INSN_MODE_PROT32)
        rip &= 0xffffffff;
    s->rip = rip;
    s->rflags &= ~(1ULL << 16); /* RF */
}

/* MOV r/m <- value */
static int store(struct emul_state *s, const struct insn *in, unsigned int size, uint64_t val)
{
    struct mem_operand m;
    int rc = modrm_mem(s, in, size, true, &m);
    if (rc)
        return rc;
    return write_mem(s, m.la, size, val & size_mask(size));
}

/* The ALU group on a memory destination (or source, for the reg forms). */
static int alu_insn(struct emul_state *s, const struct insn *in, enum alu_op op, unsigned int size, uint64_t src,
                    bool mem_is_dest)
{
    bool writes = mem_is_dest && op != ALU_CMP;
    struct mem_operand m;
    int rc = modrm_mem(s, in, size, writes, &m);
    if (rc)
        return rc;
    uint64_t mv;
    if ((rc = read_mem(s, m.la, size, &mv)))
        return rc;
    uint32_t f = (uint32_t)s->rflags;
    uint64_t r = mem_is_dest ? alu(op, size, mv, src, &f) : alu(op, size, get_reg(s, in, in->reg, size), mv, &f);
    if (writes && (rc = write_mem(s, m.la, size, r)))
        return rc;
    if (!mem_is_dest && op != ALU_CMP)
        set_reg(s, in, in->reg, size, r);
    set_flags(s, ARITH, f);
    return EMUL_OK;
}

static int test_insn(struct emul_state *s, const struct insn *in, unsigned int size, uint64_t src)
{
    struct mem_operand m;
    uint64_t mv;
    int rc = modrm_read(s, in, size, false, &m, &mv);
    if (rc)
        return rc;
    uint32_t f;
    alu(ALU_AND, size, mv, src, &f);
    set_flags(s, ARITH, f);
    return EMUL_OK;
}

/* INC, DEC, NOT, NEG */
static int unary_insn(struct emul_state *s, const struct insn *in, unsigned int size, unsigned int what)
{
    struct mem_operand m;
    uint64_t mv;
    int rc = modrm_read(s, in, size, true, &m, &mv);
    if (rc)
        return rc;
    uint32_t f = 0, mask = ARITH;
    uint64_t r;
    switch (what) {
    case 0: /* INC: CF unchanged */
        r = alu(ALU_ADD, size, mv, 1, &f);
        mask = ARITH & ~CF;
        break;
    case 1: /* DEC */
        r = alu(ALU_SUB, size, mv, 1, &f);
        mask = ARITH & ~CF;
        break;
    case 2: /* NOT: no flags */
        r = ~mv & size_mask(size);
        mask = 0;
        break;
    default: /* NEG: as 0 - x */
        r = alu(ALU_SUB, size, 0, mv, &f);
        break;
    }
    if ((rc = write_mem(s, m.la, size, r)))
        return rc;
    set_flags(s, mask, f);
    return EMUL_OK;
}

static int xchg_insn(struct emul_state *s, const struct insn *in, unsigned int size)
{
    struct mem_operand m;
    uint64_t mv;
    int rc = modrm_read(s, in, size, true, &m, &mv);
    if (rc)
        return rc;
    if ((rc = write_mem(s, m.la, size, get_reg(s, in, in->reg, size))))
        return rc;
    set_reg(s, in, in->reg, size, mv);
    return EMUL_OK;
}

static int cmpxchg_insn(struct emul_state *s, const struct insn *in, unsigned int size)
{
    struct mem_operand m;
    uint64_t mv;
    int rc = modrm_read(s, in, size, true, &m, &mv);
    if (rc)
        return rc;
    uint32_t f;
    alu(ALU_CMP, size, get_reg(s, in, REG_RAX, size), mv, &f);
    if (f & ZF) {
        if ((rc = write_mem(s, m.la, size, get_reg(s, in, in->reg, size))))
            return rc;
    } else {
        set_reg(s, in, REG_RAX, size, mv);
    }
    set_flags(s, ARITH, f);
    return EMUL_OK;
}

static int xadd_insn(struct emul_state *s, const struct insn *in, unsigned int size)
{
    struct mem_operand m;
    uint64_t mv;
    int rc = modrm_read(s, in, size, true, &m, &mv);
    if (rc)
        return rc;
    uint32_t f;
    uint64_t sum = alu(ALU_ADD, size, mv, get_reg(s, in, in->reg, size), &f);
    if ((rc = write_mem(s, m.la, size, sum)))
        return rc;
    set_reg(s, in, in->reg, size, mv);
    set_flags(s, ARITH, f);
    return EMUL_OK;
}

/*
 * BT, BTS, BTR, BTC (what: 0-3). With a register bit offset the operand is
 * a bit string: the offset may reach outside the addressed word, in either
 * direction. With an immediate it is taken modulo the operand size.
 */
static int bit_insn(struct emul_state *s, const struct insn *in, unsigned int size, unsigned int what, bool imm)
{
    if (!in->has_modrm || in->mod == 3)
        return unhandled(s, "register operand where memory was accessed");
    unsigned int bits = size * 8, seg;
    uint64_t off;
    modrm_address(s, in, &seg, &off);
    int64_t bitoff;
    if (imm) {
        bitoff = (int64_t)(in->imm & (bits - 1));
    } else {
        uint64_t r = get_reg(s, in, in->reg, size);
        bitoff = size == 2 ? (int16_t)r : size == 4 ? (int32_t)r : (int64_t)r;
        /* The word holding the bit, rounded down (bits is a power of two;
         * GCC shifts signed values arithmetically), so even INT64_MIN
         * needs no negation. */
        int64_t word = bitoff >> (size == 2 ? 4 : size == 4 ? 5 : 6);
        off = (off + (uint64_t)word * size) & addr_mask(in->addrsize);
        bitoff &= bits - 1;
    }
    struct mem_operand m;
    uint64_t mv;
    int rc = linearize(s, seg, off, size, what != 0, &m.la);
    if (rc || (rc = read_mem(s, m.la, size, &mv)))
        return rc;
    uint64_t bit = 1ULL << bitoff;
    uint64_t r = what == 1 ? mv | bit : what == 2 ? mv & ~bit : mv ^ bit;
    if (what && (rc = write_mem(s, m.la, size, r)))
        return rc;
    set_flags(s, CF, (mv & bit) ? CF : 0);
    return EMUL_OK;
}

/* String instructions */

/* Elements from la on (in direction df) that lie in la's page; 1 if the
 * first one straddles the page end (the callbacks split it). */
static uint64_t reps_in_page(uint64_t la, unsigned int size, bool df)
{
    uint64_t off = la & (PAGE_BYTES - 1);
    if (off + size > PAGE_BYTES)
        return 1;
    return df ? off / size + 1 : (PAGE_BYTES - off) / size;
}

/* Elements from offset `off` on before the offset wraps around the
 * address size (or, downwards, below zero). */
static uint64_t reps_before_wrap(uint64_t off, unsigned int size, bool df, unsigned int asz)
{
    if (asz == 8)
        return ~0ULL;
    uint64_t n = df ? off / size + 1 : (addr_mask(asz) - off) / size + 1;
    return n ? n : 1;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* One pointer of a string instruction: its register, segment, and the
 * linear address of the first element of this run. */
struct string_ptr {
    unsigned int reg, seg;
    uint64_t off, la;
};

/* Sets up p and clamps *reps so that the run stays in one page, does not
 * wrap and, outside 64-bit mode, stays within the segment. */
static int string_ptr(struct emul_state *s, const struct insn *in, struct string_ptr *p, unsigned int reg,
                      unsigned int seg, unsigned int size, bool write, uint64_t *reps)
{
    bool df = s->rflags & DF;
    p->reg = reg;
    p->seg = seg;
    p->off = s->gpr[reg] & addr_mask(in->addrsize);
    int rc = linearize(s, seg, p->off, size, write, &p->la);
    if (rc)
        return rc;
    *reps = min64(*reps, min64(reps_in_page(p->la, size, df), reps_before_wrap(p->off, size, df, in->addrsize)));
    if (*reps > 1 && s->mode != INSN_MODE_LONG64) {
        /* The last element must pass the segment checks too. */
        uint64_t span = (*reps - 1) * size;
        uint64_t last_off = df ? p->off - span : p->off + span, la_last;
        if (linearize(s, seg, last_off, size, write, &la_last))
            *reps = 1; /* element by element, up to the fault */
    }
    return EMUL_OK;
}

static void string_step(struct emul_state *s, const struct insn *in, const struct string_ptr *p, unsigned int size,
                        uint64_t done)
{
    uint64_t delta = done * size;
    uint64_t off = (s->rflags & DF) ? p->off - delta : p->off + delta;
    set_addr_reg(s, p->reg, in->addrsize, off);
}

static int string_insn(struct emul_state *s, const struct insn *in, unsigned int size)
{
    uint8_t op = in->opcode;
    unsigned int asz = in->addrsize;
    uint64_t count = in->rep || in->repne ? s->gpr[REG_RCX] & addr_mask(asz) : 1;
    if (!count) {
        advance(s, in);
        return EMUL_OK;
    }
    if ((op == 0xa6 || op == 0xa7 || op == 0xae || op == 0xaf))
        return unhandled(s, "CMPS/SCAS on emulated memory");
    unsigned int src_seg = in->seg != INSN_SEG_NONE ? in->seg : EMUL_DS;
    uint64_t reps = count;
    struct string_ptr src = { 0 }, dst = { 0 };
    bool has_src = op == 0xa4 || op == 0xa5 || op == 0xac || op == 0xad || op == 0x6e || op == 0x6f;
    bool has_dst = op == 0xa4 || op == 0xa5 || op == 0xaa || op == 0xab || op == 0x6c || op == 0x6d;
    int rc;
    if (has_src && (rc = string_ptr(s, in, &src, REG_RSI, src_seg, size, false, &reps)))
        return rc;
    if (has_dst && (rc = string_ptr(s, in, &dst, REG_RDI, EMUL_ES, size, true, &reps)))
        return rc;
    /* The REP callbacks take runs that do not cross a page: an element
     * that straddles one goes alone through the plain callbacks. */
    bool straddle = (has_src && (src.la & (PAGE_BYTES - 1)) + size > PAGE_BYTES) ||
                    (has_dst && (dst.la & (PAGE_BYTES - 1)) + size > PAGE_BYTES);
    uint16_t port = (uint16_t)s->gpr[REG_RDX];
    const struct emul_ops *o = s->ops;
    uint64_t v;
    uint32_t io;
    rc = EMUL_OK;
    switch (op) {
    case 0xa4: case 0xa5: /* MOVS */
        if (!straddle && o->rep_movs)
            rc = o->rep_movs(s, src.la, dst.la, size, &reps);
        else if ((reps = 1), !(rc = read_mem(s, src.la, size, &v)))
            rc = write_mem(s, dst.la, size, v);
        break;
    case 0xaa: case 0xab: /* STOS */
        v = get_reg(s, in, REG_RAX, size);
        if (!straddle && o->rep_stos)
            rc = o->rep_stos(s, dst.la, size, v, &reps);
        else
            reps = 1, rc = write_mem(s, dst.la, size, v);
        break;
    case 0xac: case 0xad: /* LODS: one element at a time, each read counts */
        reps = 1;
        if (!(rc = read_mem(s, src.la, size, &v)))
            set_reg(s, in, REG_RAX, size, v);
        break;
    case 0x6c: case 0x6d: /* INS */
        if (!straddle && o->rep_ins)
            rc = o->rep_ins(s, port, dst.la, size, &reps);
        else if ((reps = 1), !(rc = o->read_io(s, port, size, &io)))
            rc = write_mem(s, dst.la, size, io);
        break;
    default: /* OUTS */
        if (!straddle && o->rep_outs)
            rc = o->rep_outs(s, port, src.la, size, &reps);
        else if ((reps = 1), !(rc = read_mem(s, src.la, size, &v)))
            rc = o->write_io(s, port, size, (uint32_t)v);
        break;
    }
    if (rc)
        return rc;
    if (has_src)
        string_step(s, in, &src, size, reps);
    if (has_dst)
        string_step(s, in, &dst, size, reps);
    if (in->rep || in->repne) {
        set_addr_reg(s, REG_RCX, asz, count - reps);
        if (count - reps)
            return EMUL_OK; /* the rest when the guest executes it again */
    }
    advance(s, in);
    return EMUL_OK;
}

static int exec_onebyte(struct emul_state *s, const struct insn *in, unsigned int size)
{
    uint8_t op = in->opcode;
    int rc;
    uint64_t v;
    if (op < 0x40 && (op & 7) < 4) { /* ALU r/m, reg and reg, r/m */
        enum alu_op a = (enum alu_op)(op >> 3);
        bool to_mem = !(op & 2);
        return alu_insn(s, in, a, size, to_mem ? get_reg(s, in, in->reg, size) : 0, to_mem);
    }
    switch (op) {
    case 0x80: case 0x81: case 0x82: case 0x83: { /* group 1: ALU r/m, imm */
        uint64_t imm = in->imm;
        if (op == 0x83 || in->imm_size == 1)
            imm = (uint64_t)(int64_t)(int8_t)imm;
        else if (in->imm_size == 4)
            imm = (uint64_t)(int64_t)(int32_t)imm;
        else if (in->imm_size == 2)
            imm = (uint64_t)(int64_t)(int16_t)imm;
        return alu_insn(s, in, (enum alu_op)(in->reg & 7), size, imm, true);
    }
    case 0x84: case 0x85:
        return test_insn(s, in, size, get_reg(s, in, in->reg, size));
    case 0x86: case 0x87:
        return xchg_insn(s, in, size);
    case 0x88: case 0x89:
        return store(s, in, size, get_reg(s, in, in->reg, size));
    case 0x8a: case 0x8b: {
        struct mem_operand m;
        if ((rc = modrm_read(s, in, size, false, &m, &v)))
            return rc;
        set_reg(s, in, in->reg, size, v);
        return EMUL_OK;
    }
    case 0x63: { /* MOVSXD (64-bit mode only; ARPL elsewhere) */
        if (s->mode != INSN_MODE_LONG64)
            return unhandled(s, "ARPL");
        struct mem_operand m;
        unsigned int src_size = size == 2 ? 2 : 4;
        if ((rc = modrm_read(s, in, src_size, false, &m, &v)))
            return rc;
        set_reg(s, in, in->reg, size, src_size == 4 ? (uint64_t)(int64_t)(int32_t)v : v);
        return EMUL_OK;
    }
    case 0xa0: case 0xa1: case 0xa2: case 0xa3: { /* MOV with an absolute offset */
        unsigned int seg = in->seg != INSN_SEG_NONE ? in->seg : EMUL_DS;
        uint64_t la;
        bool write = op >= 0xa2;
        if ((rc = linearize(s, seg, in->moffs & addr_mask(in->addrsize), size, write, &la)))
            return rc;
        if (write)
            return write_mem(s, la, size, get_reg(s, in, REG_RAX, size));
        if ((rc = read_mem(s, la, size, &v)))
            return rc;
        set_reg(s, in, REG_RAX, size, v);
        return EMUL_OK;
    }
    case 0xc6: case 0xc7:
        if ((in->reg & 7) != 0)
            break;
        v = in->imm;
        if (size == 8)
            v = (uint64_t)(int64_t)(int32_t)v;
        return store(s, in, size, v);
    case 0xf6: case 0xf7:
        switch (in->reg & 7) {
        case 0: case 1:
            v = in->imm;
            if (size == 8)
                v = (uint64_t)(int64_t)(int32_t)v;
            return test_insn(s, in, size, v);
        case 2:
            return unary_insn(s, in, size, 2);
        case 3:
            return unary_insn(s, in, size, 3);
        }
        return unhandled(s, "MUL/DIV on emulated memory");
    case 0xfe: case 0xff:
        if ((in->reg & 7) <= 1)
            return unary_insn(s, in, size, in->reg & 7);
        break;
    case 0x6c: case 0x6d: case 0x6e: case 0x6f:
        /* Ports are at most 32 bits wide: REX.W leaves INSD/OUTSD at 4. */
        return string_insn(s, in, size > 4 ? 4 : size);
    case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf:
        return string_insn(s, in, size);
    }
    return unhandled(s, "instruction not emulated");
}

static int exec_twobyte(struct emul_state *s, const struct insn *in, unsigned int size)
{
    uint8_t op = in->opcode;
    int rc;
    uint64_t v;
    switch (op) {
    case 0xb6: case 0xb7: case 0xbe: case 0xbf: { /* MOVZX, MOVSX */
        unsigned int src_size = (op & 1) ? 2 : 1;
        struct mem_operand m;
        if ((rc = modrm_read(s, in, src_size, false, &m, &v)))
            return rc;
        if (op >= 0xbe)
            v = src_size == 1 ? (uint64_t)(int64_t)(int8_t)v : (uint64_t)(int64_t)(int16_t)v;
        set_reg(s, in, in->reg, in->opsize, v);
        return EMUL_OK;
    }
    case 0xc3: /* MOVNTI */
        return store(s, in, in->opsize, get_reg(s, in, in->reg, in->opsize));
    case 0xa3: return bit_insn(s, in, size, 0, false);
    case 0xab: return bit_insn(s, in, size, 1, false);
    case 0xb3: return bit_insn(s, in, size, 2, false);
    case 0xbb: return bit_insn(s, in, size, 3, false);
    case 0xba:
        if ((in->reg & 7) >= 4)
            return bit_insn(s, in, size, in->reg & 3, true);
        break;
    case 0xb0: case 0xb1:
        return cmpxchg_insn(s, in, size);
    case 0xc0: case 0xc1:
        return xadd_insn(s, in, size);
    }
    return unhandled(s, "instruction not emulated");
}

static bool is_string(const struct insn *in)
{
    uint8_t op = in->opcode;
    return in->map == INSN_MAP_ONEBYTE && ((op >= 0x6c && op <= 0x6f) || (op >= 0xa4 && op <= 0xaf));
}

int x86_emulate(struct emul_state *s, const struct insn *in)
{
    s->why[0] = '\0';
    if (in->vex)
        return unhandled(s, "VEX/EVEX-encoded instruction");
    unsigned int size = in->byte_op ? 1 : in->opsize;
    int rc;
    if (in->map == INSN_MAP_ONEBYTE)
        rc = exec_onebyte(s, in, size);
    else if (in->map == INSN_MAP_0F)
        rc = exec_twobyte(s, in, size);
    else
        rc = unhandled(s, "instruction not emulated");
    /* The string forms move RIP themselves (or leave it for the next
     * iterations); everything else completes here. */
    if (rc == EMUL_OK && !is_string(in))
        advance(s, in);
    return rc;
}
