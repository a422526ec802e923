/*
 * Host unit test of the x86 instruction decoder (hypervisor/arch/x86/insn).
 *
 * The cases in insn_cases.inc come from GNU as/objdump through
 * tests/unit/gen/gen_insn_cases.py (run it again after changing the decoder's
 * rules or the cases). For every case this test checks the result, the length
 * and the listed fields; for every valid instruction also that each shorter
 * buffer gives INSN_TRUNCATED, that more bytes after it change nothing, and
 * the invariants of the output. Buffers are heap-allocated to their exact
 * size, so ASan catches any read past `avail`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/arch/x86/insn/decode.c"
#include "tests/lib/tap.h"

enum field {
    F_nr_prefixes, F_opsize, F_addrsize, F_byte_op, F_rex, F_lock, F_rep, F_repne,
    F_opsize_prefix, F_vex, F_seg, F_map, F_opcode, F_has_modrm, F_mod, F_reg, F_rm,
    F_has_sib, F_scale, F_index, F_base, F_rip_relative, F_disp, F_disp_size, F_imm,
    F_imm_size, F_imm2, F_imm2_size, F_moffs, F_has_moffs,
};

#define K(f) (1u << F_##f)
#define K_MEM                                                                  \
    (K(has_modrm) | K(mod) | K(base) | K(index) | K(scale) | K(disp) | K(disp_size) | \
     K(has_sib) | K(rip_relative) | K(addrsize) | K(seg))
#define MEM(mod_, base_, index_, scale_, disp_, dsize_, sib_, rip_, asz_, seg_)  \
    .has_modrm = 1, .mod = mod_, .base = base_, .index = index_, .scale = scale_, \
    .disp = disp_, .disp_size = dsize_, .has_sib = sib_, .rip_relative = rip_,     \
    .addrsize = asz_, .seg = seg_

/* where a case comes from (see the generator); all but G_MANUAL are reported per set */
enum group { G_MMIO, G_MISC, G_BROAD, G_SWEEP, G_RANDOM, G_MANUAL, G_COUNT };
static const char *const group_names[G_COUNT] = {
    "memory-access forms (gas, fields from the operands)",
    "register/immediate/moffs/string/system forms (gas)",
    "instructions of all maps (gas, length)",
    "opcode sweep (objdump-judged)",
    "random strings (objdump-judged)",
    "",
};

#define R16 INSN_MODE_REAL16
#define P16 INSN_MODE_PROT16
#define P32 INSN_MODE_PROT32
#define L64 INSN_MODE_LONG64
#define OK INSN_OK
#define TRUNC INSN_TRUNCATED
#define INV INSN_INVALID

struct insn_case {
    enum group group;
    enum insn_mode mode;
    int result;
    uint8_t len;        /* when result == INSN_OK */
    uint8_t avail;      /* bytes passed to the decoder */
    const char *bytes;
    const char *name;   /* source text; empty for objdump-judged strings */
    uint32_t check;     /* K() of the fields of `exp` to compare */
    struct insn exp;
};

static const struct insn_case cases[] = {
#include "tests/unit/insn_cases.inc"
};

static const char *const mode_names[] = { "r16", "p16", "p32", "l64" };

static int decode_copy(struct insn *out, const char *bytes, size_t avail, size_t pad,
                       enum insn_mode mode)
{
    /* exact-size heap copy: ASan reports any read past `avail` */
    uint8_t *buf = malloc(avail + pad + 1);
    memcpy(buf, bytes, avail);
    memset(buf + avail, 0xa5, pad);
    int r = insn_decode(out, buf, avail + pad, mode);
    free(buf);
    return r;
}

