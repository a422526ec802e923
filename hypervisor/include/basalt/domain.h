/* Domains and their virtual CPUs. */
#ifndef BASALT_DOMAIN_H
#define BASALT_DOMAIN_H

#include <asm/hvm.h>
#include <basalt/event.h>
#include <basalt/grant_table.h>
#include <basalt/guest_console.h>
#include <basalt/p2m.h>
#include <basalt/spinlock.h>
#include <basalt/timer.h>
#include <basalt/types.h>

#include <xen/arch-x86/hvm/start_info.h>
#include <xen/sched.h>
#include <xen/xen.h>

#define MAX_DOMAINS 256
#define MAX_VCPUS_PER_DOMAIN 64
#define DOMAIN_NAME_LEN 64
#define INVALID_GFN (~0ULL)

enum vcpu_state {
    VCPU_DOWN,     /* not started, or offline (HLT with interrupts off) */
    VCPU_RUNNABLE, /* wants a physical CPU */
    VCPU_BLOCKED,  /* waiting for an event or a timer */
};

struct vcpu {
    unsigned int id;
    struct domain *dom;
    struct arch_vcpu arch;

    /* scheduling; the scheduler owns these under its locks */
    enum vcpu_state state;
    volatile bool running;      /* context loaded on a physical CPU */
    unsigned int processor;     /* physical CPU it runs or queues on */
    uint64_t affinity;          /* physical CPUs it may run on */
    uint32_t pause_count;       /* > 0: not scheduled even if runnable */
    struct vcpu *rq_next;       /* run queue link */
    struct vcpu *sched_all_next;
    int credit;
    uint64_t runtime_ns;        /* total time spent running */
    uint64_t run_start_ns;
    uint64_t state_entry_ns;
    bool sched_queued;
    bool initialised;           /* has a register state to run from (VCPUOP_up may start it) */
    uint64_t *multicall_args;   /* in a multicall: the running entry's arguments,
                                   which hypercall_continue rewrites */

    struct timer singleshot;    /* VCPUOP_set_singleshot_timer */
    uint64_t periodic_period_ns;
    struct timer periodic;

    /* events */
    struct vcpu_info *vcpu_info;  /* in shared_info, or where the guest registered it */
    mfn_t vcpu_info_mfn;          /* registered page (holds a reference), or INVALID_MFN */
    evtchn_port_t virq_to_port[NR_VIRQS];
    const evtchn_port_t *poll_ports; /* SCHEDOP_poll: ports waited on, or NULL */
    unsigned int poll_nr;
    evtchn_port_t poll_buf[128];
    struct timer poll_timer;

    /* time */
    gvaddr_t runstate_va;          /* VCPUOP_register_runstate_memory_area, or 0 */
    uint64_t runstate_time[4];     /* ns spent in each RUNSTATE_* */
    int runstate;
    uint64_t runstate_entry_ns;
};

enum domain_state {
    DOMAIN_BUILDING,
    DOMAIN_RUNNING,
    DOMAIN_SHUTDOWN, /* vCPUs stopped, waiting for the toolstack or reboot */
    DOMAIN_DYING,
};

struct boot_domain_spec;

struct domain {
    domid_t id;
    char name[DOMAIN_NAME_LEN];
    xen_domain_handle_t handle; /* UUID */
    spinlock_t lock;            /* state, the reasons, vcpu_info registration */
    enum domain_state state;
    bool is_privileged;
    uint32_t shutdown_reason;
    uint32_t shutdown_code;     /* SCHEDOP_shutdown_code: reason to report later */
    char destroy_reason[96];
    char crash_reason[96];      /* why the hypervisor crashed it, if it did */

    unsigned int max_vcpus;
    struct vcpu *vcpus[MAX_VCPUS_PER_DOMAIN];

    struct p2m p2m;
    /* What tracks entries of the p2m elsewhere: the grant maptrack, where
     * shared_info and the grant frames are mapped. Held around every p2m
     * change that may replace such an entry, with the tracking's update. */
    spinlock_t physmap_lock;
    spinlock_t pages_lock;  /* tot_pages and max_pages */
    uint64_t tot_pages;     /* RAM pages it owns */
    uint64_t max_pages;

    uint32_t weight, cap;  /* credit scheduler: relative weight; cap in % of a CPU (0 = none) */
    int64_t budget_ns;          /* cap: CPU time left in this period */
    uint64_t budget_refill_at;
    struct timer cap_timer;
    uint32_t pause_count;
    bool user_paused;           /* BCTL_DOMAIN_PAUSE (not counted) */
    bool entry_set;             /* BCTL_VCPU_SET_ENTRY done */
    bool restored;              /* BCTL_VCPU_SET_STATE done: unpause starts... */
    uint64_t restored_up;       /* ...these vCPUs where their state says */
    uint64_t created_ns;

