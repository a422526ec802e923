/* The storm guest's parts (storm.c says what it is). */
#ifndef STORM_H
#define STORM_H

#include "common/hcall.h"
#include "common/smp.h"
#include "common/x86.h"
#include "storm_proto.h"

/* Guest-frame layout; the domain has at least STORM_MIN_MB MiB of RAM. */
#define STORM_MIN_MB 64
#define BALLOON_GFN 0x2000UL     /* [32, 56) MiB given back at start: room to populate */
#define BALLOON_PAGES 0x1800UL
#define GRANT_GFN 0x10000UL      /* empty frames (256 MiB up, identity-mapped) for grant maps */
#define CONTROL_GFN (GRANT_GFN + 0x00)
#define ALIAS_GFN (GRANT_GFN + 0x10)
#define UNMAP_GFN (GRANT_GFN + 0x20)
#define BALLOON_MAP_GFN (GRANT_GFN + 0x30) /* + cpu */
#define PAGETABLE_GFN (GRANT_GFN + 0x40)
#define CHURN_MIN_GFN 0x100000UL /* 4 GiB: churn spreads over [this, 2^36) */
#define EXTENT_GFN 0x1000000UL   /* 64 GiB: order-9 extents */

struct storm {
    domid_t partner;               /* 0: none (the attacks that need one are skipped) */
    struct storm_control *ctl;     /* the partner's control page, mapped at CONTROL_GFN */
    grant_handle_t ctl_handle;
    evtchn_port_t port;            /* ours, bound to the partner's */
    unsigned int round, rounds, cpus;
    uint64_t phase_ms;
    volatile uint64_t deadline_us; /* the current phase ends then */
    volatile uint32_t bugs;
};
extern struct storm S;

/* "storm: BUG: ..." : the hypervisor did something it must not. */
void storm_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool phase_running(void);
/* Runs fn on every vCPU (APs started for it) and waits until the APs are
 * done; APs still running after the phase's deadline get INIT. */
void on_all_cpus(ap_fn_t fn);
/* INIT to each AP still up; waits until it is down. */
void stop_aps(void);
/* Spin without PAUSE: a PAUSE exit may give the CPU away, and the races
 * need every vCPU running at once. */
static inline void spin_hot(void)
{
    __asm__ volatile("" ::: "memory");
}
/* Per-vCPU xorshift. */
uint64_t storm_rand(unsigned int cpu);

/* Grant maps of the partner's pages. */
grant_handle_t map_grant(grant_ref_t ref, xen_pfn_t gfn, bool readonly, int16_t *status);
int16_t unmap_grant(grant_handle_t h);

/* Phases (storm_grant.c, storm_mem.c, storm_cpu.c). */
void phase_alias(void);
void phase_unmap(void);
void phase_balloon(void);
void phase_walker(void);
void phase_evtchn(void);
void phase_vcpu_info(void);
void phase_physmap(void);
void phase_churn(void);
void phase_extents(void);
void phase_debugregs(void);
void phase_console(void);
void phase_init(void);
void phase_db(void);
void phase_db_loop(void);
void phase_ac(void);
void phase_timers(void);
void storm_cpu_setup(void);

#endif
