/*
 * Virtual IOAPICs: one register model, two ways to drive the pins.
 *
 * Dom0's mirror the machine's: same MMIO pages, ids and GSI bases, all pins
 * masked at first. When Dom0 unmasks a pin, the machine's pin is routed to
 * a hypervisor vector (0x30 + GSI) on the CPU of the vCPU it targets; each
 * interrupt is handed to that vCPU's virtual local APIC with Dom0's vector.
 * A level-triggered pin stays masked at the machine IOAPIC from the
 * interrupt until Dom0's EOI, so a device that keeps its line asserted
 * cannot storm the CPU meanwhile.
 *
 * An HVM domain's one IOAPIC (at 0xFEC00000, 48 pins) is driven by the
 * emulated devices and the device model (hvm/irq.c sets pin levels): an
 * edge-triggered pin delivers on a rising level, a level-triggered one
 * while it is up and not waiting for an EOI (remote IRR), and again after
 * the EOI if it is still up.
 */
#include <asm/acpi.h>
#include <asm/apic.h>
#include <asm/hvm_domain.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/vioapic.h>
#include <asm/vlapic.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/spinlock.h>

#define RTE_VECTOR(r)    ((uint8_t)(r))
#define RTE_DEST_LOGICAL BIT(11)
#define RTE_ACTIVE_LOW   BIT(13)
#define RTE_REMOTE_IRR   BIT(14)
#define RTE_LEVEL        BIT(15)
#define RTE_MASKED       BIT(16)
#define RTE_DEST(r)      ((uint32_t)((r) >> 56))
#define RTE_DELIVERY(r)  (((r) >> 8) & 7)
#define DELIVERY_NMI     4
#define DELIVERY_EXTINT  7
#define RTE_WRITABLE     (0xffULL | (7ULL << 8) | RTE_DEST_LOGICAL | RTE_ACTIVE_LOW | RTE_LEVEL | \
                          RTE_MASKED | (0xffULL << 56))
#define MAX_PINS 120

struct vioapic {
    spinlock_t lock;
    paddr_t base;
    uint32_t gsi_base, nr_pins;
    uint8_t id;
    bool emulated;              /* HVM: pins driven by emulated devices */
    uint32_t ioregsel;
    uint64_t rte[MAX_PINS];
    uint64_t level[(MAX_PINS + 63) / 64]; /* emulated: the pin's line is up */
};

/* Which domain receives each machine GSI (only Dom0 for now). */
static struct domain *gsi_owner[MAX_PINS * MAX_IOAPICS];

bool is_ioapic_page(gpaddr_t gpa)
{
    for (unsigned int i = 0; i < acpi.nr_ioapics; i++)
        if ((gpa & PAGE_MASK) == (acpi.ioapics[i].addr & PAGE_MASK))
            return true;
    return false;
}

/* GSIs the hypervisor keeps for itself (its serial line). */
static bool gsi_reserved(uint32_t gsi)
{
    return gsi == acpi.isa[4].gsi;
}

int vioapic_domain_init(struct domain *d)
{
    for (unsigned int i = 0; i < acpi.nr_ioapics; i++) {
        struct vioapic *vio = xnew(struct vioapic);
        if (!vio)
            return -ENOMEM;
        spin_lock_init(&vio->lock);
        vio->base = acpi.ioapics[i].addr;
        vio->gsi_base = acpi.ioapics[i].gsi_base;
        vio->nr_pins = MIN(acpi.ioapics[i].nr_pins, (uint32_t)MAX_PINS);
        vio->id = acpi.ioapics[i].id;
        for (unsigned int p = 0; p < MAX_PINS; p++)
            vio->rte[p] = RTE_MASKED;
        d->arch.vioapic[d->arch.nr_vioapics++] = vio;
    }
    return 0;
}

int vioapic_hvm_init(struct domain *d)
{
    struct vioapic *vio = xnew(struct vioapic);
    if (!vio)
        return -ENOMEM;
    spin_lock_init(&vio->lock);
    vio->base = HVM_IOAPIC_BASE;
    vio->gsi_base = 0;
    vio->nr_pins = HVM_NR_GSIS;
    vio->id = HVM_IOAPIC_ID;
    vio->emulated = true;
    for (unsigned int p = 0; p < MAX_PINS; p++)
        vio->rte[p] = RTE_MASKED;
    d->arch.vioapic[d->arch.nr_vioapics++] = vio;
    return 0;
}

void vioapic_domain_destroy(struct domain *d)
{
    for (unsigned int i = 0; i < d->arch.nr_vioapics; i++) {
        struct vioapic *vio = d->arch.vioapic[i];
        for (unsigned int p = 0; p < vio->nr_pins && !vio->emulated; p++) {
            uint32_t gsi = vio->gsi_base + p;
            if (gsi < ARRAY_SIZE(gsi_owner) && gsi_owner[gsi] == d) {
                ioapic_mask(gsi, true);
                gsi_owner[gsi] = NULL;
            }
        }
        xfree(vio);
        d->arch.vioapic[i] = NULL;
    }
    d->arch.nr_vioapics = 0;
}

