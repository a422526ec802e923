/*
 * The virtual local APIC of a guest vCPU: xAPIC registers at 0xFEE00000
 * (emulated on nested page faults) and x2APIC MSRs; IPIs including
 * INIT/STARTUP between vCPUs; a timer.
 */
#ifndef ASM_VLAPIC_H
#define ASM_VLAPIC_H

#include <basalt/types.h>

struct vcpu;
struct domain;

#define VLAPIC_BASE 0xfee00000ULL

int vlapic_init(struct vcpu *v);
void vlapic_destroy(struct vcpu *v);
uint32_t vlapic_id(const struct vcpu *v);
/* Highest vector that may be delivered now (above the processor priority), or -1. */
int vlapic_pending_vector(struct vcpu *v);
/* The vector was injected: move it from IRR to ISR. */
void vlapic_ack(struct vcpu *v, int vector);
/* Raises a fixed interrupt on v (from another vCPU, the IOAPIC, an MSI). */
void vlapic_set_irq(struct vcpu *v, uint8_t vector, bool level);
bool vlapic_has_pending(struct vcpu *v);
/* MMIO and MSR access (offset within the 4 KiB page; x2APIC MSR index). */
int vlapic_mmio_read(struct vcpu *v, uint32_t offset, uint32_t *val);
int vlapic_mmio_write(struct vcpu *v, uint32_t offset, uint32_t val);
int vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
bool vlapic_x2apic_enabled(const struct vcpu *v);
/* Back to the power-on state (INIT). */
void vlapic_reset(struct vcpu *v);
/* Acts on an INIT another vCPU sent v: called by v itself, on its way into
 * the guest; v goes down and waits for STARTUP. */
void vlapic_take_init(struct vcpu *v);
/* EOI of a level-triggered vector: the interrupt controller may re-raise it. */
void hvm_vioapic_eoi(struct domain *d, uint8_t vector);

#endif
