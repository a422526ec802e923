/*
 * Basalt's control hypercall: the toolstack's interface to the hypervisor,
 * used only by the privileged domain (Dom0). Documented in
 * docs/abi/control.md. Everything else the toolstack needs is the Xen ABI
 * (memory_op populate/foreign maps, hvm_op params, event_channel_op).
 *
 *   rc = HYPERVISOR_basalt_ctl(struct basalt_ctl *op)   (hypercall 60)
 *
 * `op` is read, checked, acted on and written back. rc is 0 or a negative
 * Xen errno. A caller whose `version` has another major half than
 * BASALT_CTL_VERSION, or a newer minor half, gets -EACCES and nothing else
 * happens (1.1 added HVM domains: BCTL_CREATE_HVM, BDOM_HVM; 1.2 saving
 * and restoring: BCTL_DOMAIN_READ, BCTL_VCPU_GET_STATE/SET_STATE,
 * BCTL_DOMAIN_GET_MEMMAP, BCTL_DOMAIN_RESUME).
 */
#ifndef LIB_BASALT_CTL_H
#define LIB_BASALT_CTL_H

#include <stdint.h>

#define __HYPERVISOR_basalt_ctl 60
#define BASALT_CTL_VERSION 0x00010002

#define BASALT_NAME_LEN 64

enum basalt_ctl_cmd {
    BCTL_HOST_INFO = 1,       /* -> u.host */
    BCTL_DOMAIN_CREATE = 2,   /* u.create -> domid */
    BCTL_DOMAIN_DESTROY = 3,  /* domid */
    BCTL_DOMAIN_PAUSE = 4,    /* domid */
    BCTL_DOMAIN_UNPAUSE = 5,  /* domid (also starts a newly built domain) */
    BCTL_DOMAIN_INFO = 6,     /* domid: the first domain with id >= domid -> u.info */
    BCTL_DOMAIN_SET_MEMMAP = 7,  /* domid, u.memmap: what XENMEM_memory_map returns */
    BCTL_VCPU_SET_ENTRY = 8,  /* domid, u.entry: vCPU 0 starts at the PVH entry */
    BCTL_VCPU_INFO = 9,       /* domid, u.vcpu.vcpu -> u.vcpu */
    BCTL_VCPU_SET_AFFINITY = 10, /* domid, u.vcpu.vcpu, u.vcpu.affinity */
    BCTL_SCHED = 11,          /* domid, u.sched (set if u.sched.set, returns current) */
    BCTL_GRANT_SEED = 12,     /* domid, u.grant: write a reserved grant entry */
    BCTL_SET_MAX_MEM = 13,    /* domid, u.max_mem_kb */
    BCTL_READ_LOG = 14,       /* u.log: read the hypervisor's log ring */
    BCTL_DOMAIN_SHUTDOWN = 15, /* domid, u.shutdown_reason: mark it shut down (hard) */
    BCTL_DOMAIN_WRITE = 16,   /* domid, u.write: copy into its RAM (1.1) */
    BCTL_DOMAIN_READ = 17,    /* domid, u.read: copy its RAM out (1.2) */
    BCTL_VCPU_GET_STATE = 18, /* domid, u.state: a suspended vCPU's state -> buffer (1.2) */
    BCTL_VCPU_SET_STATE = 19, /* domid, u.state: buffer -> a vCPU of a domain being built (1.2) */
    BCTL_DOMAIN_GET_MEMMAP = 20, /* domid, u.memmap -> its memory map (1.2) */
    BCTL_DOMAIN_RESUME = 21,  /* domid: a suspended domain carries on, suspend returns 1 (1.2) */
};

/* Domain state flags (u.info.flags). */
#define BDOM_RUNNING   (1u << 0) /* a vCPU is on a CPU */
#define BDOM_BLOCKED   (1u << 1) /* every live vCPU is waiting */
#define BDOM_PAUSED    (1u << 2)
#define BDOM_SHUTDOWN  (1u << 3) /* guest shut down; u.info.shutdown_reason says why */
#define BDOM_DYING     (1u << 4)
#define BDOM_BUILDING  (1u << 5) /* created, never unpaused */
#define BDOM_PRIVILEGED (1u << 6)
#define BDOM_HVM       (1u << 7) /* fully virtualized (version 1.1) */

