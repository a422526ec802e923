/* The physical local APIC (xAPIC MMIO or x2APIC MSRs) and the IOAPICs. */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include <basalt/types.h>

/* Register offsets (xAPIC MMIO; x2APIC MSR = 0x800 + offset / 16). */
#define APIC_ID       0x020
#define APIC_LVR      0x030
#define APIC_TPR      0x080
#define APIC_EOI      0x0b0
#define APIC_LDR      0x0d0
#define APIC_DFR      0x0e0
#define APIC_SVR      0x0f0
#define APIC_ISR      0x100
#define APIC_TMR      0x180
#define APIC_IRR      0x200
#define APIC_ESR      0x280
#define APIC_ICR      0x300
#define APIC_ICR2     0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_THERMAL 0x330
#define APIC_LVT_PMC  0x340
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERR  0x370
#define APIC_TMICT    0x380
#define APIC_TMCCT    0x390
#define APIC_TDCR     0x3e0
#define APIC_SELF_IPI 0x3f0

#define APIC_LVT_MASKED BIT(16)
#define APIC_ICR_BUSY   BIT(12)
#define APIC_DM_FIXED   0x000
#define APIC_DM_NMI     0x400
#define APIC_DM_INIT    0x500
#define APIC_DM_STARTUP 0x600
#define APIC_LEVEL_ASSERT BIT(14)
#define APIC_TRIGGER_LEVEL BIT(15)
#define APIC_DEST_SELF     (1U << 18)
#define APIC_DEST_ALL      (2U << 18)
#define APIC_DEST_OTHERS   (3U << 18)

#define APIC_BASE_BSP   BIT(8)
#define APIC_BASE_EXTD  BIT(10)
#define APIC_BASE_EN    BIT(11)

void lapic_init(void);           /* on each CPU */
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_send_ipi(uint32_t apic_id, uint32_t vector);
void lapic_send_nmi_others(void);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint8_t page);
bool lapic_x2apic_mode(void);

/* Timer: ticks per ms measured at boot; one-shot expiry in ns from now. */
void lapic_timer_calibrate(void);
void lapic_timer_oneshot(uint64_t ns);
void lapic_timer_stop(void);

/* What the local APIC's timer and interrupt state hold now, for the timer
 * watchdog's report: a vector stuck in service at or above the timer's
 * priority class would keep the timer's interrupt out for good. */
struct lapic_timer_state {
    uint32_t lvt, initial, current, tpr;
    uint32_t isr[8], irr[8];
};
void lapic_timer_state(struct lapic_timer_state *s);
void lapic_send_nmi(uint32_t apic_id);

/* IOAPICs: route a GSI to a vector on a CPU. */
void ioapic_init(void);
void ioapic_route(uint32_t gsi, uint8_t vector, uint32_t dest_apic, bool level, bool active_low);
void ioapic_mask(uint32_t gsi, bool masked);
/* Total pins across IOAPICs. */
uint32_t ioapic_nr_gsis(void);
void pic_disable(void);

#endif
