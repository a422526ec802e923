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
/* Saving and restoring a vCPU that is not running (hvm/vcpu_save.c): the
 * save area's size in bytes, whether a saved area and XCR0 may be loaded
 * on this CPU, and copying the area out of or into v. */
bool fpu_xcr0_valid(uint64_t xcr0);
uint32_t fpu_area_size(void);
bool fpu_area_valid(const uint8_t *area, uint32_t size, uint64_t xcr0);
void fpu_copy_area(struct vcpu *v, uint8_t *buf, bool to_vcpu);
extern uint64_t host_xcr0_mask; /* features the guest may enable in XCR0 */

#endif
