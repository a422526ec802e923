/*
 * Dom0's virtual IOAPICs. They mirror the machine's: same MMIO pages, ids
 * and GSI bases, all pins masked at first. When Dom0 unmasks a pin, the
 * machine's pin is routed to a hypervisor vector (0x30 + GSI) on the CPU of
 * the vCPU it targets; each interrupt is handed to that vCPU's virtual local
 * APIC with Dom0's vector. A level-triggered pin stays masked at the
 * machine IOAPIC from the interrupt until Dom0's EOI, so a device that keeps
 * its line asserted cannot storm the CPU meanwhile.
 */
#include <asm/acpi.h>
#include <asm/apic.h>
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
#define RTE_WRITABLE     (0xffULL | (7ULL << 8) | RTE_DEST_LOGICAL | RTE_ACTIVE_LOW | RTE_LEVEL | \
                          RTE_MASKED | (0xffULL << 56))
#define MAX_PINS 120

struct vioapic {
    spinlock_t lock;
    paddr_t base;
    uint32_t gsi_base, nr_pins;
    uint8_t id;
    uint32_t ioregsel;
    uint64_t rte[MAX_PINS];
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

void vioapic_domain_destroy(struct domain *d)
{
    for (unsigned int i = 0; i < d->arch.nr_vioapics; i++) {
        struct vioapic *vio = d->arch.vioapic[i];
        for (unsigned int p = 0; p < vio->nr_pins; p++) {
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
        if (rte & RTE_DEST_LOGICAL) {
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

/* Brings the machine's pin in line with the virtual one. */
static void sync_pin(struct domain *d, struct vioapic *vio, unsigned int pin)
{
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
            if (!(*rte & RTE_MASKED) && !gsi_reserved(vio->gsi_base + p))
                ioapic_mask(vio->gsi_base + p, false);
        }
        spin_unlock_irqrestore(&vio->lock, flags);
    }
}