/* Appends "field got != want" for each checked field that differs. */
static int compare(const struct insn *g, const struct insn_case *c, char *why, size_t n)
{
    const struct insn *e = &c->exp;
    size_t used = strlen(why);
    int bad = 0;
#define FIELD(f)                                                                \
    do {                                                                        \
        if ((c->check & K(f)) && (long long)g->f != (long long)e->f) {          \
            used += (size_t)snprintf(why + used, used < n ? n - used : 0,       \
                                     " " #f " %lld != %lld", (long long)g->f,   \
                                     (long long)e->f);                          \
            bad = 1;                                                            \
        }                                                                       \
    } while (0)
    FIELD(nr_prefixes); FIELD(opsize); FIELD(addrsize); FIELD(byte_op); FIELD(rex);
    FIELD(lock); FIELD(rep); FIELD(repne); FIELD(opsize_prefix); FIELD(vex); FIELD(seg);
    FIELD(map); FIELD(opcode); FIELD(has_modrm); FIELD(mod); FIELD(reg); FIELD(rm);
    FIELD(has_sib); FIELD(scale); FIELD(index); FIELD(base); FIELD(rip_relative);
    FIELD(disp); FIELD(disp_size); FIELD(imm); FIELD(imm_size); FIELD(imm2);
    FIELD(imm2_size); FIELD(moffs); FIELD(has_moffs);
#undef FIELD
    return bad;
}

/* Output invariants of a successful decode. */
static const char *invariant_error(const struct insn *i, size_t avail)
{
    if (i->len < 1 || i->len > 15 || i->len > avail)
        return "len out of range";
    if (i->nr_prefixes >= i->len)
        return "nr_prefixes >= len";
    if (i->opsize != 2 && i->opsize != 4 && i->opsize != 8)
        return "opsize";
    if (i->addrsize != 2 && i->addrsize != 4 && i->addrsize != 8)
        return "addrsize";
    if (i->disp_size != 0 && i->disp_size != 1 && i->disp_size != 2 && i->disp_size != 4)
        return "disp_size";
    if (i->imm_size > 8 || i->imm2_size > 2 || (i->imm2_size && !i->imm_size))
        return "imm sizes";
    if (i->reg > 15 || i->rm > 15 || i->index < -1 || i->index > 15 || i->base < -1 || i->base > 15)
        return "register numbers";
    if (i->scale != 1 && i->scale != 2 && i->scale != 4 && i->scale != 8)
        return "scale";
    if (i->has_sib && (!i->has_modrm || i->mod == 3 || i->addrsize == 2))
        return "SIB without a 32/64-bit memory ModRM";
    if (i->rip_relative && (i->base != -1 || i->index != -1 || i->disp_size != 4))
        return "RIP-relative form";
    if (i->has_moffs && (i->has_modrm || i->imm_size))
        return "moffs with ModRM or immediate";
    if (i->rep && i->repne)
        return "rep and repne";
    if (i->seg != INSN_SEG_NONE && i->seg > 5)
        return "seg";
    if (!i->has_modrm && (i->disp_size || i->has_sib || i->base != -1 || i->index != -1))
        return "memory fields without ModRM";
    if (i->has_modrm && i->mod == 3 && (i->disp_size || i->has_sib || i->base != -1))
        return "memory fields with a register operand";
    if (i->map > 10)
        return "map";
    return NULL;
}

static int run_case(size_t n, const struct insn_case *c)
{
    char name[200], why[512] = "";
    char hex[64] = "";
    for (unsigned k = 0; k < c->avail && k < 15; k++)
        snprintf(hex + strlen(hex), sizeof hex - strlen(hex), "%s%02x", k ? " " : "",
                 (uint8_t)c->bytes[k]);
    snprintf(name, sizeof name, "%s [%s] %s #%zu", mode_names[c->mode], hex, c->name, n);

    struct insn i;
    int r = decode_copy(&i, c->bytes, c->avail, 0, c->mode);
    if (r != c->result) {
        snprintf(why, sizeof why, "result %d, want %d (len %u)", r, c->result, i.len);
    } else if (r == INSN_OK) {
        const char *inv = invariant_error(&i, c->avail);
        if (i.len != c->len)
            snprintf(why, sizeof why, "len %u, want %u", i.len, c->len);
        else if (inv)
            snprintf(why, sizeof why, "invariant: %s", inv);
        else if (compare(&i, c, why, sizeof why))
            ;
        else {
            /* each proper prefix is truncated, more bytes change nothing */
            for (unsigned k = 0; k < c->len && !why[0]; k++) {
                struct insn t;
                int rt = decode_copy(&t, c->bytes, k, 0, c->mode);
                if (rt != INSN_TRUNCATED)
                    snprintf(why, sizeof why, "first %u bytes: result %d, want TRUNCATED", k, rt);
            }
            struct insn t;
            if (!why[0] && (decode_copy(&t, c->bytes, c->len, 16, c->mode) != INSN_OK || t.len != c->len))
                snprintf(why, sizeof why, "with trailing bytes: len %u", t.len);
        }
    }
    /* hand-written cases get a line each, the sets one line per set (in main) */
    if (c->group == G_MANUAL || why[0])
        CHECK(name, !why[0], "%s", why);
    return why[0] != 0;
}

