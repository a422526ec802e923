/*
 * x86 instruction decoder. Used to find the length of an instruction that
 * caused an exit (TCG's SVM has no NRIP-save) and to emulate the memory
 * access of an MMIO instruction (no decode assists either). Decodes from a
 * byte buffer; never reads past `avail`. Pure C, no hypervisor dependencies:
 * it is also built and tested on the host.
 */
#ifndef ASM_INSN_H
#define ASM_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum insn_mode {
    INSN_MODE_REAL16, /* real mode / virtual-8086: 16-bit defaults */
    INSN_MODE_PROT16, /* protected mode, CS.D = 0 */
    INSN_MODE_PROT32, /* protected mode, CS.D = 1 (or compatibility mode) */
    INSN_MODE_LONG64, /* 64-bit mode (CS.L = 1) */
};

enum insn_map {
    INSN_MAP_ONEBYTE = 0, /* no escape */
    INSN_MAP_0F = 1,
    INSN_MAP_0F38 = 2,
    INSN_MAP_0F3A = 3,
};

#define INSN_SEG_NONE 0xff /* no segment override; else 0=ES 1=CS 2=SS 3=DS 4=FS 5=GS */

struct insn {
    uint8_t len;            /* total length in bytes, 1..15 */
    uint8_t nr_prefixes;    /* legacy prefixes plus REX */
    uint8_t opsize;         /* effective operand size in bytes: 2, 4 or 8 (1 for byte forms is in `byte_op`) */
    uint8_t addrsize;       /* effective address size in bytes: 2, 4 or 8 */
    bool byte_op;           /* the operation is on 8-bit operands (e.g. 88, 8A, C6, A0, A2, AA) */
    uint8_t rex;            /* REX byte, 0 if absent (64-bit mode only) */
    bool lock, rep, repne;  /* F0, F3, F2 (last of F2/F3 wins for rep/repne) */
    bool opsize_prefix;     /* 66 present */
    bool vex;               /* VEX (C4/C5), XOP (8F) or EVEX (62) encoded */
    uint8_t seg;            /* INSN_SEG_* */
    uint8_t map;            /* enum insn_map (for VEX: the map it selects) */
    uint8_t opcode;         /* the opcode byte within `map` */

    bool has_modrm;
    uint8_t mod;            /* ModRM.mod */
    uint8_t reg;            /* ModRM.reg extended by REX.R (0..15) */
    uint8_t rm;             /* ModRM.rm extended by REX.B (0..15); meaningful as a register when mod == 3 */

    bool has_sib;
    uint8_t scale;          /* 1, 2, 4, 8 */
    int8_t index;           /* index register 0..15 (REX.X), -1 if none */
    int8_t base;            /* base register 0..15 (REX.B), -1 if none (disp32 / disp16 only, or RIP) */
    bool rip_relative;      /* 64-bit mode mod=00 rm=101 */

    int64_t disp;           /* sign-extended displacement */
    uint8_t disp_size;      /* 0, 1, 2 or 4 */
    uint64_t imm;           /* first immediate, zero-extended as encoded */
    uint8_t imm_size;       /* 0, 1, 2, 4 or 8 */
    uint64_t imm2;          /* second immediate (ENTER: 8-bit; far jmp/call: selector) */
    uint8_t imm2_size;
    uint64_t moffs;         /* A0-A3: the absolute offset */
    bool has_moffs;
};

enum insn_result {
    INSN_OK = 0,
    INSN_TRUNCATED = -1,    /* needs more bytes than `avail` */
    INSN_INVALID = -2,      /* undefined opcode or longer than 15 bytes */
};

/* Decodes one instruction at `bytes`. On success fills *out and returns INSN_OK. */
int insn_decode(struct insn *out, const uint8_t *bytes, size_t avail, enum insn_mode mode);

#endif
