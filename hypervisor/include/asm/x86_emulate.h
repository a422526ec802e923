/*
 * x86 instruction emulator for the accesses that reach emulated devices:
 * the memory forms of MOV, MOVZX/MOVSX/MOVSXD, MOVNTI, the read-modify-write
 * ALU group (ADD OR ADC SBB AND SUB XOR CMP, INC DEC NOT NEG, TEST), XCHG,
 * CMPXCHG, XADD, BT/BTS/BTR/BTC, and the string instructions MOVS STOS LODS
 * INS OUTS with or without REP, in every CPU mode.
 *
 * Pure C like the decoder (asm/insn.h): the state comes in as a copy of the
 * registers and segments, memory and ports are reached through callbacks,
 * and the result goes back in the same copy. Nothing is committed by the
 * emulator itself: on EMUL_OK the caller writes the registers back; on
 * EMUL_RETRY (a device answers later) and EMUL_EXCEPTION it writes nothing
 * back and the instruction is re-executed (or the exception delivered).
 * Built into the hypervisor (arch/x86/hvm/emulate.c supplies the callbacks)
 * and on the host for tests.
 */
#ifndef ASM_X86_EMULATE_H
#define ASM_X86_EMULATE_H

#include <asm/insn.h>
#include <stdbool.h>
#include <stdint.h>

enum emul_rc {
    EMUL_OK = 0,
    EMUL_EXCEPTION,    /* s->exc says which; nothing changed */
    EMUL_RETRY,        /* a device answers later: run the same instruction again then */
    EMUL_UNHANDLEABLE, /* s->why says what */
};

/* Segment registers as instructions number them. */
enum emul_seg { EMUL_ES, EMUL_CS, EMUL_SS, EMUL_DS, EMUL_FS, EMUL_GS, EMUL_NR_SEGS };

/* attr as asm/hvm_vendor.h: access byte in bits 0-7, AVL/L/DB/G in 8-11. */
struct emul_segment {
    uint64_t base;
    uint32_t limit;
    uint16_t attr;
};

struct emul_exception {
    uint8_t vector;
    bool has_error;
    uint32_t error;
    uint64_t cr2;      /* for #PF */
};

struct emul_state;

/*
 * Callbacks. Linear addresses have passed the segment checks; an access may
 * cross a page boundary (the callback splits it). Each returns an enum
 * emul_rc; on EMUL_EXCEPTION it fills s->exc. The REP callbacks may be NULL
 * (the emulator then does one element per run); given, they do up to *reps
 * elements, none of whose addresses crosses a page boundary or wraps, and
 * set *reps to how many they did (at least one on EMUL_OK). Direction: DF
 * in s->rflags.
 */
struct emul_ops {
    int (*read)(struct emul_state *s, uint64_t la, void *buf, unsigned int size);
    int (*write)(struct emul_state *s, uint64_t la, const void *buf, unsigned int size);
    int (*read_io)(struct emul_state *s, uint16_t port, unsigned int size, uint32_t *val);
    int (*write_io)(struct emul_state *s, uint16_t port, unsigned int size, uint32_t val);
    int (*rep_movs)(struct emul_state *s, uint64_t src, uint64_t dst, unsigned int size, uint64_t *reps);
    int (*rep_stos)(struct emul_state *s, uint64_t dst, unsigned int size, uint64_t val, uint64_t *reps);
    int (*rep_ins)(struct emul_state *s, uint16_t port, uint64_t dst, unsigned int size, uint64_t *reps);
    int (*rep_outs)(struct emul_state *s, uint16_t port, uint64_t src, unsigned int size, uint64_t *reps);
};

struct emul_state {
    /* in and out */
    uint64_t gpr[16];
    uint64_t rip, rflags;
    /* in */
    enum insn_mode mode;
    bool la57;                  /* CR4.LA57: 64-bit addresses are canonical in 57 bits, not 48 */
    struct emul_segment seg[EMUL_NR_SEGS];
    const struct emul_ops *ops;
    void *priv;                 /* the callbacks' own */
    /* out */
    struct emul_exception exc;
    char why[64];               /* EMUL_UNHANDLEABLE: what was not understood */
};

/* Carries out the decoded instruction `in` (its bytes were fetched at
 * s->rip; in->len says how long it is). */
int x86_emulate(struct emul_state *s, const struct insn *in);

/* The arithmetic flags. */
#define EMUL_FLAG_CF 0x0001u
#define EMUL_FLAG_PF 0x0004u
#define EMUL_FLAG_AF 0x0010u
#define EMUL_FLAG_ZF 0x0040u
#define EMUL_FLAG_SF 0x0080u
#define EMUL_FLAG_DF 0x0400u
#define EMUL_FLAG_OF 0x0800u
#define EMUL_ARITH_FLAGS 0x08d5u

#endif
