/*
 * libFuzzer target for the instruction emulator (hypervisor/arch/x86/insn/
 * emulate.c), as an HVM guest drives it: any instruction bytes, registers
 * and flags, in each CPU mode, against callbacks whose answers (values,
 * partial REP runs, a retry, a fault) come from the input too. It checks
 * the promises the callbacks rely on (access sizes, addresses within the
 * mode's width, REP runs inside one page and at least one element) and what
 * the caller relies on (a known result, RIP where it belongs, a reason for
 * a refusal, an exception vector that exists).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/arch/x86/insn/decode.c"
#include "hypervisor/arch/x86/insn/emulate.c"

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

/* The callbacks' answers, taken from the input's tail in order. */
struct feed {
    const uint8_t *p;
    size_t n;
    uint64_t width; /* the mode's linear-address mask */
};

static uint8_t answer(struct emul_state *s)
{
    struct feed *f = s->priv;
    if (!f->n)
        return 0xff;
    f->n--;
    return *f->p++;
}

/* Most calls succeed; some retry or fault, as a device model or a page
 * walk would. */
static int outcome(struct emul_state *s)
{
    uint8_t b = answer(s);
    if (b == 0xfe)
        return EMUL_RETRY;
    if (b == 0xfd) {
        s->exc = (struct emul_exception){ .vector = 14, .has_error = true, .error = 2 };
        return EMUL_EXCEPTION;
    }
    return EMUL_OK;
}

static void check_la(struct emul_state *s, uint64_t la)
{
    REQUIRE((la & ~((struct feed *)s->priv)->width) == 0);
}

static int f_read(struct emul_state *s, uint64_t la, void *buf, unsigned int size)
{
    REQUIRE(size >= 1 && size <= 8);
    check_la(s, la);
    for (unsigned int i = 0; i < size; i++)
        ((uint8_t *)buf)[i] = answer(s);
    return outcome(s);
}

static int f_write(struct emul_state *s, uint64_t la, const void *buf, unsigned int size)
{
    REQUIRE(size >= 1 && size <= 8);
    check_la(s, la);
    volatile uint8_t sink = 0;
    for (unsigned int i = 0; i < size; i++)
        sink ^= ((const uint8_t *)buf)[i]; /* ASan: the whole buffer is there */
    (void)sink;
    return outcome(s);
}

static int f_read_io(struct emul_state *s, uint16_t port, unsigned int size, uint32_t *val)
{
    REQUIRE(size == 1 || size == 2 || size == 4);
    *val = answer(s) * 0x01010101u;
    return outcome(s);
}

static int f_write_io(struct emul_state *s, uint16_t port, unsigned int size, uint32_t val)
{
    REQUIRE(size == 1 || size == 2 || size == 4);
    return outcome(s);
}

/* A run of *reps elements from la must stay in la's page. */
static void check_run(struct emul_state *s, uint64_t la, unsigned int size, uint64_t reps)
{
    check_la(s, la);
    REQUIRE(reps >= 1 && reps <= 4096);
    uint64_t off = la & 4095, span = (reps - 1) * size;
    REQUIRE(off + size <= 4096);
    if (s->rflags & EMUL_FLAG_DF)
        REQUIRE(off >= span);
    else
        REQUIRE(off + span + size <= 4096);
}

/* Does between 1 and *reps elements. */
static int partial(struct emul_state *s, uint64_t *reps)
{
    *reps = 1 + answer(s) % *reps;
    return outcome(s);
}

static int f_rep_movs(struct emul_state *s, uint64_t src, uint64_t dst, unsigned int size, uint64_t *reps)
{
    check_run(s, src, size, *reps);
    check_run(s, dst, size, *reps);
    return partial(s, reps);
}

static int f_rep_stos(struct emul_state *s, uint64_t dst, unsigned int size, uint64_t val, uint64_t *reps)
{
    check_run(s, dst, size, *reps);
    return partial(s, reps);
}

static int f_rep_ins(struct emul_state *s, uint16_t port, uint64_t dst, unsigned int size, uint64_t *reps)
{
    REQUIRE(size == 1 || size == 2 || size == 4);
    check_run(s, dst, size, *reps);
    return partial(s, reps);
}