/* Creation flags (u.create.flags). */
#define BCTL_CREATE_HVM (1u << 0) /* an HVM domain: emulated platform, device models (version 1.1) */

struct basalt_host_info {
    uint32_t nr_cpus, nr_cpus_online;
    uint32_t cpu_khz;
    uint32_t xen_major, xen_minor;
    char xen_extra[16];
    uint64_t total_pages;     /* pages in the domain pool */
    uint64_t free_pages;      /* free pages in the domain pool */
    uint64_t hv_pages;        /* the hypervisor's own zone */
    uint64_t dom0_pages;      /* Dom0's 1:1 RAM */
    uint64_t uptime_ns;
    uint64_t wallclock_boot_sec; /* wall clock at system time 0 */
    uint32_t nr_domains;
    uint32_t pad;
};

struct basalt_domain_create {
    char name[BASALT_NAME_LEN];
    uint8_t handle[16];       /* UUID */
    uint32_t max_vcpus;       /* 1..64 */
    uint32_t weight;          /* 0: default 256 */
    uint32_t cap;             /* percent of one CPU, 0: none */
    uint32_t flags;           /* BCTL_CREATE_*; other bits 0 */
    uint64_t max_mem_kb;      /* memory the domain may hold (populate stops there) */
    uint64_t cpu_affinity;    /* physical CPUs its vCPUs may use; 0: the DomU pool */
};

struct basalt_domain_info {
    uint32_t domid;
    uint32_t flags;           /* BDOM_* */
    uint32_t shutdown_reason; /* SHUTDOWN_* when BDOM_SHUTDOWN */
    uint32_t nr_vcpus, nr_online_vcpus;
    uint32_t weight, cap;
    uint32_t pad;
    char name[BASALT_NAME_LEN];
    uint8_t handle[16];
    uint64_t tot_pages, max_pages;
    uint64_t cpu_time_ns;     /* all vCPUs */
    uint64_t created_ns;      /* system time of creation */
};

struct basalt_memmap {
    uint32_t nr_entries;      /* <= 16 */
    uint32_t pad;
    uint64_t entries;         /* guest address of struct hvm_memmap_table_entry[nr] in the caller */
};

struct basalt_vcpu_entry {
    uint32_t entry;           /* PHYS32_ENTRY */
    uint32_t start_info;      /* guest-physical address for EBX */
};

struct basalt_vcpu_info {
    uint32_t vcpu;
    uint32_t state;           /* 0 down, 1 runnable, 2 blocked */
    uint32_t running;         /* on a CPU now */
    uint32_t cpu;             /* physical CPU it runs or last ran on */
    uint64_t affinity;
    uint64_t cpu_time_ns;
};

struct basalt_sched {
    uint32_t set;             /* 1: apply weight and cap */
    uint32_t weight;          /* 1..65535 */
    uint32_t cap;             /* 0..100*vcpus */
    uint32_t pad;
};

struct basalt_grant_seed {
    uint32_t ref;             /* 0..7: the reserved entries */
    uint32_t backend;         /* domain granted access */
    uint64_t gfn;             /* frame of the guest */
};

struct basalt_log {
    uint64_t pos;             /* in: where to read from (0 first); out: where to go on */
    uint64_t buffer;          /* guest address in the caller */
    uint32_t size;            /* in: buffer size; out: bytes copied */
    uint32_t pad;
};

/* At most this much per BCTL_DOMAIN_WRITE: a call is bounded work. */
#define BASALT_WRITE_MAX (1u << 20)

struct basalt_mem_write {
    uint64_t gpa;             /* where in the domain's memory */
    uint64_t buffer;          /* guest address of the bytes in the caller */
    uint32_t size;            /* in: bytes (<= BASALT_WRITE_MAX); out: bytes written */
    uint32_t pad;
};

