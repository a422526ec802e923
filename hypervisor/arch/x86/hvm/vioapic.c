/* The virtual IOAPIC. DomUs have none (PVH guests take every interrupt as
 * an event channel); Dom0's mirrors the machine's (added with Dom0). */
#include <asm/vlapic.h>
#include <basalt/domain.h>

void hvm_vioapic_eoi(struct domain *d, uint8_t vector)
{
    (void)d;
    (void)vector;
}
