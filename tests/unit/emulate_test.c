/*
 * Host unit test of the instruction emulator (hypervisor/arch/x86/insn/
 * emulate.c) with the decoder it runs on.
 *
 * The encodings come from the assembler: each case's instruction is
 * assembled by gas from the text below (top-level asm, in the mode the case
 * runs in: .code16, .code32 or .code64) into a data section, and decoded
 * from there. The machine under the emulator is a flat memory of 1 MiB
 * (linear = physical) with a device window at DEV_BASE whose accesses are
 * logged, a window at FAULT_BASE that page-faults, and ports that log.
 * Expected results are written out per case. The ALU flags are also checked
 * against the host CPU executing the same operation on random operands.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/arch/x86/insn/decode.c"
#include "hypervisor/arch/x86/insn/emulate.c"
#include "tests/lib/tap.h"

#define MEM_SIZE (1u << 20)
#define DEV_BASE 0x80000u
#define DEV_SIZE 0x10000u
#define FAULT_BASE 0xf0000u

static uint8_t mem[MEM_SIZE];
static uint8_t dev[DEV_SIZE];

struct access {
    char kind;          /* 'r' 'w' device memory, 'i' 'o' port */
    uint64_t addr;
    unsigned int size;
    uint64_t val;
};
static struct access log_[64];
static unsigned int nlog;
static unsigned int rep_calls;

static void log_access(char kind, uint64_t addr, unsigned int size, uint64_t val)
{
    if (nlog < 64)
        log_[nlog] = (struct access){ kind, addr, size, val };
    nlog++;
}

static int pf(struct emul_state *s, uint64_t la, bool write)
{
    s->exc = (struct emul_exception){ .vector = 14, .has_error = true, .error = write ? 2 : 0, .cr2 = la };
    return EMUL_EXCEPTION;
}

static bool in_dev(uint64_t la) { return la >= DEV_BASE && la < DEV_BASE + DEV_SIZE; }

static int m_read(struct emul_state *s, uint64_t la, void *buf, unsigned int size)
{
    if (la >= MEM_SIZE || la + size > MEM_SIZE || (la + size > FAULT_BASE && la < FAULT_BASE + 0x1000))
        return pf(s, la < FAULT_BASE ? FAULT_BASE : la, false);
    if (in_dev(la)) {
        memcpy(buf, &dev[la - DEV_BASE], size);
        uint64_t v = 0;
        memcpy(&v, buf, size);
        log_access('r', la, size, v);
        return EMUL_OK;
    }
    memcpy(buf, &mem[la], size);
    return EMUL_OK;
}

static int m_write(struct emul_state *s, uint64_t la, const void *buf, unsigned int size)
{
    if (la >= MEM_SIZE || la + size > MEM_SIZE || (la + size > FAULT_BASE && la < FAULT_BASE + 0x1000))
        return pf(s, la < FAULT_BASE ? FAULT_BASE : la, true);
    if (in_dev(la)) {
        memcpy(&dev[la - DEV_BASE], buf, size);
        uint64_t v = 0;
        memcpy(&v, buf, size);
        log_access('w', la, size, v);
        return EMUL_OK;
    }
    memcpy(&mem[la], buf, size);
    return EMUL_OK;
}

static uint32_t port_value(uint16_t port, unsigned int size)
{
    uint32_t v = 0x11223344u ^ port;
    return size == 4 ? v : v & ((1u << (size * 8)) - 1);
}

static int m_read_io(struct emul_state *s, uint16_t port, unsigned int size, uint32_t *val)
{
    *val = port_value(port, size);
    log_access('i', port, size, *val);
    return EMUL_OK;
}

static int m_write_io(struct emul_state *s, uint16_t port, unsigned int size, uint32_t val)
{
    log_access('o', port, size, val);
    return EMUL_OK;
}

static int64_t step(struct emul_state *s, unsigned int size)
{
    return (s->rflags & EMUL_FLAG_DF) ? -(int64_t)size : (int64_t)size;
}

/* The REP callbacks of a device model that serves a whole run at once. */
static int m_rep_movs(struct emul_state *s, uint64_t src, uint64_t dst, unsigned int size, uint64_t *reps)
{
    rep_calls++;
    for (uint64_t i = 0; i < *reps; i++) {
        uint64_t v = 0;
        int rc = m_read(s, src + i * step(s, size), &v, size);
        if (!rc)
            rc = m_write(s, dst + i * step(s, size), &v, size);
        if (rc)
            return rc;
    }
    return EMUL_OK;
}

static int m_rep_stos(struct emul_state *s, uint64_t dst, unsigned int size, uint64_t val, uint64_t *reps)
{
    rep_calls++;
    for (uint64_t i = 0; i < *reps; i++) {
        int rc = m_write(s, dst + i * step(s, size), &val, size);
        if (rc)
            return rc;
    }
    return EMUL_OK;
}

static int m_rep_ins(struct emul_state *s, uint16_t port, uint64_t dst, unsigned int size, uint64_t *reps)
{
    rep_calls++;
    for (uint64_t i = 0; i < *reps; i++) {
        uint32_t v;
        m_read_io(s, port, size, &v);
        int rc = m_write(s, dst + i * step(s, size), &v, size);
        if (rc)
            return rc;
    }
    return EMUL_OK;
}

static int m_rep_outs(struct emul_state *s, uint16_t port, uint64_t src, unsigned int size, uint64_t *reps)
{
    rep_calls++;
    for (uint64_t i = 0; i < *reps; i++) {
        uint32_t v = 0;
        int rc = m_read(s, src + i * step(s, size), &v, size);
        if (rc)
            return rc;
        m_write_io(s, port, size, v);
    }
    return EMUL_OK;
}

static const struct emul_ops plain_ops = {
    .read = m_read, .write = m_write, .read_io = m_read_io, .write_io = m_write_io,
};
static const struct emul_ops rep_ops = {
    .read = m_read, .write = m_write, .read_io = m_read_io, .write_io = m_write_io,
    .rep_movs = m_rep_movs, .rep_stos = m_rep_stos, .rep_ins = m_rep_ins, .rep_outs = m_rep_outs,
};