    struct arch_domain arch;
    struct guest_console_out console_out;

    struct shared_info *shared_info; /* hypervisor page, mapped where the guest asks */
    gfn_t shared_info_gfn;           /* INVALID_GFN until mapped */
    struct evtchn_table evtchn;
    struct grant_table grant;
    uint64_t hvm_params[64];
    bool vmassist_runstate_flag;     /* VMASST_TYPE_runstate_update_flag */
    evtchn_port_t pv_console_port;   /* console served by the hypervisor, or 0 */

    struct hvm_memmap_table_entry *memmap; /* XENMEM_memory_map (xmalloc'd) */
    unsigned int memmap_entries;
    const struct boot_domain_spec *boot_spec; /* set for boot-time domains */

    struct domain *next_dying;
    uint32_t refs;            /* domain_get() references; freed only at 0 */
};

extern struct domain *domains[MAX_DOMAINS];
extern spinlock_t domains_lock;

/* Everything domain_create needs to know. The boot-time builder, Dom0's
 * builder and the control hypercall each fill one. */
struct domain_config {
    domid_t id;                 /* or DOMAIN_ID_ANY */
    const char *name;
    bool unique_name;           /* refused if another domain (not dying) has it */
    const uint8_t *handle;      /* UUID (16 bytes), or NULL */
    unsigned int max_vcpus;
    uint64_t max_pages;
    uint32_t weight;            /* 0: SCHED_DEFAULT_WEIGHT */
    uint32_t cap;               /* % of one CPU; 0: none */
    uint64_t affinity;          /* CPUs its vCPUs may use; 0: the DomU pool */
    bool hardware_domain;       /* Dom0: privileged, owns devices and interrupts,
                                   vCPU i pinned to CPU i */
    bool hvm;                   /* fully virtualized: emulated platform, device models */
    const struct boot_domain_spec *boot_spec; /* built by the hypervisor from it */
};

/* domain_config.id: the next free id after the last one handed out so
 * (wrapping, never 0). */
#define DOMAIN_ID_ANY 0xffffu

/* Creates the domain with all its vCPUs (down, not yet started) in state
 * DOMAIN_BUILDING; *out is set on success. The id and the name are checked
 * (and, for DOMAIN_ID_ANY, the id chosen) in one step with the insertion,
 * so two creators at once never get one id or one unique name.
 * -EEXIST: the id, or a unique name, is in use; -ENOSPC: no id is free. */
int domain_create(const struct domain_config *cfg, struct domain **out);
/* The domain with this id, or NULL. Takes no reference: only for callers
 * that hold another guarantee the domain stays (they run on one of its
 * vCPUs, hold a reference already, or are the domain's own teardown). */
struct domain *domain_by_id(domid_t id);
/* The domain with this id, with a reference taken that keeps its memory
 * valid until domain_put (NULL if absent or dying). */
struct domain *domain_get(domid_t id);
void domain_put(struct domain *d);
/* Stops the domain's vCPUs and frees it once none of them is running. */
void domain_destroy(struct domain *d, const char *reason, ...) __attribute__((format(printf, 2, 3)));
/* Guest-requested shutdown (SCHEDOP_shutdown, all vCPUs down, triple fault). */
void domain_shutdown(struct domain *d, unsigned int reason);
const char *shutdown_reason_name(unsigned int reason);
/* Raises VIRQ_DOM_EXC in Dom0: a domain shut down or went away. */
void notify_dom0_domain_change(void);
void domain_crash(struct domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Called from idle loops: finishes destroying domains whose vCPUs have stopped. */
void domain_reap(void);

/* Replaces d's memory map (at most DOMAIN_MAX_MEMMAP sorted, disjoint
 * entries of known types); -EINVAL for a bad one. */
#define DOMAIN_MAX_MEMMAP 16
int domain_set_memmap(struct domain *d, const struct hvm_memmap_table_entry *map, unsigned int n);

/* Frees event channels, grant tables and the like (before memory). */
void domain_release_resources(struct domain *d);
void vcpu_singleshot_fired(void *data);
void vcpu_periodic_fired(void *data);
void vcpu_poll_timeout(void *data);
void vcpu_poll_done(struct vcpu *v);

/* Boot-time domains from multiboot modules. */
void domains_boot_prepare(void);
void domains_boot_create(void);

static inline struct vcpu *current_vcpu(void);

#include <asm/percpu.h>
static inline struct vcpu *current_vcpu(void)
{
    return this_cpu()->current;
}

#endif
