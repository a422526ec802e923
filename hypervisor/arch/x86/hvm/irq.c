/*
 * The interrupt lines of an HVM domain, wired as Xen wires them: ISA IRQ n
 * goes to PIC input n and IOAPIC pin n (IRQ 0 to pin 2); PCI device d's
 * INTx (x = 0..3) goes to IOAPIC pin 16 + ((d * 4 + d / 8 + x) mod 32) and
 * to PCI link (d + x) mod 4, which the PIIX3's routing registers (through
 * the device model, DMOP set_pci_link_route) send to an ISA IRQ. Lines
 * shared by several sources are up while any source holds them (counts).
 *
 * The event-channel callback, when the guest asks for it as a GSI or a PCI
 * INTx (HVM_PARAM_CALLBACK_IRQ), is one more source: up while vCPU 0 has an
 * upcall pending.
 *
 * Everything here is under the domain's irq_lock; the PIC's output going up
 * wakes vCPU 0, which takes the PIC's interrupts (Xen's i8259 target).
 */
#include <asm/hvm_domain.h>
#include <asm/hvm_vendor.h>
#include <asm/ioport.h>
#include <asm/vioapic.h>
#include <asm/vlapic.h>
#include <asm/vpic.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <xen/hvm/params.h>

static struct hvm_domain *hvm(struct domain *d) { return d->arch.hvm; }

static unsigned int isa_irq_to_gsi(unsigned int isa_irq)
{
    return isa_irq ? isa_irq : 2;
}

static unsigned int pci_intx_gsi(unsigned int dev, unsigned int intx)
{
    return (((dev << 2) + (dev >> 3) + intx) & 31) + 16;
}

static unsigned int pci_intx_link(unsigned int dev, unsigned int intx)
{
    return (dev + intx) & 3;
}

/* After a change to the PIC: wake vCPU 0 if its output went up. */
static void pic_changed(struct domain *d, bool was_up)
{
    if (!was_up && hvm(d)->vpic[0].int_output && d->vcpus[0])
        hvm_vcpu_kick(d->vcpus[0]);
}

/* GSI gsi gets one more (up) or one fewer (down) source. ISA IRQs also
 * drive the PIC input of the same number. */
static void gsi_source(struct domain *d, unsigned int gsi, bool up)
{
    struct hvm_irq *irq = &hvm(d)->irq;
    ASSERT_LOCKED(&hvm(d)->irq_lock);
    if (gsi >= HVM_NR_GSIS)
        return;
    if (up ? irq->gsi_assert_count[gsi]++ != 0 : (!irq->gsi_assert_count[gsi] || --irq->gsi_assert_count[gsi]))
        return; /* the line's level did not change */
    vioapic_set_level(d, gsi, up);
    if (gsi < HVM_NR_ISA_IRQS && gsi != 2) {
        bool was = hvm(d)->vpic[0].int_output;
        vpic_set_irq_level(hvm(d)->vpic, gsi, up);
        pic_changed(d, was);
    }
}

/* ISA IRQ 0 is GSI 2 on the IOAPIC but input 0 on the PIC. */
static void isa_level_locked(struct domain *d, unsigned int isa_irq, bool up)
{
    struct hvm_irq *irq = &hvm(d)->irq;
    uint16_t bit = (uint16_t)(1u << isa_irq);
    if (up == !!(irq->isa_irq & bit))
        return;
    irq->isa_irq ^= bit;
    unsigned int gsi = isa_irq_to_gsi(isa_irq);
    if (isa_irq == 0) {
        struct hvm_irq *i = irq;
        if (up ? i->gsi_assert_count[gsi]++ == 0 : (i->gsi_assert_count[gsi] && --i->gsi_assert_count[gsi] == 0))
            vioapic_set_level(d, gsi, up);
        bool was = hvm(d)->vpic[0].int_output;
        vpic_set_irq_level(hvm(d)->vpic, 0, up);
        pic_changed(d, was);
        return;
    }
    gsi_source(d, gsi, up);
}

void hvm_isa_irq_set_level(struct domain *d, unsigned int isa_irq, bool level)
{
    if (isa_irq >= HVM_NR_ISA_IRQS)
        return;
    uint64_t flags = spin_lock_irqsave(&hvm(d)->irq_lock);
    isa_level_locked(d, isa_irq, level);
    spin_unlock_irqrestore(&hvm(d)->irq_lock, flags);
}

void hvm_isa_irq_pulse(struct domain *d, unsigned int isa_irq)
{
    uint64_t flags = spin_lock_irqsave(&hvm(d)->irq_lock);
    isa_level_locked(d, isa_irq, false);
    isa_level_locked(d, isa_irq, true);
    isa_level_locked(d, isa_irq, false);
    spin_unlock_irqrestore(&hvm(d)->irq_lock, flags);
}

