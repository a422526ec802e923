/* Guest FPU/SSE/AVX state: saved and restored when vCPUs switch on a CPU. */
#ifndef ASM_FPU_H
#define ASM_FPU_H

#include <basalt/types.h>

struct vcpu;

void fpu_init(void);                 /* BSP: detect XSAVE, set the host CR4 bits */
void fpu_cpu_init(void);             /* every CPU */
int fpu_vcpu_init(struct vcpu *v);   /* allocate and reset the save area */
void fpu_vcpu_destroy(struct vcpu *v);
void fpu_load(struct vcpu *v);
void fpu_save(struct vcpu *v);
/* Validates and applies a guest XSETBV; false means #GP. */
bool fpu_set_xcr0(struct vcpu *v, uint64_t xcr0);
extern uint64_t host_xcr0_mask; /* features the guest may enable in XCR0 */

#endif