static struct vcpu *target_vcpu(struct domain *d, uint64_t rte)
{
    uint32_t dest = RTE_DEST(rte);
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (!v)
            continue;
        if ((rte & RTE_DEST_LOGICAL) && is_hvm_domain(d)) {
            if (vlapic_match_logical(v, dest))
                return v; /* the first that matches: lowest priority, or a broadcast's first */
        } else if (rte & RTE_DEST_LOGICAL) {
            if (dest & BIT(i))
                return v; /* flat logical: lowest set bit's vCPU */
        } else if (dest == vlapic_id(v) || dest == 0xff) {
            return v;
        }
    }
    return d->vcpus[0];
}

static void gsi_interrupt(unsigned int vector, struct trap_frame *f)
{
    uint32_t gsi = vector - VEC_DEVICE_BASE;
    struct domain *d = gsi < ARRAY_SIZE(gsi_owner) ? gsi_owner[gsi] : NULL;
    if (!d) {
        ioapic_mask(gsi, true);
        return;
    }
    for (unsigned int i = 0; i < d->arch.nr_vioapics; i++) {
        struct vioapic *vio = d->arch.vioapic[i];
        if (gsi < vio->gsi_base || gsi >= vio->gsi_base + vio->nr_pins)
            continue;
        spin_lock(&vio->lock);
        uint64_t rte = vio->rte[gsi - vio->gsi_base];
        bool level = rte & RTE_LEVEL;
        if (level) {
            ioapic_mask(gsi, true); /* until Dom0's EOI */
            vio->rte[gsi - vio->gsi_base] |= RTE_REMOTE_IRR;
        }
        spin_unlock(&vio->lock);
        if (!(rte & RTE_MASKED))
            vlapic_set_irq(target_vcpu(d, rte), RTE_VECTOR(rte), level);
        return;
    }
}

static bool pin_up(const struct vioapic *vio, unsigned int pin)
{
    return vio->level[pin / 64] & BIT(pin % 64);
}

/* An emulated pin's interrupt goes to its target, with the lock held: a
 * level-triggered one then waits for the EOI. ExtINT is the PIC's (it is
 * taken from there, hvm/irq.c). */
static void deliver_locked(struct domain *d, struct vioapic *vio, unsigned int pin)
{
    uint64_t *rte = &vio->rte[pin];
    if (*rte & RTE_MASKED)
        return;
    bool level = *rte & RTE_LEVEL;
    if (level) {
        if (*rte & RTE_REMOTE_IRR)
            return;
        *rte |= RTE_REMOTE_IRR;
    }
    struct vcpu *v = target_vcpu(d, *rte);
    switch (RTE_DELIVERY(*rte)) {
    case DELIVERY_EXTINT:
        *rte &= ~RTE_REMOTE_IRR;
        break;
    case DELIVERY_NMI:
        v->arch.nmi_pending = true;
        hvm_vcpu_kick(v);
        break;
    default: /* fixed, lowest priority */
        vlapic_set_irq(v, RTE_VECTOR(*rte), level);
        break;
    }
}

void vioapic_set_level(struct domain *d, unsigned int gsi, bool up)
{
    struct vioapic *vio = d->arch.nr_vioapics ? d->arch.vioapic[0] : NULL;
    if (!vio || !vio->emulated || gsi >= vio->nr_pins)
        return;
    uint64_t flags = spin_lock_irqsave(&vio->lock);
    bool was = pin_up(vio, gsi);
    if (up)
        vio->level[gsi / 64] |= BIT(gsi % 64);
    else
        vio->level[gsi / 64] &= ~BIT(gsi % 64);
    if (up && (!was || (vio->rte[gsi] & RTE_LEVEL)))
        deliver_locked(d, vio, gsi);
    spin_unlock_irqrestore(&vio->lock, flags);
}

bool vioapic_pin0_extint_to(struct domain *d, uint32_t apic_id)
{
    struct vioapic *vio = d->arch.nr_vioapics ? d->arch.vioapic[0] : NULL;
    if (!vio || !vio->emulated)
        return false;
    uint64_t rte = READ_ONCE(vio->rte[0]);
    return !(rte & RTE_MASKED) && RTE_DELIVERY(rte) == DELIVERY_EXTINT &&
           ((rte & RTE_DEST_LOGICAL) ? (RTE_DEST(rte) & 1) : RTE_DEST(rte) == apic_id);
}

/* Brings the machine's pin in line with the virtual one (Dom0), or
 * delivers a level-triggered emulated pin that is up (HVM). */
