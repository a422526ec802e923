/*
 * libFuzzer target for the x86 instruction decoder: decodes the input in all
 * four modes and checks invariants. Each decode works on an exact-size heap
 * copy so that ASan catches any read past `avail`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/arch/x86/insn/decode.c"

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

static int decode_exact(struct insn *out, const uint8_t *data, size_t n, enum insn_mode mode)
{
    uint8_t *buf = malloc(n ? n : 1);
    if (n)
        memcpy(buf, data, n);
    int r = insn_decode(out, buf, n, mode);
    free(buf);
    return r;
}

static void check_fields(const struct insn *i, size_t avail, enum insn_mode mode)
{
    REQUIRE(i->len >= 1 && i->len <= 15 && i->len <= avail);
    REQUIRE(i->nr_prefixes < i->len);
    REQUIRE(i->opsize == 2 || i->opsize == 4 || i->opsize == 8);
    REQUIRE(i->addrsize == 2 || i->addrsize == 4 || i->addrsize == 8);
    REQUIRE(mode == INSN_MODE_LONG64 ? i->addrsize != 2 : i->addrsize != 8);
    REQUIRE(mode == INSN_MODE_LONG64 || (i->opsize != 8 && i->rex == 0 && !i->rip_relative));
    REQUIRE(i->disp_size == 0 || i->disp_size == 1 || i->disp_size == 2 || i->disp_size == 4);
    REQUIRE(i->disp_size != 2 || i->addrsize == 2);
    REQUIRE(i->imm_size <= 8 && i->imm2_size <= 2 && (!i->imm2_size || i->imm_size));
    REQUIRE(i->imm_size == 8 || i->imm >> (8 * i->imm_size) == 0);
    REQUIRE(i->imm2 >> (8 * i->imm2_size) == 0);
    REQUIRE(i->reg < 16 && i->rm < 16);
    REQUIRE(i->index >= -1 && i->index < 16 && i->base >= -1 && i->base < 16);
    REQUIRE(i->scale == 1 || i->scale == 2 || i->scale == 4 || i->scale == 8);
    REQUIRE(i->seg == INSN_SEG_NONE || i->seg <= 5);
    REQUIRE(!(i->rep && i->repne));
    REQUIRE(i->rex == 0 || (i->rex & 0xf0) == 0x40);
    REQUIRE(i->map <= 10);
    REQUIRE(i->vex || i->map <= INSN_MAP_0F3A);
    if (!i->has_modrm)
        REQUIRE(i->mod == 0 && !i->has_sib && i->disp_size == 0 && i->base == -1 && i->index == -1);
    else if (i->mod == 3)
        REQUIRE(!i->has_sib && i->disp_size == 0 && i->base == -1 && i->index == -1 && !i->rip_relative);
    if (i->has_sib)
        REQUIRE(i->has_modrm && i->addrsize != 2);
    if (i->rip_relative)
        REQUIRE(mode == INSN_MODE_LONG64 && i->base == -1 && i->index == -1 && i->disp_size == 4);
    if (i->has_moffs)
        REQUIRE(!i->has_modrm && !i->imm_size && (i->addrsize == 8 || i->moffs >> (8 * i->addrsize) == 0));
    /* every byte is accounted for: what is left is the escape (0F, 0F 38,
     * 0F 3A) or the VEX (2 or 3 bytes), XOP (3) or EVEX (4) prefix */
    unsigned fields = i->nr_prefixes + 1u + i->has_modrm + i->has_sib + i->disp_size + i->imm_size +
                      i->imm2_size + (i->has_moffs ? i->addrsize : 0u);
    REQUIRE(fields <= i->len);
    unsigned rest = i->len - fields;
    if (i->vex)
        REQUIRE(rest >= 2 && rest <= 4);
    else
        REQUIRE(rest == (i->map == INSN_MAP_ONEBYTE ? 0u : i->map == INSN_MAP_0F ? 1u : 2u));
}

static bool same(const struct insn *a, const struct insn *b)
{
    return a->len == b->len && a->nr_prefixes == b->nr_prefixes && a->opsize == b->opsize &&
           a->addrsize == b->addrsize && a->byte_op == b->byte_op && a->rex == b->rex &&
           a->lock == b->lock && a->rep == b->rep && a->repne == b->repne &&
           a->opsize_prefix == b->opsize_prefix && a->vex == b->vex && a->seg == b->seg &&
           a->map == b->map && a->opcode == b->opcode && a->has_modrm == b->has_modrm &&
           a->mod == b->mod && a->reg == b->reg && a->rm == b->rm && a->has_sib == b->has_sib &&
           a->scale == b->scale && a->index == b->index && a->base == b->base &&
           a->rip_relative == b->rip_relative && a->disp == b->disp && a->disp_size == b->disp_size &&
           a->imm == b->imm && a->imm_size == b->imm_size && a->imm2 == b->imm2 &&
           a->imm2_size == b->imm2_size && a->moffs == b->moffs && a->has_moffs == b->has_moffs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 32)
        size = 32;
    for (int m = 0; m < 4; m++) {
        enum insn_mode mode = (enum insn_mode)m;
        struct insn full, t;
        int r = decode_exact(&full, data, size, mode);
        REQUIRE(r == INSN_OK || r == INSN_TRUNCATED || r == INSN_INVALID);
        if (size >= 15)
            REQUIRE(r != INSN_TRUNCATED); /* 15 bytes always decide */
        if (r != INSN_OK)
            continue;
        check_fields(&full, size, mode);
        /* exactly len bytes give the same decode; any fewer are truncated */
        REQUIRE(decode_exact(&t, data, full.len, mode) == INSN_OK);
        REQUIRE(same(&t, &full));
        REQUIRE(decode_exact(&t, data, full.len - 1u, mode) == INSN_TRUNCATED);
        for (unsigned k = 0; k + 1u < full.len; k++)
            REQUIRE(decode_exact(&t, data, k, mode) == INSN_TRUNCATED);
    }
    return 0;
}
