/* Dom0's virtual IOAPICs: one per machine IOAPIC, same address, id, GSIs. */
#ifndef ASM_VIOAPIC_H
#define ASM_VIOAPIC_H

#include <basalt/types.h>

struct domain;
struct vcpu;

int vioapic_domain_init(struct domain *d);
void vioapic_domain_destroy(struct domain *d);
/* MMIO access to a virtual IOAPIC page; false if gpa is not one. */
bool vioapic_mmio(struct vcpu *v, gpaddr_t gpa, bool write, uint32_t *val);
/* True if gpa is inside a machine IOAPIC's page. */
bool is_ioapic_page(gpaddr_t gpa);

#endif
