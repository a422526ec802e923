/* Virtual IOAPICs: Dom0's, one per machine IOAPIC (same address, id,
 * GSIs); an HVM domain's, one with 48 emulated pins (hvm/vioapic.c). */
#ifndef ASM_VIOAPIC_H
#define ASM_VIOAPIC_H

#include <basalt/types.h>

struct domain;
struct vcpu;

int vioapic_domain_init(struct domain *d);
int vioapic_hvm_init(struct domain *d);
/* HVM: the line of pin gsi is now up or down (called with the domain's
 * interrupt lock held). */
void vioapic_set_level(struct domain *d, unsigned int gsi, bool up);
/* HVM: pin 0 passes the PIC's interrupts (ExtINT) to this local APIC. */
bool vioapic_pin0_extint_to(struct domain *d, uint32_t apic_id);
void vioapic_domain_destroy(struct domain *d);
/* MMIO access to one of d's virtual IOAPIC pages; false if gpa is not one. */
bool vioapic_mmio(struct vcpu *v, gpaddr_t gpa, bool write, uint32_t *val);
/* True if gpa is inside a machine IOAPIC's page. */
bool is_ioapic_page(gpaddr_t gpa);

#endif