static void pci_intx_locked(struct domain *d, unsigned int dev, unsigned int intx, bool up)
{
    struct hvm_irq *irq = &hvm(d)->irq;
    unsigned int bit = dev * 4 + intx;
    uint64_t *w = &irq->pci_intx[bit / 64];
    if (up == !!(*w & BIT(bit % 64)))
        return;
    *w ^= BIT(bit % 64);
    gsi_source(d, pci_intx_gsi(dev, intx), up);
    unsigned int link = pci_intx_link(dev, intx);
    uint8_t *count = &irq->pci_link_assert_count[link];
    bool changed = up ? (*count)++ == 0 : (*count && --*count == 0);
    if (changed && irq->pci_link_route[link])
        gsi_source(d, irq->pci_link_route[link], up);
}

int hvm_pci_intx_set_level(struct domain *d, unsigned int dev, unsigned int intx, bool level)
{
    if (dev >= HVM_NR_PCI_DEVS || intx > 3)
        return -EINVAL;
    uint64_t flags = spin_lock_irqsave(&hvm(d)->irq_lock);
    pci_intx_locked(d, dev, intx, level);
    spin_unlock_irqrestore(&hvm(d)->irq_lock, flags);
    return 0;
}

int hvm_pci_link_route(struct domain *d, unsigned int link, unsigned int isa_irq)
{
    if (link > 3 || isa_irq > 15)
        return -EINVAL;
    struct hvm_irq *irq = &hvm(d)->irq;
    uint64_t flags = spin_lock_irqsave(&hvm(d)->irq_lock);
    unsigned int old = irq->pci_link_route[link];
    if (old != isa_irq) {
        /* The link's requests move from the old ISA IRQ to the new one. */
        if (irq->pci_link_assert_count[link] && old)
            gsi_source(d, old, false);
        irq->pci_link_route[link] = (uint8_t)isa_irq;
        if (irq->pci_link_assert_count[link] && isa_irq)
            gsi_source(d, isa_irq, true);
    }
    spin_unlock_irqrestore(&hvm(d)->irq_lock, flags);
    return 0;
}

int hvm_inject_msi(struct domain *d, uint64_t addr, uint32_t data)
{
    if ((addr & 0xfff00000) != 0xfee00000)
        return -EINVAL;
    uint32_t dest = (addr >> 12) & 0xff;
    bool logical = addr & BIT(2);
    uint8_t vector = (uint8_t)data;
    unsigned int mode = (data >> 8) & 7;
    bool level = data & BIT(15);
    if ((mode == 0 || mode == 1) && vector < 16)
        return -EINVAL; /* vectors 0-15 are the CPU's exceptions: an APIC refuses them */
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (!v || !(logical ? vlapic_match_logical(v, dest) : dest == 0xff || dest == vlapic_id(v)))
            continue;
        if (mode == 4) { /* NMI */
            v->arch.nmi_pending = true;
            hvm_vcpu_kick(v);
        } else if (mode == 0 || mode == 1) { /* fixed, lowest priority */
            vlapic_set_irq(v, vector, level);
        }
        if (mode == 1)
            break; /* lowest priority: one of them */
    }
    return 0;
}

/* The callback line's one source, on or off. */
static void callback_source_locked(struct domain *d, bool up)
{
    struct hvm_irq *irq = &hvm(d)->irq;
    if (irq->callback_asserted == up)
        return;
    irq->callback_asserted = up;
    if (irq->callback_type == HVM_CALLBACK_GSI)
        gsi_source(d, irq->callback_gsi, up);
    else if (irq->callback_type == HVM_CALLBACK_PCI_INTX)
        pci_intx_locked(d, irq->callback_dev, irq->callback_intx, up);
}

int hvm_set_callback_via(struct domain *d, uint64_t via)
{
    uint8_t type = (uint8_t)(via >> 56);
    enum hvm_callback_type t;
    switch (type) {
    case HVM_PARAM_CALLBACK_TYPE_GSI:
        t = (uint32_t)via && (uint32_t)via < HVM_NR_GSIS ? HVM_CALLBACK_GSI : HVM_CALLBACK_NONE;
        if ((uint32_t)via >= HVM_NR_GSIS)
            return -EINVAL;
        break;
    case HVM_PARAM_CALLBACK_TYPE_PCI_INTX:
        t = HVM_CALLBACK_PCI_INTX; /* device (via >> 11) & 31 on bus 0, INTx via & 3 */
        break;
    case HVM_PARAM_CALLBACK_TYPE_VECTOR:
        if ((via & 0xff) < 16)
            return -EINVAL;
        t = HVM_CALLBACK_VECTOR;
        break;
    default:
        return -EINVAL;
    }
    struct hvm_irq *irq = &hvm(d)->irq;
    uint64_t flags = spin_lock_irqsave(&hvm(d)->irq_lock);
    bool was = irq->callback_asserted;
    callback_source_locked(d, false);
    irq->callback_type = t;
    irq->callback_gsi = (uint32_t)via;
    irq->callback_dev = (uint8_t)((via >> 11) & 31);
    irq->callback_intx = (uint8_t)(via & 3);
    if (t == HVM_CALLBACK_GSI || t == HVM_CALLBACK_PCI_INTX)
        callback_source_locked(d, was);
    spin_unlock_irqrestore(&hvm(d)->irq_lock, flags);
    if (d->vcpus[0])
        hvm_sync_callback_line(d->vcpus[0]);
    return 0;
}

