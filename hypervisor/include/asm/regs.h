/* Register frames: the one exception stubs build, and a guest's GPRs. */
#ifndef ASM_REGS_H
#define ASM_REGS_H

#include <basalt/types.h>

/* Built by entry.S; field order matches its pushes. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};

/* A guest's general registers other than RAX, RSP, RIP and RFLAGS, which
 * live in the VMCB. Offsets are used by vmrun.S. */
struct guest_gprs {
    uint64_t rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

#endif