/* Hand-built checks that do not fit the table. */
static void run_extra(void)
{
    struct insn i;
    static const uint8_t nop[] = { 0x90 };
    CHECK("bad mode is invalid", insn_decode(&i, nop, 1, (enum insn_mode)7) == INSN_INVALID, "mode 7");
    CHECK("zero avail is truncated", insn_decode(&i, nop, 0, INSN_MODE_LONG64) == INSN_TRUNCATED, "avail 0");

    /* 1..14 prefixes before a 1-byte instruction are fine, 15 are not, in every mode */
    for (int mode = 0; mode < 4; mode++) {
        for (unsigned n = 0; n <= 15; n++) {
            uint8_t b[16];
            char name[64];
            memset(b, 0x66, n);
            b[n] = 0xf4; /* HLT */
            int r = insn_decode(&i, b, n + 1, (enum insn_mode)mode);
            snprintf(name, sizeof name, "%s: %u prefixes + HLT", mode_names[mode], n);
            if (n < 15)
                CHECK(name, r == INSN_OK && i.len == n + 1 && i.nr_prefixes == n && i.opcode == 0xf4,
                      "r %d len %u", r, i.len);
            else
                CHECK(name, r == INSN_INVALID, "r %d", r);
        }
    }

    /* the decoder never reads past avail, whatever the bytes: random strings
     * in exact-size buffers (ASan), every length, every mode */
    uint32_t seed = 12345;
    int bad = 0;
    for (int n = 0; n < 20000; n++) {
        uint8_t b[15];
        for (int k = 0; k < 15; k++) {
            seed = seed * 1103515245u + 12345u;
            b[k] = (uint8_t)(seed >> 16);
        }
        for (int mode = 0; mode < 4; mode++) {
            struct insn full;
            int r = decode_copy(&full, (const char *)b, 15, 0, (enum insn_mode)mode);
            if (r == INSN_TRUNCATED) {
                bad++; /* 15 bytes are always enough to decide */
                continue;
            }
            if (r == INSN_OK && invariant_error(&full, 15))
                bad++;
            for (unsigned k = 0; r == INSN_OK && k < full.len; k++)
                if (decode_copy(&i, (const char *)b, k, 0, (enum insn_mode)mode) != INSN_TRUNCATED)
                    bad++;
        }
    }
    CHECK("random strings: invariants, truncation, no over-read", bad == 0, "%d failures", bad);
}

int main(void)
{
    TAP_PLAN(244);
    size_t count[G_COUNT][4] = { { 0 } };
    int failed[G_COUNT][4] = { { 0 } };

    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct insn_case *c = &cases[k];
        count[c->group][c->mode]++;
        failed[c->group][c->mode] += run_case(k, c);
    }
    for (int g = 0; g < G_MANUAL; g++) {
        for (int mode = 0; mode < 4; mode++) {
            char name[128];
            if (!count[g][mode])
                continue;
            snprintf(name, sizeof name, "%s %s: %zu cases", mode_names[mode], group_names[g],
                     count[g][mode]);
            CHECK(name, !failed[g][mode], "%d failed", failed[g][mode]);
        }
    }
    run_extra();
    TAP_EXIT();
}