static int f_rep_outs(struct emul_state *s, uint16_t port, uint64_t src, unsigned int size, uint64_t *reps)
{
    REQUIRE(size == 1 || size == 2 || size == 4);
    check_run(s, src, size, *reps);
    return partial(s, reps);
}

static const struct emul_ops with_rep = { f_read, f_write, f_read_io, f_write_io,
                                          f_rep_movs, f_rep_stos, f_rep_ins, f_rep_outs };
static const struct emul_ops without_rep = { f_read, f_write, f_read_io, f_write_io, 0, 0, 0, 0 };

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/*
 * Input: a control byte (mode in bits 0-1, DF bit 2, REP callbacks bit 3,
 * segment bases from the input bit 4), 15 instruction bytes, 16 registers
 * and RIP (8 bytes each), then the callbacks' answers.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { HEAD = 1 + 15 + 17 * 8 };
    if (size < HEAD)
        return 0;
    uint8_t ctl = data[0];
    enum insn_mode mode = (enum insn_mode)(ctl & 3);
    struct insn in;
    if (insn_decode(&in, data + 1, 15, mode) != INSN_OK)
        return 0;

    struct feed f = { data + HEAD, size - HEAD, mode == INSN_MODE_LONG64 ? ~0ULL : 0xffffffffULL };
    struct emul_state s = { .mode = mode, .ops = (ctl & 8) ? &with_rep : &without_rep, .priv = &f };
    for (unsigned int r = 0; r < 16; r++)
        s.gpr[r] = rd64(data + 16 + 8 * r);
    s.rip = rd64(data + 16 + 8 * 16);
    uint64_t ip_mask = mode == INSN_MODE_LONG64 ? ~0ULL : mode == INSN_MODE_PROT32 ? 0xffffffffULL : 0xffffULL;
    s.rip &= ip_mask;
    s.rflags = 0x2 | ((ctl & 4) ? EMUL_FLAG_DF : 0);
    for (unsigned int i = 0; i < EMUL_NR_SEGS; i++) {
        uint64_t base = (ctl & 16) ? (s.gpr[i] & 0xfffff000) : 0;
        if (mode == INSN_MODE_REAL16)
            s.seg[i] = (struct emul_segment){ .base = base & 0xffff0, .limit = 0xffff, .attr = 0x93 };
        else if (mode == INSN_MODE_PROT16)
            s.seg[i] = (struct emul_segment){ .base = base, .limit = 0xffff, .attr = 0x93 };
        else
            s.seg[i] = (struct emul_segment){ .base = base, .limit = 0xffffffff, .attr = 0xc93 };
    }
    s.seg[EMUL_CS].attr = mode == INSN_MODE_LONG64 ? 0xa9b : mode == INSN_MODE_PROT32 ? 0xc9b : 0x9b;

    uint64_t rip0 = s.rip;
    uint64_t gpr0[16];
    memcpy(gpr0, s.gpr, sizeof(gpr0));
    int rc = x86_emulate(&s, &in);
    REQUIRE(rc == EMUL_OK || rc == EMUL_EXCEPTION || rc == EMUL_RETRY || rc == EMUL_UNHANDLEABLE);
    switch (rc) {
    case EMUL_OK:
        /* Done (RIP past it), or a REP run with more to go (RIP stays). */
        REQUIRE(s.rip == ((rip0 + in.len) & ip_mask) || (s.rip == rip0 && (in.rep || in.repne)));
        break;
    case EMUL_EXCEPTION:
        REQUIRE(s.exc.vector < 32);
        break;
    case EMUL_UNHANDLEABLE:
        REQUIRE(s.why[0] && memchr(s.why, 0, sizeof(s.why)));
        break;
    default:
        break;
    }
    if (mode != INSN_MODE_LONG64 && rc == EMUL_OK) {
        /* Outside 64-bit mode no register's upper half changes. */
        for (unsigned int r = 0; r < 8; r++)
            REQUIRE((s.gpr[r] >> 32) == (gpr0[r] >> 32) || (s.gpr[r] >> 32) == 0);
        for (unsigned int r = 8; r < 16; r++)
            REQUIRE(s.gpr[r] == gpr0[r]);
    }
    return 0;
}
