/* One-shot timers on a physical CPU, run from its timer interrupt. */
#ifndef BASALT_TIMER_H
#define BASALT_TIMER_H

#include <basalt/types.h>

struct timer {
    uint64_t deadline;        /* system time, ns */
    void (*fn)(void *data);
    void *data;
    unsigned int cpu;
    bool active;
    uint64_t armed_in;        /* the queue's timers_run count when last armed */
    struct timer *next;
};

void timer_init(struct timer *t, void (*fn)(void *), void *data);
/* (Re)arms t on the current CPU; fn runs with interrupts off, so keep it short. */
void timer_set(struct timer *t, uint64_t deadline);
void timer_stop(struct timer *t);
/* timer_stop, and waits for a callback running on another CPU to finish, so
 * that what it uses may be freed. Never with a lock the callback takes. */
void timer_kill(struct timer *t);
void timers_cpu_init(void);
/* Called from the LAPIC timer interrupt: runs expired timers, re-arms the LAPIC. */
void timers_run(void);
/* From the NMI handler: true if the NMI was the timer watchdog's (it
 * recorded this CPU's local APIC state for the CPU that asked). */
struct trap_frame;
bool timer_watchdog_nmi(const struct trap_frame *f);
/* Prints each CPU's earliest timer deadline (the 'd' key). */
void timers_dump(void);

#endif
