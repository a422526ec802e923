/*
 * Nested page faults: accesses to guest-physical addresses with no RAM
 * behind them, and where device memory goes. The local APIC page and the
 * virtual IOAPICs are emulated here; an HVM domain's device models (ioreq
 * servers) take the ranges they claimed; where nothing is at all, reads
 * give all ones and writes are dropped, as Xen does (a guest probing for an
 * HPET carries on). The instruction is carried out by the emulator
 * (emulate.c); an instruction fetch from there, or a page-table walk
 * through it, destroys the domain, as does an instruction the emulator
 * does not know.
 */
#include <asm/hvm_domain.h>
#include <asm/hvm_exits.h>
#include <asm/hvm_io.h>
#include <asm/hvm_vendor.h>
#include <asm/vioapic.h>
#include <asm/vlapic.h>
#include <asm/x86.h>
#include <basalt/dom0.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/spinlock.h>
#include <basalt/time.h>

/* Lines about accesses to nothing: a guest may probe in a loop, so at most
 * UNBACKED_LOG_BURST per second, with a count of the ones left out. */
#define UNBACKED_LOG_BURST 10

/* The VGA window, whose writes a device model may take later (buffered). */
#define VGA_START 0xa0000ULL
#define VGA_END   0xc0000ULL

static void lapic_mmio(struct vcpu *v, gpaddr_t gpa, bool write, uint32_t *val)
{
    if (write)
        vlapic_mmio_write(v, (uint32_t)(gpa & 0xfff), *val);
    else
        vlapic_mmio_read(v, (uint32_t)(gpa & 0xfff), val);
}

static void ioapic_mmio(struct vcpu *v, gpaddr_t gpa, bool write, uint32_t *val)
{
    vioapic_mmio(v, gpa, write, val);
}

static bool ioapic_page(struct domain *d, gpaddr_t gpa)
{
    return (d->is_privileged && d->id == 0 && is_ioapic_page(gpa)) ||
           (is_hvm_domain(d) && (gpa & PAGE_MASK) == HVM_IOAPIC_BASE);
}

void hvm_mmio_dest(struct vcpu *v, gpaddr_t gpa, unsigned int size, bool write, struct hvm_io_dest *dest)
{
    struct domain *d = v->dom;
    *dest = (struct hvm_io_dest){ .kind = HVM_IO_NOBODY };
    if ((gpa & PAGE_MASK) == VLAPIC_BASE && !vlapic_x2apic_enabled(v)) {
        dest->kind = HVM_IO_HV;
        dest->mmio = lapic_mmio;
    } else if (ioapic_page(d, gpa)) {
        dest->kind = HVM_IO_HV;
        dest->mmio = ioapic_mmio;
    } else if (is_hvm_domain(d)) {
        int server = ioreq_select(d, IOREQ_TYPE_COPY, gpa, size);
        if (server >= 0) {
            dest->kind = HVM_IO_DM;
            dest->server = server;
            dest->req = (ioreq_t){ .type = IOREQ_TYPE_COPY, .addr = gpa, .size = size, .count = 1,
                                   .dir = write ? IOREQ_WRITE : IOREQ_READ };
        }
    }
}

static bool unbacked_log_allowed(unsigned int *suppressed)
{
    static spinlock_t lock = SPINLOCK_INIT;
    static uint64_t period_start;
    static unsigned int logged, left_out;
    uint64_t now = now_ns();
    uint64_t flags = spin_lock_irqsave(&lock);
    if (now - period_start >= NSEC_PER_SEC) {
        period_start = now;
        logged = 0;
    }
    bool allowed = logged < UNBACKED_LOG_BURST;
    if (allowed) {
        logged++;
        *suppressed = left_out;
        left_out = 0;
    } else {
        left_out++;
    }
    spin_unlock_irqrestore(&lock, flags);
    return allowed;
}

/* Registers of the emulated devices are 32 bits wide; other access sizes
 * are undefined on hardware and ignored here (reads give 0). */
void hvm_mmio_do(struct vcpu *v, const struct hvm_io_dest *dest, gpaddr_t gpa, unsigned int size, bool write,
                 uint64_t *val)
{
    if (dest->kind == HVM_IO_HV) {
        uint32_t v32 = (uint32_t)*val;
        if (size == 4 && !(gpa & 3))
            dest->mmio(v, gpa, write, &v32);
        else
            v32 = 0;
        if (!write)
            *val = v32;
        return;
    }
    if (!write)
        *val = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
    unsigned int suppressed;
    if (unbacked_log_allowed(&suppressed))
        pr_warn("d%u v%u: %u-byte %s at gpa %#lx, where nothing is: %s (%u such lines left out)\n",
                v->dom->id, v->id, size, write ? "write" : "read", gpa, write ? "dropped" : "all ones",
                suppressed);
}

/* Whether a write the device model may take later can go on its buffered
 * ring: single writes to the VGA window, as Xen's stdvga does. */
bool hvm_mmio_bufferable(gpaddr_t gpa, unsigned int size)
{
    return gpa >= VGA_START && gpa + size <= VGA_END && size <= 4;
}

void hvm_handle_npf(struct vcpu *v, gpaddr_t gpa, enum hvm_access access)
{
    struct domain *d = v->dom;
    static const char *const kinds[] = {
        [HVM_ACCESS_READ] = "read", [HVM_ACCESS_WRITE] = "write", [HVM_ACCESS_FETCH] = "fetch",
        [HVM_ACCESS_PAGE_WALK] = "page-table walk",
    };

    if (d->is_privileged && d->id == 0 && !ioapic_page(d, gpa) && dom0_fixup_npf(d, gpa))
        return; /* device space now mapped: the access is retried */
    if (access == HVM_ACCESS_READ || access == HVM_ACCESS_WRITE) {
        enum p2m_type t = P2M_NONE;
        bool nothing = p2m_lookup(d, gpa >> PAGE_SHIFT, &t) == INVALID_MFN;
        bool emulated = ((gpa & PAGE_MASK) == VLAPIC_BASE && !vlapic_x2apic_enabled(v)) || ioapic_page(d, gpa);
        bool rom = t == P2M_RAM_RO && access == HVM_ACCESS_WRITE;
        if (nothing || emulated || rom) {
            if (hvm_event_queued(v)) {
                /* Delivering an event (the IDT, the stack) touched device
                 * memory: no instruction to carry out. */
                hvm_dump_guest(v);
                domain_crash(d, "event delivery touched device memory at gpa %#lx", gpa);
                return;
            }
            hvm_emulate_insn(v, "device memory");
            return;
        }
    }
    hvm_dump_guest(v);
    domain_crash(d, "bad memory access at gpa %#lx (%s)", gpa, kinds[access]);
}
