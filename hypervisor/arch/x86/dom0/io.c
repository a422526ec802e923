/*
 * What Dom0 may touch directly. I/O ports: all of them, except the ones the
 * hypervisor owns (its serial line, the 8259s and the 8254, which it keeps
 * masked or uses itself) and the ACPI sleep control registers, which are
 * trapped so that Dom0's poweroff stops the other domains first. Memory:
 * its RAM, and device space identity-mapped on first touch, except the
 * local APIC and IOAPIC pages (emulated) and RAM that is not Dom0's.
 */
#include <asm/acpi.h>
#include <asm/ioport.h>
#include <asm/vioapic.h>
#include <asm/x86.h>
#include <basalt/dom0.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

#define COM1 0x3f8
#define SLP_EN BIT(13)

static uint32_t read_ones(struct vcpu *v, uint16_t port, unsigned int size)
{
    return 0xffffffff; /* nothing there, as far as Dom0 can tell */
}

static uint32_t read_zero(struct vcpu *v, uint16_t port, unsigned int size)
{
    return 0;
}

static uint32_t pm1_cnt_read(struct vcpu *v, uint16_t port, unsigned int size)
{
    return size == 4 ? inl(port) : size == 2 ? inw(port) : inb(port);
}

static void pm1_cnt_write(struct vcpu *v, uint16_t port, unsigned int size, uint32_t val)
{
    uint16_t base = (uint16_t)acpi.fadt->pm1a_cnt_blk;
    if (port == base && size >= 2 && (val & SLP_EN)) {
        unsigned int typ = (val >> 10) & 7;
        if ((int)typ == acpi.s5_slp_typ_a) {
            machine_shutdown_from_dom0(false, "Dom0 powered off");
            return;
        }
        pr_warn("Dom0 asked for ACPI sleep state type %u: not supported, ignored\n", typ);
        return;
    }
    if (size == 4)
        outl(port, val);
    else if (size == 2)
        outw(port, (uint16_t)val);
    else
        outb(port, (uint8_t)val);
}

int dom0_io_init(struct domain *d)
{
    ioport_allow(d, 0, 0xffff);
    ioport_allow(d, 0xffff, 1);
    if (!d->arch.iopm)
        return -ENOMEM; /* no map of its own: could not allocate one */
    static const struct {
        uint16_t base, count;
        ioport_read_t read;
    } hidden[] = {
        { 0x20, 2, read_ones },  /* 8259 master */
        { 0xa0, 2, read_ones },  /* 8259 slave */
        { 0x40, 4, read_zero },  /* 8254: reads 0 so calibration gives up at once */
        { 0x61, 1, read_zero },  /* 8254 gate, NMI status */
        { COM1, 8, read_ones },  /* the hypervisor's serial line */
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(hidden); i++) {
        ioport_deny(d, hidden[i].base, hidden[i].count);
        if (ioport_register(d, hidden[i].base, hidden[i].count, hidden[i].read, NULL))
            return -ENOSPC;
    }
    const struct acpi_fadt *f = acpi.fadt;
    if (f && f->pm1a_cnt_blk) {
        uint16_t n = f->pm1_cnt_len ? f->pm1_cnt_len : 2;
        ioport_deny(d, (uint16_t)f->pm1a_cnt_blk, n);
        if (ioport_register(d, (uint16_t)f->pm1a_cnt_blk, n, pm1_cnt_read, pm1_cnt_write))
            return -ENOSPC;
    }
    return 0;
}

bool dom0_fixup_allowed(gpaddr_t gpa)
{
    if ((gpa & ~0xfffffULL) == 0xfee00000ULL)
        return false; /* local APIC window: emulated per vCPU */
    if (is_ioapic_page(gpa))
        return false;
    if (mm_is_ram(gpa & PAGE_MASK, (gpa & PAGE_MASK) + PAGE_SIZE))
        return dom0_owns_ram(gpa & PAGE_MASK, (gpa & PAGE_MASK) + PAGE_SIZE);
    return gpa < (1ULL << 48);
}

static bool device_page(gfn_t g)
{
    gpaddr_t a = g << PAGE_SHIFT;
    return dom0_fixup_allowed(a) && !mm_is_ram(a, a + PAGE_SIZE);
}

int dom0_map_device_range(struct domain *d, gfn_t s, gfn_t e)
{
    while (s < e) {
        if (!device_page(s) || p2m_lookup(d, s, NULL) != INVALID_MFN) {
            s++;
            continue;
        }
        gfn_t run = s + 1;
        while (run < e && device_page(run))
            run++;
        uint64_t done = p2m_populate_range(d, s, s, run - s, P2M_MMIO);
        if (!done && p2m_lookup(d, s, NULL) == INVALID_MFN)
            return -ENOMEM;
        s += done ? done : 1;
    }
    return 0;
}

/* Maps the 64 KiB around gpa 1:1 as device memory, where allowed. */
bool dom0_fixup_npf(struct domain *d, gpaddr_t gpa)
{
    if (!dom0_fixup_allowed(gpa) || dom0_owns_ram(gpa & PAGE_MASK, (gpa & PAGE_MASK) + PAGE_SIZE))
        return false;
    gfn_t first = (gpa >> PAGE_SHIFT) & ~0xfULL;
    if (dom0_map_device_range(d, first, first + 16))
        return false;
    return p2m_lookup(d, gpa >> PAGE_SHIFT, NULL) != INVALID_MFN;
}
