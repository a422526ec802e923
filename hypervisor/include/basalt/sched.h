/*
 * The scheduler: one global run queue of runnable vCPUs, ordered by credit
 * (credit2-style: credit burns in inverse proportion to the domain's weight;
 * when the best candidate has none left, everyone's credit is topped up),
 * with per-vCPU affinity and per-domain caps.
 */
#ifndef BASALT_SCHED_H
#define BASALT_SCHED_H

#include <asm/percpu.h>

struct vcpu;
struct domain;

#define SCHED_DEFAULT_WEIGHT 256
#define SCHED_SLICE_NS (10 * 1000 * 1000ULL)

void sched_init(void);
void sched_cpu_init(struct pcpu *p);
void __noreturn sched_idle_loop(void);

void sched_domain_init(struct domain *d);
/* Registers a new vCPU (not yet runnable). */
void sched_add_vcpu(struct vcpu *v);
/* Makes v runnable if it was blocked (or down and start is true). */
void vcpu_wake(struct vcpu *v);
void vcpu_start(struct vcpu *v);
/* The current vCPU stops until vcpu_wake; returns false (and does not block)
 * if wake_pending() already holds. */
bool vcpu_block(struct vcpu *v, bool (*wake_pending)(struct vcpu *));
/* The current vCPU goes offline (HLT with interrupts off, or VCPUOP_down). */
void vcpu_down(struct vcpu *v);
void vcpu_yield(struct vcpu *v);
void vcpu_pause(struct vcpu *v);      /* asynchronous */
void vcpu_unpause(struct vcpu *v);
/* Returns once no vCPU of d is running; call with no lock held and
 * interrupts on (it waits for other CPUs). */
void domain_pause_sync(struct domain *d);
void domain_unpause(struct domain *d);
/* Removes v from the scheduler for good (it must be paused and not running). */
void sched_remove_vcpu(struct vcpu *v);
/* Time the vCPU has run, including the stint in progress. */
uint64_t vcpu_runtime_ns(const struct vcpu *v);

/* Asks this CPU to pick again at its next chance. */
void sched_raise_resched(unsigned int cpu);
bool sched_resched_pending(void);
/* Kicks every vCPU of d that is in guest mode on another CPU and waits
 * until each has left it (so it sees updated p2m state on re-entry). */
void sched_sync_domain(struct domain *d);

/* SCHEDOP_poll. */
long sched_poll(struct vcpu *v, uint64_t arg);

/* Mask of physical CPUs that DomU vCPUs may use. */
extern uint64_t domu_cpu_mask;
uint64_t all_cpus_mask(void);

#endif
