/*
 * Local APIC driver. x2APIC (MSRs) where the CPU has it, xAPIC (MMIO)
 * otherwise: QEMU's TCG has no x2APIC, real machines often start in it.
 */
#include <asm/acpi.h>
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/x86.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/time.h>

static volatile uint32_t *xapic;
static bool x2apic;
static uint64_t lapic_ticks_per_ms; /* at divide-by-1 */

bool lapic_x2apic_mode(void)
{
    return x2apic;
}

static uint32_t apic_read(uint32_t reg)
{
    if (x2apic)
        return (uint32_t)rdmsr(0x800 + (reg >> 4));
    return xapic[reg / 4];
}

static void apic_write(uint32_t reg, uint32_t v)
{
    if (x2apic)
        wrmsr(0x800 + (reg >> 4), v);
    else
        xapic[reg / 4] = v;
}

static void icr_write(uint32_t dest, uint32_t low)
{
    if (x2apic) {
        wrmsr(0x830, ((uint64_t)dest << 32) | low);
        return;
    }
    while (apic_read(APIC_ICR) & APIC_ICR_BUSY)
        cpu_relax();
    apic_write(APIC_ICR2, dest << 24);
    apic_write(APIC_ICR, low);
}

void lapic_init(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    x2apic = cpuid(1).ecx & BIT(21);
    if (x2apic) {
        if (!(base & APIC_BASE_EXTD))
            wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
    } else {
        if (!xapic)
            xapic = ioremap(acpi.lapic_addr ? acpi.lapic_addr : (base & PAGE_MASK), PAGE_SIZE);
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN);
        apic_write(APIC_DFR, 0xffffffff);
        apic_write(APIC_LDR, 0);
    }
    apic_write(APIC_TPR, 0);
    apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
    apic_write(APIC_LVT_LINT1, APIC_DM_NMI);
    apic_write(APIC_LVT_ERR, VEC_SPURIOUS - 1);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
    apic_write(APIC_TDCR, 0xb); /* divide by 1 */
    apic_write(APIC_ESR, 0);
    apic_write(APIC_SVR, BIT(8) | VEC_SPURIOUS);
    /* Drain any in-service interrupt left by the firmware. */
    for (int i = 0; i < 8; i++)
        if (apic_read(APIC_ISR + i * 0x10))
            apic_write(APIC_EOI, 0);
}

uint32_t lapic_id(void)
{
    uint32_t id = apic_read(APIC_ID);
    return x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

void lapic_send_ipi(uint32_t apic_id, uint32_t vector)
{
    uint64_t flags = local_irq_save();
    icr_write(apic_id, APIC_DM_FIXED | vector);
    local_irq_restore(flags);
}

void lapic_send_nmi_others(void)
{
    icr_write(0, APIC_DM_NMI | APIC_DEST_OTHERS);
}

void lapic_send_init(uint32_t apic_id)
{
    icr_write(apic_id, APIC_DM_INIT | APIC_LEVEL_ASSERT | APIC_TRIGGER_LEVEL);
    icr_write(apic_id, APIC_DM_INIT | APIC_TRIGGER_LEVEL);
}

void lapic_send_startup(uint32_t apic_id, uint8_t page)
{
    icr_write(apic_id, APIC_DM_STARTUP | page);
}

/* The timer's current count and the TSC's time at that moment: of a few
 * back-to-back reads, the one with the narrowest TSC bracket, so that a host
 * descheduling the emulator between the two clocks' reads cannot skew the
 * pair (the same care as time.c's PIT samples). */
static void count_sample(uint32_t *count, uint64_t *ns)
{
    uint64_t narrowest = ~0ULL;
    for (int i = 0; i < 5; i++) {
        uint64_t before = now_ns();
        uint32_t c = apic_read(APIC_TMCCT);
        uint64_t after = now_ns();
        if (after - before < narrowest) {
            narrowest = after - before;
            *count = c;
            *ns = before + (after - before) / 2;
        }
    }
}

/* Ticks per ms over about 10 ms of TSC time between two samples. */
static uint64_t measure_ticks_per_ms(void)
{
    apic_write(APIC_TMICT, 0xffffffff);
    uint32_t c0 = 0, c1 = 0;
    uint64_t t0 = 0, t1 = 0;
    count_sample(&c0, &t0);
    while (now_ns() - t0 < 10 * NSEC_PER_MSEC)
        cpu_relax();
    count_sample(&c1, &t1);
    apic_write(APIC_TMICT, 0);
    return t1 > t0 ? (uint64_t)(c0 - c1) * NSEC_PER_MSEC / (t1 - t0) : 0;
}

/* Measures the timer's rate against the TSC, which time_init calibrated:
 * the median of three, so one run spoiled in a way no bracket catches
 * cannot move it (a rate 40% high, seen on a loaded host, made every timer
 * fire that much late). */
void lapic_timer_calibrate(void)
{
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
    apic_write(APIC_TDCR, 0xb);
    uint64_t r[3];
    for (int i = 0; i < 3; i++)
        r[i] = measure_ticks_per_ms();
    sort3(r);
    lapic_ticks_per_ms = r[1];
    pr_info("local APIC timer: %lu ticks/ms\n", lapic_ticks_per_ms);
    if (!lapic_ticks_per_ms)
        panic("local APIC timer does not count");
}

void lapic_timer_oneshot(uint64_t ns)
{
    /* The 32-bit count holds a few seconds at most: a longer time would
     * only risk overflowing the product. */
    if (ns > 10 * NSEC_PER_SEC)
        ns = 10 * NSEC_PER_SEC;
    uint64_t ticks = ns * lapic_ticks_per_ms / 1000000;
    if (ticks == 0)
        ticks = 1;
    if (ticks > 0xffffffff)
        ticks = 0xffffffff;
    apic_write(APIC_LVT_TIMER, VEC_TIMER);
    apic_write(APIC_TMICT, (uint32_t)ticks);
}

void lapic_timer_stop(void)
{
    apic_write(APIC_TMICT, 0);
}

void lapic_timer_state(struct lapic_timer_state *s)
{
    s->lvt = apic_read(APIC_LVT_TIMER);
    s->initial = apic_read(APIC_TMICT);
    s->current = apic_read(APIC_TMCCT);
    s->tpr = apic_read(APIC_TPR);
    for (unsigned int i = 0; i < 8; i++) {
        s->isr[i] = apic_read(APIC_ISR + i * 0x10);
        s->irr[i] = apic_read(APIC_IRR + i * 0x10);
    }
}

void lapic_send_nmi(uint32_t apic_id)
{
    uint64_t flags = local_irq_save();
    icr_write(apic_id, APIC_DM_NMI);
    local_irq_restore(flags);
}