/* BCTL_DOMAIN_READ: page-aligned gpa and size (<= BASALT_WRITE_MAX). Bit i
 * of `present` is set if page i of the range is the domain's RAM, copied to
 * the same offset of the buffer; the buffer's bytes for any other page are
 * left as they were. */
struct basalt_mem_read {
    uint64_t gpa;
    uint64_t buffer;          /* guest address in the caller */
    uint32_t size;
    uint32_t pad;
    uint64_t present[BASALT_WRITE_MAX / 4096 / 64];
};

/* BCTL_VCPU_GET_STATE / SET_STATE: where the state is in the caller. */
struct basalt_vcpu_state_buf {
    uint32_t vcpu;
    uint32_t size;            /* sizeof(struct basalt_vcpu_state) */
    uint64_t buffer;          /* guest address in the caller */
};

#define BASALT_VCPU_STATE_VERSION 1
#define BASALT_XSAVE_MAX 4096
#define BASALT_LAPIC_REGS 1024

/* Segment: selector, attributes (access byte in bits 0-7, AVL/L/D/G in
 * 8-11), limit, base. */
struct basalt_segment {
    uint16_t sel, attr;
    uint32_t limit;
    uint64_t base;
};

/*
 * A vCPU's complete architectural state, as saved and restored (also the
 * vCPU record of a save file, docs/save-format.md). `flags` bit 0: the vCPU
 * is up (it runs again after a restore); a down one is restored as down,
 * waiting for INIT/STARTUP or VCPUOP_up.
 */
#define BASALT_VCPU_UP (1u << 0)
#define BASALT_EVENT_VALID (1u << 31) /* event: type in bits 8-10, vector 0-7, error code valid bit 11 */
struct basalt_vcpu_state {
    uint32_t version;         /* BASALT_VCPU_STATE_VERSION */
    uint32_t flags;           /* BASALT_VCPU_* */
    uint64_t gpr[16];         /* RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15 */
    uint64_t rip, rflags;
    uint64_t cr0, cr2, cr3, cr4, efer;
    uint64_t dr[8];           /* DR0-DR3, unused, unused, DR6, DR7 */
    struct basalt_segment seg[10]; /* ES, CS, SS, DS, FS, GS, GDTR, LDTR, IDTR, TR */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t pat, tsc_aux, apic_base, mtrr_def_type;
    uint64_t tsc;             /* the guest's TSC when the state was read */
    uint64_t xcr0;
    uint32_t event;           /* an event being delivered (BASALT_EVENT_VALID) */
    uint32_t event_error;
    uint32_t interrupt_shadow; /* 1: STI / MOV SS shadow */
    uint32_t nmi_pending;
    /* The local APIC: its register page's first 1 KiB as the guest reads
     * it, the timer's count left (ns) and period (ns, 0: stopped). */
    uint32_t lapic_flags;     /* bit 0: enabled (APIC_BASE.EN), bit 1: x2APIC */
    uint32_t xsave_size;      /* bytes of xsave used */
    uint64_t lapic_timer_left_ns, lapic_timer_period_ns;
    uint8_t lapic[BASALT_LAPIC_REGS];
    uint8_t xsave[BASALT_XSAVE_MAX]; /* XSAVE standard format (or FXSAVE's 512 bytes) */
};

struct basalt_ctl {
    uint32_t version;         /* BASALT_CTL_VERSION */
    uint32_t cmd;             /* enum basalt_ctl_cmd */
    uint32_t domid;
    uint32_t pad;
    union {
        struct basalt_host_info host;
        struct basalt_domain_create create;
        struct basalt_domain_info info;
        struct basalt_memmap memmap;
        struct basalt_vcpu_entry entry;
        struct basalt_vcpu_info vcpu;
        struct basalt_sched sched;
        struct basalt_grant_seed grant;
        uint64_t max_mem_kb;
        struct basalt_log log;
        uint32_t shutdown_reason;
        struct basalt_mem_write write;
        struct basalt_mem_read read;
        struct basalt_vcpu_state_buf state;
        uint8_t pad[256];
    } u;
};

#endif