/* Instruction bytes from the assembler. */
#define CODE(name, dir, text)                                                                  \
    __asm__(".pushsection .rodata.emulate_cases,\"a\"\n" dir "\n" "emc_" #name ":\n\t" text "\n" \
            "emc_" #name "_end:\n.code64\n.popsection\n");                                        \
    extern const uint8_t emc_##name[] __attribute__((visibility("hidden")));                    \
    extern const uint8_t emc_##name##_end[] __attribute__((visibility("hidden")));
#define R16(name, text) CODE(name, ".code16", text)
#define P32(name, text) CODE(name, ".code32", text)
#define L64(name, text) CODE(name, ".code64", text)

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

/* Real mode (also "unreal": 4 GiB limits) */
R16(r_mov_st16, "movw %ax, (%bx)")
R16(r_mov_ld8h, "movb 2(%bx,%si), %ch")
R16(r_mov_ld32, "movl 0x10(%bx), %edx")
R16(r_mov_imm, "movw $0xbeef, %es:4(%di)")
R16(r_moffs, "movb 0x0123, %al")
R16(r_bp_ss, "movw (%bp,%di), %ax")
R16(r_wrap16, "movw 0xffff(%bx), %ax")
R16(r_movzx, "movzbl (%si), %ecx")
R16(r_movsx, "movswl (%si), %ecx")
R16(r_or, "orw $0x8001, (%bx)")
R16(r_and8, "andb %dl, (%bx)")
R16(r_cmp, "cmpw (%bx), %ax")
R16(r_sub, "subw %ax, (%bx)")
R16(r_adc, "adcb $1, (%bx)")
R16(r_sbb, "sbbw %ax, (%bx)")
R16(r_xor, "xorw (%bx), %ax")
R16(r_test, "testb $0x80, (%bx)")
R16(r_xchg, "xchgw %ax, (%bx)")
R16(r_inc, "incw (%bx)")
R16(r_dec, "decb (%bx)")
R16(r_not, "notw (%bx)")
R16(r_neg, "negw (%bx)")
R16(r_bt_reg, "btw %ax, (%bx)")
R16(r_bts_imm, "btsw $3, (%bx)")
R16(r_btr_neg, "btrw %ax, (%bx)")
R16(r_btc, "btcl $33, (%bx)")
R16(r_cmpxchg, "cmpxchgw %cx, (%bx)")
R16(r_xadd, "xaddw %cx, (%bx)")
R16(r_rep_movsb, "rep movsb")
R16(r_rep_stosw, "rep stosw")
R16(r_rep_insw, "rep insw")
R16(r_outsb, "outsb")
R16(r_lodsw, "lodsw")
R16(r_movs_seg, "movsw %fs:(%si), %es:(%di)")
R16(r_limit, "movw %ax, 0xfffe(%bx)")
R16(r_ip_wrap, "movb %al, (%bx)")
/* 32-bit protected mode */
P32(p_mov_st, "movl %eax, 8(%ebx,%ecx,4)")
P32(p_ebp_ss, "movl -4(%ebp), %eax")
P32(p_movzx, "movzwl (%esi), %eax")
P32(p_add, "addl %ecx, (%ebx)")
P32(p_addr16, "addr16 movl (%bx), %eax")
P32(p_rep_movsd_df, "rep movsl")
P32(p_rep_stosl, "rep stosl")
P32(p_rep_insl, "rep insl")
P32(p_rep_outsw_page, "rep outsw")
P32(p_ds_limit, "movl %eax, (%ebx)")
P32(p_ro_seg, "movl %eax, %es:(%ebx)")
P32(p_not_present, "movl %gs:(%ebx), %eax")
P32(p_down, "movl %ss:(%ebx), %eax")
P32(p_pagefault, "movl %eax, (%ebx)")
P32(p_ins_fault, "insb")
/* 64-bit mode */
L64(l_mov_r8, "movq %r8, (%rax)")
L64(l_mov_sil, "movb %sil, (%rax)")
L64(l_mov_imm64, "movq $-2, (%rax)")
L64(l_rip_rel, "movl 0x100(%rip), %r9d")
L64(l_moffs64, "movabsq 0x80010, %rax")
L64(l_fs_base, "movl %fs:8, %eax")
L64(l_movsxd, "movslq (%rax), %r10")
L64(l_movnti, "movnti %rcx, (%rax)")
L64(l_addr32, "movl (%eax), %ebx")
L64(l_rep_movsq, "rep movsq")
L64(l_rep_stosq_nr, "rep stosq")
L64(l_xchg8, "xchgb %r11b, (%rax)")
L64(l_bt64_neg, "btq %rcx, (%rax)")
L64(l_noncanon, "movl (%rax), %eax")
L64(l_la57, "movzwl (%rbx), %ecx") /* Linux's vgacon_startup under 5-level paging */
L64(l_la57_noncanon, "movl (%rax), %eax")
L64(l_ld32_zx, "movl (%rax), %ecx")
L64(l_mul, "mull (%rax)")
L64(l_vex, "vmovdqu (%rax), %ymm0")
L64(l_pop, "popq (%rax)")
L64(l_cmps, "cmpsb")
L64(l_lock_or, "lock orl $1, (%rax)")
L64(l_mov_ah, "movb %ah, (%rax)")
L64(l_outs_rexw, ".byte 0x48, 0x6f") /* REX.W OUTSD: still 4 bytes (found by emulate_fuzz) */

#define NOCHECK UINT64_MAX

struct ecase {
    const char *name;
    const uint8_t *code, *end;
    enum insn_mode mode;
    bool la57;
    const struct emul_ops *ops;
    uint64_t reg[16];
    uint64_t rflags;
    uint64_t seg_base[EMUL_NR_SEGS];
    uint32_t seg_limit[EMUL_NR_SEGS]; /* 0: 0xffff (r16) or 0xffffffff */
    uint16_t seg_attr[EMUL_NR_SEGS];  /* 0: data 0x93 / code 0x9b (with D in p32) */
    uint64_t rip;
    uint32_t init_addr;               /* memory (RAM or device) to preset, 8 bytes */
    uint64_t init_val;
    /* expected */
    int rc;
    uint64_t exp_reg[16];             /* NOCHECK where not checked (set by EXPECT_REGS) */
    unsigned int nexp;
    struct { unsigned int reg; uint64_t val; } exp[6];
    uint32_t flags_mask;
    uint32_t exp_flags;
    uint32_t mem_addr;                /* 0: no memory check */
    unsigned int mem_size;
    uint64_t mem_val;
    int naccess;                      /* device/port accesses; -1: not checked */
    int64_t rip_delta;                /* INT64_MIN: the instruction's length */
    uint8_t exc_vector;
    uint64_t exc_cr2;
    const char *why;                  /* substring of s.why */
};

#define C(n) .name = #n, .code = emc_##n, .end = emc_##n##_end
#define E(r, v) { r, v }
#define LEN INT64_MIN

static const struct ecase cases[] = {
    /* ---- real mode ---- */
    { C(r_mov_st16), .mode = INSN_MODE_REAL16, .reg = { [RAX] = 0x1234, [RBX] = 0x10 },
      .seg_base = { [EMUL_DS] = 0x80000 }, .mem_addr = 0x80010, .mem_size = 2, .mem_val = 0x1234,
      .naccess = 1, .rip_delta = LEN },
    { C(r_mov_ld8h), .mode = INSN_MODE_REAL16, .reg = { [RBX] = 0x20, [RSI] = 0x3, [RCX] = 0xaaaa },
      .seg_base = { [EMUL_DS] = 0x80000 }, .init_addr = 0x80025, .init_val = 0x5a,
      .nexp = 1, .exp = { E(RCX, 0x5aaa) }, .naccess = 1, .rip_delta = LEN },
    { C(r_mov_ld32), .mode = INSN_MODE_REAL16, .reg = { [RBX] = 0x0, [RDX] = 0xffffffff00000000ULL },
      .seg_base = { [EMUL_DS] = 0x80000 }, .init_addr = 0x80010, .init_val = 0xdeadbeef,
      .nexp = 1, .exp = { E(RDX, 0xdeadbeef) }, .naccess = 1, .rip_delta = LEN },
    { C(r_mov_imm), .mode = INSN_MODE_REAL16, .reg = { [RDI] = 0x100 },
      .seg_base = { [EMUL_ES] = 0x81000, [EMUL_DS] = 0 }, .mem_addr = 0x81104, .mem_size = 2, .mem_val = 0xbeef,
      .naccess = 1, .rip_delta = LEN },
    { C(r_moffs), .mode = INSN_MODE_REAL16, .reg = { [RAX] = 0xff00 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80123, .init_val = 0x77, .nexp = 1, .exp = { E(RAX, 0xff77) }, .naccess = 1, .rip_delta = LEN },
    { C(r_bp_ss), .mode = INSN_MODE_REAL16, .reg = { [RBP] = 0x10, [RDI] = 0x2 },
      .seg_base = { [EMUL_SS] = 0x82000, [EMUL_DS] = 0x10000 }, .init_addr = 0x82012, .init_val = 0x4242,
      .nexp = 1, .exp = { E(RAX, 0x4242) }, .naccess = 1, .rip_delta = LEN },
    /* 16-bit offsets wrap: 0xffff + 0x11 = 0x10 */
    { C(r_wrap16), .mode = INSN_MODE_REAL16, .reg = { [RBX] = 0x11 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80010, .init_val = 0x9876, .nexp = 1, .exp = { E(RAX, 0x9876) }, .naccess = 1, .rip_delta = LEN },
    { C(r_movzx), .mode = INSN_MODE_REAL16, .reg = { [RSI] = 0x0, [RCX] = ~0ULL }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 0xf0, .nexp = 1, .exp = { E(RCX, 0xf0) }, .naccess = 1, .rip_delta = LEN },
    { C(r_movsx), .mode = INSN_MODE_REAL16, .reg = { [RSI] = 0x0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 0x8001, .nexp = 1, .exp = { E(RCX, 0xffff8001) }, .naccess = 1,
      .rip_delta = LEN },
    { C(r_or), .mode = INSN_MODE_REAL16, .reg = { [RBX] = 0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 0x0100, .mem_addr = 0x80000, .mem_size = 2, .mem_val = 0x8101,
      .flags_mask = EMUL_ARITH_FLAGS & ~EMUL_FLAG_AF, .exp_flags = EMUL_FLAG_SF,
      .naccess = 2, .rip_delta = LEN },
    { C(r_and8), .mode = INSN_MODE_REAL16, .reg = { [RBX] = 0, [RDX] = 0x0f }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 0xf0, .mem_addr = 0x80000, .mem_size = 1, .mem_val = 0,
      .flags_mask = EMUL_FLAG_ZF | EMUL_FLAG_CF | EMUL_FLAG_OF, .exp_flags = EMUL_FLAG_ZF, .naccess = 2,
      .rip_delta = LEN },
    { C(r_cmp), .mode = INSN_MODE_REAL16, .reg = { [RAX] = 1, [RBX] = 0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 2, .mem_addr = 0x80000, .mem_size = 2, .mem_val = 2,
      .nexp = 1, .exp = { E(RAX, 1) }, .flags_mask = EMUL_ARITH_FLAGS,
      .exp_flags = EMUL_FLAG_CF | EMUL_FLAG_SF | EMUL_FLAG_AF | EMUL_FLAG_PF, .naccess = 1, .rip_delta = LEN },
    { C(r_sub), .mode = INSN_MODE_REAL16, .reg = { [RAX] = 1, [RBX] = 0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 0x8000, .mem_addr = 0x80000, .mem_size = 2, .mem_val = 0x7fff,
      .flags_mask = EMUL_FLAG_OF | EMUL_FLAG_CF | EMUL_FLAG_SF, .exp_flags = EMUL_FLAG_OF, .naccess = 2,
      .rip_delta = LEN },
    { C(r_adc), .mode = INSN_MODE_REAL16, .rflags = EMUL_FLAG_CF | 2, .reg = { [RBX] = 0 },
      .seg_base = { [EMUL_DS] = 0x80000 }, .init_addr = 0x80000, .init_val = 0xfe, .mem_addr = 0x80000,
      .mem_size = 1, .mem_val = 0x00, .flags_mask = EMUL_FLAG_CF | EMUL_FLAG_ZF,
      .exp_flags = EMUL_FLAG_CF | EMUL_FLAG_ZF, .naccess = 2, .rip_delta = LEN },
    { C(r_sbb), .mode = INSN_MODE_REAL16, .rflags = EMUL_FLAG_CF | 2, .reg = { [RAX] = 5, [RBX] = 0 },
      .seg_base = { [EMUL_DS] = 0x80000 }, .init_addr = 0x80000, .init_val = 5, .mem_addr = 0x80000,
      .mem_size = 2, .mem_val = 0xffff, .flags_mask = EMUL_FLAG_CF | EMUL_FLAG_SF | EMUL_FLAG_ZF,
      .exp_flags = EMUL_FLAG_CF | EMUL_FLAG_SF, .naccess = 2, .rip_delta = LEN },
    { C(r_xor), .mode = INSN_MODE_REAL16, .reg = { [RAX] = 0xffff0f0f, [RBX] = 0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 0xffff, .nexp = 1, .exp = { E(RAX, 0xfffff0f0) }, .naccess = 1,
      .rip_delta = LEN },
    { C(r_test), .mode = INSN_MODE_REAL16, .reg = { [RBX] = 0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 0x7f, .mem_addr = 0x80000, .mem_size = 1, .mem_val = 0x7f,
      .flags_mask = EMUL_FLAG_ZF | EMUL_FLAG_CF, .exp_flags = EMUL_FLAG_ZF, .naccess = 1, .rip_delta = LEN },
    { C(r_xchg), .mode = INSN_MODE_REAL16, .reg = { [RAX] = 0xaaaa1111, [RBX] = 0 },
      .seg_base = { [EMUL_DS] = 0x80000 }, .init_addr = 0x80000, .init_val = 0x2222, .mem_addr = 0x80000,
      .mem_size = 2, .mem_val = 0x1111, .nexp = 1, .exp = { E(RAX, 0xaaaa2222) }, .naccess = 2, .rip_delta = LEN },
    { C(r_inc), .mode = INSN_MODE_REAL16, .rflags = EMUL_FLAG_CF | 2, .reg = { [RBX] = 0 },
      .seg_base = { [EMUL_DS] = 0x80000 }, .init_addr = 0x80000, .init_val = 0x7fff, .mem_addr = 0x80000,
      .mem_size = 2, .mem_val = 0x8000, .flags_mask = EMUL_FLAG_CF | EMUL_FLAG_OF | EMUL_FLAG_SF,
      .exp_flags = EMUL_FLAG_CF | EMUL_FLAG_OF | EMUL_FLAG_SF, .naccess = 2, .rip_delta = LEN },
    { C(r_dec), .mode = INSN_MODE_REAL16, .rflags = 2, .reg = { [RBX] = 0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 0x00, .mem_addr = 0x80000, .mem_size = 1, .mem_val = 0xff,
      .flags_mask = EMUL_FLAG_CF | EMUL_FLAG_SF | EMUL_FLAG_AF, .exp_flags = EMUL_FLAG_SF | EMUL_FLAG_AF,
      .naccess = 2, .rip_delta = LEN },
    { C(r_not), .mode = INSN_MODE_REAL16, .rflags = 2 | EMUL_FLAG_ZF, .reg = { [RBX] = 0 },
      .seg_base = { [EMUL_DS] = 0x80000 }, .init_addr = 0x80000, .init_val = 0x00ff, .mem_addr = 0x80000,
      .mem_size = 2, .mem_val = 0xff00, .flags_mask = EMUL_ARITH_FLAGS, .exp_flags = EMUL_FLAG_ZF, .naccess = 2,
      .rip_delta = LEN },
    { C(r_neg), .mode = INSN_MODE_REAL16, .rflags = 2, .reg = { [RBX] = 0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 1, .mem_addr = 0x80000, .mem_size = 2, .mem_val = 0xffff,
      .flags_mask = EMUL_FLAG_CF | EMUL_FLAG_SF | EMUL_FLAG_ZF, .exp_flags = EMUL_FLAG_CF | EMUL_FLAG_SF,
      .naccess = 2, .rip_delta = LEN },
    /* bit 17 of the word at +0 is bit 1 of the word at +2 */
    { C(r_bt_reg), .mode = INSN_MODE_REAL16, .reg = { [RAX] = 17, [RBX] = 0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 0x00020000, .flags_mask = EMUL_FLAG_CF, .exp_flags = EMUL_FLAG_CF,
      .naccess = 1, .rip_delta = LEN },
    { C(r_bts_imm), .mode = INSN_MODE_REAL16, .reg = { [RBX] = 0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 0, .mem_addr = 0x80000, .mem_size = 2, .mem_val = 8,
      .flags_mask = EMUL_FLAG_CF, .exp_flags = 0, .naccess = 2, .rip_delta = LEN },
    /* bit -1: bit 15 of the word below */
    { C(r_btr_neg), .mode = INSN_MODE_REAL16, .reg = { [RAX] = 0xffff, [RBX] = 2 },
      .seg_base = { [EMUL_DS] = 0x80000 }, .init_addr = 0x80000, .init_val = 0xffff, .mem_addr = 0x80000,
      .mem_size = 2, .mem_val = 0x7fff, .flags_mask = EMUL_FLAG_CF, .exp_flags = EMUL_FLAG_CF, .naccess = 2,
      .rip_delta = LEN },
    { C(r_btc), .mode = INSN_MODE_REAL16, .reg = { [RBX] = 0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 0, .mem_addr = 0x80000, .mem_size = 4, .mem_val = 2,
      .flags_mask = EMUL_FLAG_CF, .exp_flags = 0, .naccess = 2, .rip_delta = LEN },
    { C(r_cmpxchg), .mode = INSN_MODE_REAL16, .reg = { [RAX] = 0x55, [RCX] = 0x66, [RBX] = 0 },
      .seg_base = { [EMUL_DS] = 0x80000 }, .init_addr = 0x80000, .init_val = 0x55, .mem_addr = 0x80000,
      .mem_size = 2, .mem_val = 0x66, .flags_mask = EMUL_FLAG_ZF, .exp_flags = EMUL_FLAG_ZF, .naccess = 2,
      .rip_delta = LEN },
    { C(r_xadd), .mode = INSN_MODE_REAL16, .reg = { [RCX] = 3, [RBX] = 0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80000, .init_val = 4, .mem_addr = 0x80000, .mem_size = 2, .mem_val = 7,
      .nexp = 1, .exp = { E(RCX, 4) }, .naccess = 2, .rip_delta = LEN },
    /* REP MOVSB from RAM to the device, 5 bytes, one run with the REP callback */
    { C(r_rep_movsb), .mode = INSN_MODE_REAL16, .ops = &rep_ops, .reg = { [RCX] = 5, [RSI] = 0x100, [RDI] = 0x0 },
      .seg_base = { [EMUL_DS] = 0x1000, [EMUL_ES] = 0x80000 }, .init_addr = 0x1100, .init_val = 0x0504030201,
      .mem_addr = 0x80000, .mem_size = 5, .mem_val = 0x0504030201,
      .nexp = 3, .exp = { E(RCX, 0), E(RSI, 0x105), E(RDI, 0x5) }, .naccess = 5, .rip_delta = LEN },
    /* without REP callbacks: one element per run, RIP stays */
    { C(r_rep_stosw), .mode = INSN_MODE_REAL16, .ops = &plain_ops, .reg = { [RCX] = 3, [RAX] = 0xabcd, [RDI] = 0x10 },
      .seg_base = { [EMUL_ES] = 0x80000 }, .mem_addr = 0x80010, .mem_size = 2, .mem_val = 0xabcd,
      .nexp = 2, .exp = { E(RCX, 2), E(RDI, 0x12) }, .naccess = 1, .rip_delta = 0 },
    /* REP INSW: the run stops at the end of the destination page */
    { C(r_rep_insw), .mode = INSN_MODE_REAL16, .ops = &rep_ops, .reg = { [RCX] = 8, [RDX] = 0x1f0, [RDI] = 0x0ffa },
      .seg_base = { [EMUL_ES] = 0x2000 }, .mem_addr = 0x2ffa, .mem_size = 2, .mem_val = 0x32b4,
      .nexp = 2, .exp = { E(RCX, 5), E(RDI, 0x1000) }, .naccess = 3, .rip_delta = 0 },
    { C(r_outsb), .mode = INSN_MODE_REAL16, .reg = { [RDX] = 0xe9, [RSI] = 0x10 }, .seg_base = { [EMUL_DS] = 0x3000 },
      .init_addr = 0x3010, .init_val = 'H', .nexp = 1, .exp = { E(RSI, 0x11) }, .naccess = 1, .rip_delta = LEN },
    { C(r_lodsw), .mode = INSN_MODE_REAL16, .rflags = 2 | EMUL_FLAG_DF, .reg = { [RSI] = 0x10 },
      .seg_base = { [EMUL_DS] = 0x80000 }, .init_addr = 0x80010, .init_val = 0x6789,
      .nexp = 2, .exp = { E(RAX, 0x6789), E(RSI, 0x0e) }, .naccess = 1, .rip_delta = LEN },
    { C(r_movs_seg), .mode = INSN_MODE_REAL16, .reg = { [RSI] = 0x4, [RDI] = 0x8 },
      .seg_base = { [EMUL_FS] = 0x80000, [EMUL_ES] = 0x4000, [EMUL_DS] = 0x5000 }, .init_addr = 0x80004,
      .init_val = 0x1357, .mem_addr = 0x4008, .mem_size = 2, .mem_val = 0x1357, .nexp = 2,
      .exp = { E(RSI, 6), E(RDI, 0xa) }, .naccess = 1, .rip_delta = LEN },
    /* offset 0xfffe + 1 = 0xffff: the word's last byte is past the 64 KiB limit: #GP */
    { C(r_limit), .mode = INSN_MODE_REAL16, .reg = { [RBX] = 1 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .rc = EMUL_EXCEPTION, .exc_vector = 13, .naccess = 0 },
    /* IP wraps at 64 KiB */
    { C(r_ip_wrap), .mode = INSN_MODE_REAL16, .rip = 0xfffe, .reg = { [RBX] = 0 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .naccess = 1, .rip_delta = 0 - 0xfffe },

    /* ---- 32-bit protected mode ---- */
    { C(p_mov_st), .mode = INSN_MODE_PROT32, .reg = { [RAX] = 0xcafef00d, [RBX] = 0x80000, [RCX] = 2 },
      .mem_addr = 0x80010, .mem_size = 4, .mem_val = 0xcafef00d, .naccess = 1, .rip_delta = LEN },
    { C(p_ebp_ss), .mode = INSN_MODE_PROT32, .reg = { [RBP] = 0x104 }, .seg_base = { [EMUL_SS] = 0x80000 },
      .init_addr = 0x80100, .init_val = 0x600d, .nexp = 1, .exp = { E(RAX, 0x600d) }, .naccess = 1, .rip_delta = LEN },
    { C(p_movzx), .mode = INSN_MODE_PROT32, .reg = { [RSI] = 0x80000, [RAX] = ~0ULL }, .init_addr = 0x80000,
      .init_val = 0xffff, .nexp = 1, .exp = { E(RAX, 0xffff) }, .naccess = 1, .rip_delta = LEN },
    { C(p_add), .mode = INSN_MODE_PROT32, .reg = { [RCX] = 1, [RBX] = 0x80000 }, .init_addr = 0x80000,
      .init_val = 0xffffffff, .mem_addr = 0x80000, .mem_size = 4, .mem_val = 0, .flags_mask = EMUL_ARITH_FLAGS,
      .exp_flags = EMUL_FLAG_CF | EMUL_FLAG_ZF | EMUL_FLAG_PF | EMUL_FLAG_AF, .naccess = 2, .rip_delta = LEN },
    { C(p_addr16), .mode = INSN_MODE_PROT32, .reg = { [RBX] = 0xffff0010 }, .seg_base = { [EMUL_DS] = 0x80000 },
      .init_addr = 0x80010, .init_val = 0x11111111, .nexp = 1, .exp = { E(RAX, 0x11111111) }, .naccess = 1,
      .rip_delta = LEN },
    /* downwards, from the device to RAM, stopping at the start of the source page */
    { C(p_rep_movsd_df), .mode = INSN_MODE_PROT32, .ops = &rep_ops, .rflags = 2 | EMUL_FLAG_DF,
      .reg = { [RCX] = 100, [RSI] = 0x80008, [RDI] = 0x6100 }, .init_addr = 0x80000, .init_val = 0xbbbbbbbbaaaaaaaa,
      .mem_addr = 0x60f8, .mem_size = 8, .mem_val = 0xbbbbbbbbaaaaaaaa,
      .nexp = 3, .exp = { E(RCX, 97), E(RSI, 0x7fffc), E(RDI, 0x60f4) }, .naccess = 3, .rip_delta = 0 },
    { C(p_rep_stosl), .mode = INSN_MODE_PROT32, .ops = &rep_ops, .reg = { [RCX] = 4, [RAX] = 0x01020304, [RDI] = 0x80100 },
      .mem_addr = 0x8010c, .mem_size = 4, .mem_val = 0x01020304, .nexp = 2, .exp = { E(RCX, 0), E(RDI, 0x80110) },
      .naccess = 4, .rip_delta = LEN },
    { C(p_rep_insl), .mode = INSN_MODE_PROT32, .ops = &rep_ops, .reg = { [RCX] = 2, [RDX] = 0xcfc, [RDI] = 0x7000 },
      .mem_addr = 0x7004, .mem_size = 4, .mem_val = 0x11223344u ^ 0xcfc, .nexp = 2, .exp = { E(RCX, 0), E(RDI, 0x7008) },
      .naccess = 2, .rip_delta = LEN },
    /* a word that straddles the page end goes alone */
    { C(p_rep_outsw_page), .mode = INSN_MODE_PROT32, .ops = &rep_ops, .reg = { [RCX] = 3, [RDX] = 0x1f0, [RSI] = 0x7fff },
      .nexp = 2, .exp = { E(RCX, 2), E(RSI, 0x8001) }, .naccess = 1, .rip_delta = 0 },
    { C(p_ds_limit), .mode = INSN_MODE_PROT32, .reg = { [RBX] = 0xffd }, .seg_base = { [EMUL_DS] = 0x80000 },
      .seg_limit = { [EMUL_DS] = 0xfff }, .rc = EMUL_EXCEPTION, .exc_vector = 13, .naccess = 0 },
    { C(p_ro_seg), .mode = INSN_MODE_PROT32, .reg = { [RBX] = 0x80000 }, .seg_attr = { [EMUL_ES] = 0xc91 },
      .rc = EMUL_EXCEPTION, .exc_vector = 13, .naccess = 0 },
    { C(p_not_present), .mode = INSN_MODE_PROT32, .reg = { [RBX] = 0x80000 }, .seg_attr = { [EMUL_GS] = 0xc13 },
      .rc = EMUL_EXCEPTION, .exc_vector = 13, .naccess = 0 },
    /* expand-down SS with limit 0xfff: offsets up to 0xfff fault (#SS) */
    { C(p_down), .mode = INSN_MODE_PROT32, .reg = { [RBX] = 0x800 }, .seg_attr = { [EMUL_SS] = 0xc97 },
      .seg_limit = { [EMUL_SS] = 0xfff }, .rc = EMUL_EXCEPTION, .exc_vector = 12, .naccess = 0 },
    { C(p_pagefault), .mode = INSN_MODE_PROT32, .reg = { [RBX] = FAULT_BASE + 8 }, .rc = EMUL_EXCEPTION,
      .exc_vector = 14, .exc_cr2 = FAULT_BASE + 8, .naccess = 0 },
    /* INS whose destination faults: registers unchanged */
    { C(p_ins_fault), .mode = INSN_MODE_PROT32, .ops = &rep_ops, .reg = { [RDI] = FAULT_BASE, [RDX] = 0x60 },
      .rc = EMUL_EXCEPTION, .exc_vector = 14, .exc_cr2 = FAULT_BASE, .naccess = 1 },

    /* ---- 64-bit mode ---- */
    { C(l_mov_r8), .mode = INSN_MODE_LONG64, .reg = { [R8] = 0x0102030405060708ULL, [RAX] = 0x80000 },
      .mem_addr = 0x80000, .mem_size = 8, .mem_val = 0x0102030405060708ULL, .naccess = 1, .rip_delta = LEN },
    { C(l_mov_sil), .mode = INSN_MODE_LONG64, .reg = { [RSI] = 0x1234, [RAX] = 0x80000 },
      .mem_addr = 0x80000, .mem_size = 1, .mem_val = 0x34, .naccess = 1, .rip_delta = LEN },
    { C(l_mov_ah), .mode = INSN_MODE_LONG64, .reg = { [RAX] = 0x80000 | 0xab00 },
      .mem_addr = 0x8ab00, .mem_size = 1, .mem_val = 0xab, .naccess = 1, .rip_delta = LEN },
    { C(l_mov_imm64), .mode = INSN_MODE_LONG64, .reg = { [RAX] = 0x80000 },
      .mem_addr = 0x80000, .mem_size = 8, .mem_val = 0xfffffffffffffffeULL, .naccess = 1, .rip_delta = LEN },
    /* RIP-relative: from the end of the instruction (7 bytes) */
    { C(l_rip_rel), .mode = INSN_MODE_LONG64, .rip = 0x7fef9, .reg = { [R9] = ~0ULL }, .init_addr = 0x80000,
      .init_val = 0x44332211, .nexp = 1, .exp = { E(R9, 0x44332211) }, .naccess = 1, .rip_delta = LEN },
    { C(l_moffs64), .mode = INSN_MODE_LONG64, .init_addr = 0x80010, .init_val = 0x8877665544332211ULL,
      .nexp = 1, .exp = { E(RAX, 0x8877665544332211ULL) }, .naccess = 1, .rip_delta = LEN },
    { C(l_fs_base), .mode = INSN_MODE_LONG64, .seg_base = { [EMUL_FS] = 0x80000, [EMUL_DS] = 0x1234 },
      .init_addr = 0x80008, .init_val = 0x5555, .nexp = 1, .exp = { E(RAX, 0x5555) }, .naccess = 1, .rip_delta = LEN },
    { C(l_movsxd), .mode = INSN_MODE_LONG64, .reg = { [RAX] = 0x80000 }, .init_addr = 0x80000, .init_val = 0x80000000,
      .nexp = 1, .exp = { E(R10, 0xffffffff80000000ULL) }, .naccess = 1, .rip_delta = LEN },
    { C(l_movnti), .mode = INSN_MODE_LONG64, .reg = { [RCX] = 0x1122334455667788ULL, [RAX] = 0x80000 },
      .mem_addr = 0x80000, .mem_size = 8, .mem_val = 0x1122334455667788ULL, .naccess = 1, .rip_delta = LEN },
    { C(l_addr32), .mode = INSN_MODE_LONG64, .reg = { [RAX] = 0xffffffff00080000ULL }, .init_addr = 0x80000,
      .init_val = 0x99, .nexp = 1, .exp = { E(RBX, 0x99) }, .naccess = 1, .rip_delta = LEN },
    { C(l_rep_movsq), .mode = INSN_MODE_LONG64, .ops = &rep_ops, .reg = { [RCX] = 2, [RSI] = 0x80000, [RDI] = 0x80100 },
      .init_addr = 0x80000, .init_val = 0x0123456789abcdefULL, .mem_addr = 0x80100, .mem_size = 8,
      .mem_val = 0x0123456789abcdefULL, .nexp = 3, .exp = { E(RCX, 0), E(RSI, 0x80010), E(RDI, 0x80110) },
      .naccess = 4, .rip_delta = LEN },
    /* REP with RCX = 0 does nothing */
    { C(l_rep_stosq_nr), .mode = INSN_MODE_LONG64, .ops = &rep_ops, .reg = { [RCX] = 0, [RDI] = 0x80000 },
      .nexp = 2, .exp = { E(RCX, 0), E(RDI, 0x80000) }, .naccess = 0, .rip_delta = LEN },
    { C(l_xchg8), .mode = INSN_MODE_LONG64, .reg = { [R11] = 0x1ab, [RAX] = 0x80000 }, .init_addr = 0x80000,
      .init_val = 0xcd, .mem_addr = 0x80000, .mem_size = 1, .mem_val = 0xab, .nexp = 1, .exp = { E(R11, 0x1cd) },
      .naccess = 2, .rip_delta = LEN },
    /* bit -65: bit 63 of the quadword 16 bytes below */
    { C(l_bt64_neg), .mode = INSN_MODE_LONG64, .reg = { [RCX] = (uint64_t)-65, [RAX] = 0x80010 },
      .init_addr = 0x80000, .init_val = 0x8000000000000000ULL, .flags_mask = EMUL_FLAG_CF, .exp_flags = EMUL_FLAG_CF,
      .naccess = 1, .rip_delta = LEN },
    { C(l_noncanon), .mode = INSN_MODE_LONG64, .reg = { [RAX] = 0x0000800000000000ULL }, .rc = EMUL_EXCEPTION,
      .exc_vector = 13, .naccess = 0 },
    /* With CR4.LA57 an address canonical in 57 bits (not in 48) reaches the
     * page walk (here: #PF at that address); one not canonical in 57 is #GP. */
    { C(l_la57), .mode = INSN_MODE_LONG64, .la57 = true, .reg = { [RBX] = 0xff22ca02800b8000ULL },
      .rc = EMUL_EXCEPTION, .exc_vector = 14, .exc_cr2 = 0xff22ca02800b8000ULL, .naccess = 0 },
    { C(l_la57_noncanon), .mode = INSN_MODE_LONG64, .la57 = true, .reg = { [RAX] = 0x0100000000000000ULL },
      .rc = EMUL_EXCEPTION, .exc_vector = 13, .naccess = 0 },
    { C(l_ld32_zx), .mode = INSN_MODE_LONG64, .reg = { [RAX] = 0x80000, [RCX] = ~0ULL }, .init_addr = 0x80000,
      .init_val = 0xfedcba9876543210ULL, .nexp = 1, .exp = { E(RCX, 0x76543210) }, .naccess = 1, .rip_delta = LEN },
    { C(l_outs_rexw), .mode = INSN_MODE_LONG64, .reg = { [RDX] = 0xe9, [RSI] = 0x1000 }, .init_addr = 0x1000,
      .init_val = 0x11223344, .nexp = 1, .exp = { E(RSI, 0x1004) }, .naccess = 1, .rip_delta = LEN },
    { C(l_mul), .mode = INSN_MODE_LONG64, .reg = { [RAX] = 0x80000 }, .rc = EMUL_UNHANDLEABLE, .why = "MUL" },
    { C(l_vex), .mode = INSN_MODE_LONG64, .reg = { [RAX] = 0x80000 }, .rc = EMUL_UNHANDLEABLE, .why = "VEX" },
    { C(l_pop), .mode = INSN_MODE_LONG64, .reg = { [RAX] = 0x80000 }, .rc = EMUL_UNHANDLEABLE, .why = "not emulated" },
    { C(l_cmps), .mode = INSN_MODE_LONG64, .reg = { [RSI] = 0x80000 }, .rc = EMUL_UNHANDLEABLE, .why = "CMPS" },
    { C(l_lock_or), .mode = INSN_MODE_LONG64, .reg = { [RAX] = 0x80004 }, .init_addr = 0x80004, .init_val = 6,
      .mem_addr = 0x80004, .mem_size = 4, .mem_val = 7, .naccess = 2, .rip_delta = LEN },
};

static void setup_state(struct emul_state *s, const struct ecase *c)
{
    memset(s, 0, sizeof(*s));
    memcpy(s->gpr, c->reg, sizeof(s->gpr));
    s->rip = c->rip;
    s->rflags = c->rflags ? c->rflags : 2;
    s->mode = c->mode;
    s->la57 = c->la57;
    s->ops = c->ops ? c->ops : &plain_ops;
    for (unsigned int i = 0; i < EMUL_NR_SEGS; i++) {
        s->seg[i].base = c->seg_base[i];
        s->seg[i].limit = c->seg_limit[i] ? c->seg_limit[i] : c->mode == INSN_MODE_REAL16 ? 0xffff : 0xffffffff;
        uint16_t attr = i == EMUL_CS ? 0x9b : 0x93;
        if (c->mode == INSN_MODE_PROT32)
            attr |= 0xc00;
        if (c->mode == INSN_MODE_LONG64 && i == EMUL_CS)
            attr = 0x29b;
        s->seg[i].attr = c->seg_attr[i] ? c->seg_attr[i] : attr;
    }
}

static void preset_memory(const struct ecase *c)
{
    memset(mem, 0, sizeof(mem));
    memset(dev, 0, sizeof(dev));
    if (c->init_addr) {
        uint8_t *p = in_dev(c->init_addr) ? &dev[c->init_addr - DEV_BASE] : &mem[c->init_addr];
        memcpy(p, &c->init_val, 8);
    }
    nlog = 0;
    rep_calls = 0;
}

static uint64_t peek(uint32_t addr, unsigned int size)
{
    uint64_t v = 0;
    memcpy(&v, in_dev(addr) ? &dev[addr - DEV_BASE] : &mem[addr], size);
    return v;
}

static void run_case(const struct ecase *c)
{
    char why[256] = "";
    struct insn in;
    size_t n = (size_t)(c->end - c->code);
    int drc = insn_decode(&in, c->code, n, c->mode);
    if (drc != INSN_OK || in.len != n) {
        TAP_FAIL(c->name, "decode: rc %d len %u of %zu", drc, in.len, n);
        return;
    }
    struct emul_state s;
    preset_memory(c);
    setup_state(&s, c);
    uint64_t before[16];
    memcpy(before, s.gpr, sizeof(before));
    int rc = x86_emulate(&s, &in);
    if (rc != c->rc) {
        snprintf(why, sizeof(why), "rc %d, expected %d (%s)", rc, c->rc, s.why);
    } else if (rc == EMUL_EXCEPTION && (s.exc.vector != c->exc_vector || (c->exc_cr2 && s.exc.cr2 != c->exc_cr2))) {
        snprintf(why, sizeof(why), "exception %u cr2 %#lx, expected %u %#lx", s.exc.vector, s.exc.cr2,
                 c->exc_vector, c->exc_cr2);
    } else if (rc == EMUL_UNHANDLEABLE && (!c->why || !strstr(s.why, c->why))) {
        snprintf(why, sizeof(why), "reason \"%s\", expected one with \"%s\"", s.why, c->why ? c->why : "");
    } else if (rc == EMUL_OK) {
        for (unsigned int i = 0; i < c->nexp && !why[0]; i++)
            if (s.gpr[c->exp[i].reg] != c->exp[i].val)
                snprintf(why, sizeof(why), "reg %u = %#lx, expected %#lx", c->exp[i].reg, s.gpr[c->exp[i].reg],
                         c->exp[i].val);
        /* registers not listed are unchanged */
        for (unsigned int r = 0; r < 16 && !why[0]; r++) {
            bool listed = false;
            for (unsigned int i = 0; i < c->nexp; i++)
                listed |= c->exp[i].reg == r;
            if (!listed && s.gpr[r] != before[r])
                snprintf(why, sizeof(why), "reg %u changed to %#lx", r, s.gpr[r]);
        }
        if (!why[0] && c->flags_mask && (s.rflags & c->flags_mask) != c->exp_flags)
            snprintf(why, sizeof(why), "flags %#lx, expected %#x under %#x", s.rflags & c->flags_mask, c->exp_flags,
                     c->flags_mask);
        if (!why[0] && c->mem_addr && peek(c->mem_addr, c->mem_size) != c->mem_val)
            snprintf(why, sizeof(why), "memory at %#x = %#lx, expected %#lx", c->mem_addr,
                     peek(c->mem_addr, c->mem_size), c->mem_val);
        int64_t delta = c->rip_delta == LEN ? (int64_t)n : c->rip_delta;
        if (!why[0] && s.rip != c->rip + (uint64_t)delta)
            snprintf(why, sizeof(why), "rip %#lx, expected %#lx", s.rip, c->rip + (uint64_t)delta);
    } else if (memcmp(s.gpr, before, sizeof(before))) {
        snprintf(why, sizeof(why), "registers changed on a failed run");
    }
    if (!why[0] && c->naccess >= 0 && (int)nlog != c->naccess)
        snprintf(why, sizeof(why), "%u device/port accesses, expected %d", nlog, c->naccess);
    CHECK(c->name, !why[0], "%s", why);
}

/* ---- ALU flags against the host CPU ---- */

#define NATIVE_OP(name, insn, type, cons)                                                         \
    static uint64_t native_##name(uint64_t a, uint64_t b, uint32_t fin, uint32_t *fout)           \
    {                                                                                             \
        type x = (type)a, y = (type)b;                                                            \
        uint64_t f = 0x202 | (fin & EMUL_ARITH_FLAGS);                                            \
        __asm__ volatile("sub $128, %%rsp\n\tpush %[f]\n\tpopf\n\t" insn " %[y], %[x]\n\t"       \
                         "pushf\n\tpop %[f]\n\tadd $128, %%rsp"                                   \
                         : [x] "+" cons(x), [f] "+r"(f)                                           \
                         : [y] cons(y)                                                            \
                         : "cc", "memory");                                                       \
        *fout = (uint32_t)f;                                                                      \
        return (uint64_t)x;                                                                       \
    }
#define NATIVE_ALL(op)                                                                            \
    NATIVE_OP(op##b, #op "b", uint8_t, "q")                                                       \
    NATIVE_OP(op##w, #op "w", uint16_t, "r")                                                      \
    NATIVE_OP(op##l, #op "l", uint32_t, "r")                                                      \
    NATIVE_OP(op##q, #op "q", uint64_t, "r")
NATIVE_ALL(add)
NATIVE_ALL(or)
NATIVE_ALL(adc)
NATIVE_ALL(sbb)
NATIVE_ALL(and)
NATIVE_ALL(sub)
NATIVE_ALL(xor)
NATIVE_ALL(cmp)

typedef uint64_t (*native_fn)(uint64_t, uint64_t, uint32_t, uint32_t *);
static const native_fn natives[8][4] = {
    { native_addb, native_addw, native_addl, native_addq }, { native_orb, native_orw, native_orl, native_orq },
    { native_adcb, native_adcw, native_adcl, native_adcq }, { native_sbbb, native_sbbw, native_sbbl, native_sbbq },
    { native_andb, native_andw, native_andl, native_andq }, { native_subb, native_subw, native_subl, native_subq },
    { native_xorb, native_xorw, native_xorl, native_xorq }, { native_cmpb, native_cmpw, native_cmpl, native_cmpq },
};

static uint64_t rnd(void)
{
    static uint64_t x = 0x9e3779b97f4a7c15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

/* Operands that reach the corners: 0, 1, the sign bit, all ones, random. */
static uint64_t operand(void)
{
    static const uint64_t corners[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
                                        0xffffffff, 0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL };
    uint64_t r = rnd();
    return (r & 3) ? rnd() : corners[r % (sizeof(corners) / sizeof(corners[0]))];
}

static void check_alu_against_cpu(void)
{
    static const char *const names[8] = { "ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP" };
    for (unsigned int op = 0; op < 8; op++) {
        char why[200] = "";
        for (unsigned int n = 0; n < 20000 && !why[0]; n++) {
            unsigned int si = n % 4, size = 1u << si;
            uint64_t a = operand(), b = operand();
            uint32_t fin = (rnd() & 1) ? EMUL_FLAG_CF : 0, fe = fin, fn;
            uint64_t re = alu((enum alu_op)op, size, a, b, &fe);
            uint64_t rn = natives[op][si](a, b, fin, &fn) & size_mask(size);
            if (op == ALU_CMP)
                rn = re; /* CMP writes nothing: only its flags count */
            uint32_t mask = EMUL_ARITH_FLAGS;
            if (op == ALU_OR || op == ALU_AND || op == ALU_XOR)
                mask &= ~EMUL_FLAG_AF; /* undefined */
            if (re != rn || (fe & mask) != (fn & mask))
                snprintf(why, sizeof(why), "%u-byte %#lx, %#lx (CF %u): %#lx flags %#x, the CPU %#lx flags %#x", size,
                         a, b, !!fin, re, fe & mask, rn, fn & mask);
        }
        char name[64];
        snprintf(name, sizeof(name), "%s result and flags match the host CPU (20000 operand pairs)", names[op]);
        CHECK(name, !why[0], "%s", why);
    }
}

int main(void)
{
    unsigned int n = sizeof(cases) / sizeof(cases[0]);
    TAP_PLAN((int)n + 8 + 1);
    for (unsigned int i = 0; i < n; i++)
        run_case(&cases[i]);
    check_alu_against_cpu();

    /* A REP run of 20 elements from the device to RAM that starts 8 bytes
     * before a page end takes two runs: 8 elements, then 12. */
    {
        char why[200] = "";
        struct ecase c = { C(r_rep_movsb), .mode = INSN_MODE_REAL16, .ops = &rep_ops,
                           .reg = { [RCX] = 20, [RSI] = 0xff8, [RDI] = 0x10 },
                           .seg_base = { [EMUL_DS] = 0x80000, [EMUL_ES] = 0 } };
        struct insn in;
        insn_decode(&in, c.code, (size_t)(c.end - c.code), INSN_MODE_REAL16);
        struct emul_state s;
        preset_memory(&c);
        setup_state(&s, &c);
        for (unsigned int i = 0; i < 20; i++)
            dev[0xff8 + i] = (uint8_t)(i + 1);
        int rc1 = x86_emulate(&s, &in);
        uint64_t after1 = s.gpr[RCX], rip1 = s.rip;
        int rc2 = x86_emulate(&s, &in);
        if (rc1 || rc2 || after1 != 12 || rip1 != 0 || s.gpr[RCX] != 0 || rep_calls != 2 || mem[0x10] != 1 ||
            mem[0x10 + 19] != 20 || s.rip != in.len)
            snprintf(why, sizeof(why), "rc %d %d, rcx %lu then %lu, %u calls, bytes %u..%u, rip %#lx then %#lx", rc1,
                     rc2, after1, s.gpr[RCX], rep_calls, mem[0x10], mem[0x10 + 19], rip1, s.rip);
        CHECK("REP MOVSB across a page boundary: one run per page, then RIP moves on", !why[0], "%s", why);
    }
    TAP_EXIT();
}
