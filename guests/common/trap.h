/* Exceptions in the test guests: one IDT shared by every vCPU. */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* what the CPU pushed */
};

/* Returns true if it dealt with the exception (execution resumes at f->rip). */
typedef bool (*trap_handler_t)(struct trap_frame *f);

/* Builds the IDT once (vectors 0-31 go to C handlers) and loads it on this CPU. */
void guest_trap_init(void);
void guest_trap_load(void);
void guest_trap_set(unsigned int vector, trap_handler_t h);
/* Back to the C handlers (after a raw gate). */
void guest_trap_set_default(unsigned int vector);
/* A gate straight to `entry` (no C handler), with an IST slot and a DPL. */
void guest_trap_set_raw(unsigned int vector, void (*entry)(void), unsigned int ist, unsigned int dpl);

#endif
