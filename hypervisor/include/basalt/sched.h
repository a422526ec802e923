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
/* Makes v runnable if it was blocked. */
void vcpu_wake(struct vcpu *v);
/* Starts v from the register state just set for it (a builder's entry
 * point, a STARTUP IPI): it is initialised and, if down, runnable. */
void vcpu_start(struct vcpu *v);
/* VCPUOP_up: a down vCPU with a register state to run from runs again
 * where it stopped (or where VCPUOP_initialise put it); an up one is left
 * alone. -EINVAL if it has none (never started, or INIT since). */
int vcpu_up(struct vcpu *v);
/* VCPUOP_initialise gave v (down) a register state to start from. */
void vcpu_mark_initialised(struct vcpu *v);
/* INIT for v: if it is down, it forgets its register state (it waits for
 * STARTUP) and true is returned; a running vCPU must take INIT itself. */
bool vcpu_reset_if_down(struct vcpu *v);
/* The current vCPU stops until vcpu_wake; returns false (and does not block)
 * if wake_pending() already holds. */
bool vcpu_block(struct vcpu *v, bool (*wake_pending)(struct vcpu *));
/* v goes offline (HLT with interrupts off, INIT, VCPUOP_down): at once if
 * it is not on a CPU, else at its next exit (another CPU's is kicked).
 * reset: it also forgets its register state (INIT). Returns true if every
 * vCPU of its domain is down now. */
bool vcpu_down(struct vcpu *v, bool reset);
void vcpu_yield(struct vcpu *v);
/* New physical CPUs for v: if it runs on one it may no longer use, it
 * leaves it, and a CPU it may use picks it up. */
void vcpu_set_affinity(struct vcpu *v, uint64_t affinity);
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

/* Reports vCPUs the hypervisor lost (a blocked one long past its timer,
 * a runnable one nobody runs or queues); from the timer watchdog. */
void sched_watchdog(uint64_t now);

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
/* The online CPUs guest vCPUs may use (guest_cpus=; all if it names none). */
uint64_t guest_cpus_mask(void);
/* The n-th CPU of a non-empty mask, counting round it as often as needed. */
unsigned int nth_cpu(uint64_t mask, unsigned int n);

#endif