void hvm_sync_callback_line(struct vcpu *v)
{
    struct domain *d = v->dom;
    if (!is_hvm_domain(d) || v->id != 0)
        return;
    struct hvm_irq *irq = &hvm(d)->irq;
    enum hvm_callback_type t = READ_ONCE(irq->callback_type);
    if (t != HVM_CALLBACK_GSI && t != HVM_CALLBACK_PCI_INTX)
        return;
    struct vcpu_info *vi = READ_ONCE(v->vcpu_info);
    bool want = vi && READ_ONCE(vi->evtchn_upcall_pending);
    if (want == READ_ONCE(irq->callback_asserted))
        return;
    uint64_t flags = spin_lock_irqsave(&hvm(d)->irq_lock);
    callback_source_locked(d, want);
    spin_unlock_irqrestore(&hvm(d)->irq_lock, flags);
}

/* The PIC's interrupts go to vCPU 0 when its APIC passes ExtINT through
 * LINT0, or the IOAPIC's pin 0 does, or the APIC is off. */
static bool pic_reaches(struct vcpu *v)
{
    return v->id == 0 && (vlapic_accepts_extint(v) || vioapic_pin0_extint_to(v->dom, vlapic_id(v)));
}

bool hvm_pic_pending(struct vcpu *v)
{
    return is_hvm_domain(v->dom) && READ_ONCE(hvm(v->dom)->vpic[0].int_output) && pic_reaches(v);
}

int hvm_pic_ack(struct vcpu *v)
{
    struct domain *d = v->dom;
    uint64_t flags = spin_lock_irqsave(&hvm(d)->irq_lock);
    int vector = pic_reaches(v) ? vpic_intack(hvm(d)->vpic) : -1;
    spin_unlock_irqrestore(&hvm(d)->irq_lock, flags);
    return vector;
}

/* Ports 0x20/0x21, 0xA0/0xA1 and the ELCR at 0x4D0/0x4D1, a byte at a time. */
static uint32_t pic_port_read(struct vcpu *v, uint16_t port, unsigned int size)
{
    struct domain *d = v->dom;
    uint32_t val = 0;
    uint64_t flags = spin_lock_irqsave(&hvm(d)->irq_lock);
    bool was = hvm(d)->vpic[0].int_output;
    for (unsigned int i = 0; i < size; i++) {
        uint16_t p = (uint16_t)(port + i);
        uint8_t b;
        if (p == 0x4d0 || p == 0x4d1)
            b = vpic_elcr_read(hvm(d)->vpic, p & 1);
        else if ((p & ~0x81) == 0x20)
            b = vpic_read(hvm(d)->vpic, (p >> 7) & 1, p & 1);
        else
            b = 0xff;
        val |= (uint32_t)b << (8 * i);
    }
    pic_changed(d, was);
    spin_unlock_irqrestore(&hvm(d)->irq_lock, flags);
    return val;
}

static void pic_port_write(struct vcpu *v, uint16_t port, unsigned int size, uint32_t val)
{
    struct domain *d = v->dom;
    uint64_t flags = spin_lock_irqsave(&hvm(d)->irq_lock);
    bool was = hvm(d)->vpic[0].int_output;
    for (unsigned int i = 0; i < size; i++) {
        uint16_t p = (uint16_t)(port + i);
        uint8_t b = (uint8_t)(val >> (8 * i));
        if (p == 0x4d0 || p == 0x4d1)
            vpic_elcr_write(hvm(d)->vpic, p & 1, b);
        else if ((p & ~0x81) == 0x20)
            vpic_write(hvm(d)->vpic, (p >> 7) & 1, p & 1, b);
    }
    pic_changed(d, was);
    spin_unlock_irqrestore(&hvm(d)->irq_lock, flags);
}

int vpic_ports_init(struct domain *d)
{
    spin_lock_init(&hvm(d)->irq_lock);
    vpic_reset(hvm(d)->vpic);
    int rc = ioport_register(d, 0x20, 2, pic_port_read, pic_port_write);
    if (!rc)
        rc = ioport_register(d, 0xa0, 2, pic_port_read, pic_port_write);
    if (!rc)
        rc = ioport_register(d, 0x4d0, 2, pic_port_read, pic_port_write);
    return rc;
}