static void sync_pin(struct domain *d, struct vioapic *vio, unsigned int pin)
{
    if (vio->emulated) {
        if ((vio->rte[pin] & RTE_LEVEL) && pin_up(vio, pin))
            deliver_locked(d, vio, pin);
        return;
    }
    uint32_t gsi = vio->gsi_base + pin;
    uint64_t rte = vio->rte[pin];
    if (gsi_reserved(gsi) || gsi >= ARRAY_SIZE(gsi_owner) || VEC_DEVICE_BASE + gsi >= VEC_TIMER)
        return;
    if (rte & RTE_MASKED) {
        ioapic_mask(gsi, true);
        return;
    }
    struct vcpu *v = target_vcpu(d, rte);
    gsi_owner[gsi] = d;
    set_irq_handler(VEC_DEVICE_BASE + gsi, gsi_interrupt);
    /* Dom0 vCPUs are pinned: deliver where the target vCPU runs. */
    ioapic_route(gsi, (uint8_t)(VEC_DEVICE_BASE + gsi), pcpus[__builtin_ctzll(v->affinity)]->apic_id,
                 rte & RTE_LEVEL, rte & RTE_ACTIVE_LOW);
    if ((rte & RTE_LEVEL) && (rte & RTE_REMOTE_IRR))
        ioapic_mask(gsi, true);
}

static struct vioapic *find(struct domain *d, gpaddr_t gpa)
{
    for (unsigned int i = 0; i < d->arch.nr_vioapics; i++)
        if ((gpa & PAGE_MASK) == (d->arch.vioapic[i]->base & PAGE_MASK))
            return d->arch.vioapic[i];
    return NULL;
}

bool vioapic_mmio(struct vcpu *v, gpaddr_t gpa, bool write, uint32_t *val)
{
    struct domain *d = v->dom;
    struct vioapic *vio = find(d, gpa);
    if (!vio)
        return false;
    uint32_t off = (uint32_t)(gpa - vio->base);
    uint64_t flags = spin_lock_irqsave(&vio->lock);
    if (off == 0x00) {
        if (write)
            vio->ioregsel = *val & 0xff;
        else
            *val = vio->ioregsel;
    } else if (off == 0x10) {
        uint32_t reg = vio->ioregsel;
        if (reg == 0) {
            if (write)
                vio->id = (uint8_t)(*val >> 24) & 0xf;
            else
                *val = (uint32_t)vio->id << 24;
        } else if (reg == 1) {
            if (!write)
                *val = 0x11 | ((vio->nr_pins - 1) << 16);
        } else if (reg == 2) {
            if (!write)
                *val = (uint32_t)vio->id << 24;
        } else if (reg >= 0x10 && reg < 0x10 + 2 * vio->nr_pins) {
            unsigned int pin = (reg - 0x10) / 2;
            bool high = reg & 1;
            uint64_t *rte = &vio->rte[pin];
            if (!write) {
                *val = high ? (uint32_t)(*rte >> 32) : (uint32_t)*rte;
            } else {
                uint64_t nv = high ? ((*rte & 0xffffffffULL) | ((uint64_t)*val << 32))
                                   : ((*rte & ~0xffffffffULL) | *val);
                *rte = (nv & RTE_WRITABLE) | (*rte & RTE_REMOTE_IRR);
                if (!(*rte & RTE_LEVEL))
                    *rte &= ~RTE_REMOTE_IRR; /* an edge pin has no pending EOI */
                sync_pin(d, vio, pin);
            }
        } else if (!write) {
            *val = 0xffffffff;
        }
    } else if (!write) {
        *val = 0xffffffff;
    }
    spin_unlock_irqrestore(&vio->lock, flags);
    return true;
}

/* Dom0 EOI'd a level-triggered vector: let the machine's pin fire again. */
void hvm_vioapic_eoi(struct domain *d, uint8_t vector)
{
    for (unsigned int i = 0; i < d->arch.nr_vioapics; i++) {
        struct vioapic *vio = d->arch.vioapic[i];
        uint64_t flags = spin_lock_irqsave(&vio->lock);
        for (unsigned int p = 0; p < vio->nr_pins; p++) {
            uint64_t *rte = &vio->rte[p];
            if (RTE_VECTOR(*rte) != vector || !(*rte & RTE_REMOTE_IRR))
                continue;
            *rte &= ~RTE_REMOTE_IRR;
            if (vio->emulated) {
                if (pin_up(vio, p))
                    deliver_locked(d, vio, p);
            } else if (!(*rte & RTE_MASKED) && !gsi_reserved(vio->gsi_base + p)) {
                ioapic_mask(vio->gsi_base + p, false);
            }
        }
        spin_unlock_irqrestore(&vio->lock, flags);
    }
}
