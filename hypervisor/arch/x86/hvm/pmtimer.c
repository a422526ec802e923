/*
 * The ACPI PM timer and the PM1a status and enable registers of an HVM
 * domain: PM1a_STS at base, PM1a_EN at base + 2, the 32-bit timer (3.579545
 * MHz, TMR_VAL_EXT as hvmloader's FADT says) at base + 8. The base is
 * 0x1F40 until the guest's firmware moves the block where its ACPI tables
 * put it (HVM_PARAM_ACPI_IOPORTS_LOCATION = 1: 0xB000); PM1a_CNT at base + 4
 * is the device model's (PIIX4). TMR_STS is set when bit 31 of the timer
 * changes; with TMR_EN it raises the SCI (IRQ 9, level).
 */
#include <asm/hvm_domain.h>
#include <asm/ioport.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/time.h>
#include <basalt/timer.h>

#define PM_TIMER_HZ 3579545ULL
#define TMR_STS     0x0001
#define SCI_MASK    0x0321 /* TMR, GBL, PWRBTN, SLPBTN */
#define STS_WRITABLE 0x8f31 /* bits a guest may clear (write 1) */

static struct pmtimer *pm_of(struct domain *d) { return &d->arch.hvm->pm; }

static uint32_t counter(const struct pmtimer *pm, uint64_t now)
{
    return (uint32_t)((unsigned __int128)(now - pm->start_ns) * PM_TIMER_HZ / NSEC_PER_SEC);
}

/* Sets TMR_STS if bit 31 flipped since the last look. */
static void update_status(struct pmtimer *pm, uint64_t now)
{
    uint32_t msb = counter(pm, now) >> 31;
    if (msb != pm->last_msb) {
        pm->last_msb = msb;
        pm->status |= TMR_STS;
    }
}

static bool sci_level(const struct pmtimer *pm)
{
    return pm->status & pm->enable & SCI_MASK;
}

/* While TMR_EN, a timer for the next flip of bit 31 (every 2^31 ticks). */
static void arm_locked(struct pmtimer *pm, uint64_t now)
{
    timer_stop(&pm->overflow);
    if (!(pm->enable & TMR_STS))
        return;
    uint64_t ticks = counter(pm, now) & 0x7fffffffu;
    uint64_t left = 0x80000000ULL - ticks;
    timer_set(&pm->overflow, now + (uint64_t)((unsigned __int128)left * NSEC_PER_SEC / PM_TIMER_HZ) + 1000);
}

static void overflow_fired(void *data)
{
    struct pmtimer *pm = data;
    uint64_t now = now_ns();
    uint64_t flags = spin_lock_irqsave(&pm->lock);
    update_status(pm, now);
    bool level = sci_level(pm);
    arm_locked(pm, now);
    spin_unlock_irqrestore(&pm->lock, flags);
    hvm_isa_irq_set_level(pm->d, HVM_SCI_IRQ, level);
}

static uint32_t pm_read(struct vcpu *v, uint16_t port, unsigned int size)
{
    struct pmtimer *pm = pm_of(v->dom);
    uint64_t now = now_ns();
    uint64_t flags = spin_lock_irqsave(&pm->lock);
    unsigned int off = (uint16_t)(port - pm->base);
    uint32_t val = 0xffffffff; /* moved meanwhile (HVM_PARAM_ACPI_IOPORTS_LOCATION) */
    if (off >= 12 || (off >= 4 && off < 8)) {
    } else if (off >= 8) {
        val = counter(pm, now) >> (8 * (off - 8));
    } else {
        update_status(pm, now);
        uint32_t regs = pm->status | (uint32_t)pm->enable << 16;
        val = regs >> (8 * off);
    }
    spin_unlock_irqrestore(&pm->lock, flags);
    return val;
}

static void pm_write(struct vcpu *v, uint16_t port, unsigned int size, uint32_t val)
{
    struct pmtimer *pm = pm_of(v->dom);
    uint64_t now = now_ns();
    uint64_t flags = spin_lock_irqsave(&pm->lock);
    unsigned int off = (uint16_t)(port - pm->base);
    if (off >= 4) { /* the timer is read-only; or moved meanwhile */
        spin_unlock_irqrestore(&pm->lock, flags);
        return;
    }
    /* The bytes written, placed over STS (0-1) and EN (2-3). */
    uint32_t mask = (size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1) << (8 * off);
    uint32_t bytes = val << (8 * off);
    update_status(pm, now);
    pm->status &= (uint16_t)~(bytes & mask & STS_WRITABLE);
    if (mask >> 16) {
        uint32_t en = ((uint32_t)pm->enable << 16 & ~mask) | (bytes & mask);
        pm->enable = (uint16_t)(en >> 16) & SCI_MASK;
    }
    bool level = sci_level(pm);
    arm_locked(pm, now);
    spin_unlock_irqrestore(&pm->lock, flags);
    hvm_isa_irq_set_level(v->dom, HVM_SCI_IRQ, level);
}

int pmtimer_init(struct domain *d)
{
    struct pmtimer *pm = pm_of(d);
    spin_lock_init(&pm->lock);
    pm->d = d;
    pm->base = HVM_PM_BASE_OLD;
    pm->start_ns = now_ns();
    timer_init(&pm->overflow, overflow_fired, pm);
    int rc = ioport_register(d, pm->base, 4, pm_read, pm_write);
    return rc ? rc : ioport_register(d, (uint16_t)(pm->base + 8), 4, pm_read, pm_write);
}

int pmtimer_set_location(struct domain *d, uint64_t where)
{
    struct pmtimer *pm = pm_of(d);
    if (where > 1)
        return -EINVAL;
    uint16_t base = where ? HVM_PM_BASE_NEW : HVM_PM_BASE_OLD;
    /* Under the lock: two vCPUs moving it at once leave the handlers
     * where pm->base says. */
    uint64_t flags = spin_lock_irqsave(&pm->lock);
    uint16_t old = pm->base;
    pm->base = base;
    if (old != base) {
        ioport_rebase(d, old, base);
        ioport_rebase(d, (uint16_t)(old + 8), (uint16_t)(base + 8));
    }
    spin_unlock_irqrestore(&pm->lock, flags);
    return 0;
}

void pmtimer_destroy(struct domain *d)
{
    timer_kill(&pm_of(d)->overflow);
}
