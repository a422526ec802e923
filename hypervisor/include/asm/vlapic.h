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
/* Whether logical destination `dest` (as an IOAPIC or MSI gives it) names v. */
bool vlapic_match_logical(struct vcpu *v, uint32_t dest);
/* Whether the PIC's interrupts reach v's CPU through this APIC (LINT0 as ExtINT). */
bool vlapic_accepts_extint(struct vcpu *v);
/* Back to the power-on state (INIT). */
void vlapic_reset(struct vcpu *v);
/* Acts on an INIT another vCPU sent v: called by v itself, on its way into
 * the guest; v goes down and waits for STARTUP. */
void vlapic_take_init(struct vcpu *v);
/* Saving and restoring a vCPU (hvm/vcpu_save.c): the first len bytes of
 * the register page, bit 0 enabled and bit 1 x2APIC in *flags, the timer's
 * time left and period in ns (0: stopped). Load is for a vCPU that is not
 * running; -EINVAL for flags or a timer it would not have. */
void vlapic_save(struct vcpu *v, uint8_t *regs, size_t len, uint32_t *flags, uint64_t *left_ns,
                 uint64_t *period_ns);
int vlapic_load(struct vcpu *v, const uint8_t *regs, size_t len, uint32_t flags, uint64_t left_ns,
                uint64_t period_ns);
/* EOI of a level-triggered vector: the interrupt controller may re-raise it. */
void hvm_vioapic_eoi(struct domain *d, uint8_t vector);

#endif
