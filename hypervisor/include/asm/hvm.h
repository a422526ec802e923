/*
 * Per-vCPU and per-domain state of a hardware-virtualized guest, and what
 * arch/x86/hvm/ offers the rest of arch/x86. Vendor-neutral: the vendor's
 * own state sits in `svm` and is touched only by arch/x86/svm/; everything
 * else reaches it through asm/hvm_vendor.h.
 */
#ifndef ASM_HVM_H
#define ASM_HVM_H

#include <asm/regs.h>
#include <asm/vmcb.h>
#include <basalt/types.h>

struct vcpu;
struct domain;

/* Why a vCPU left guest mode, for the 'd' console key and tuning. */
enum exit_kind {
    EXIT_INTR, EXIT_VINTR, EXIT_CPUID, EXIT_MSR, EXIT_IO, EXIT_HLT, EXIT_HYPERCALL,
    EXIT_NPF, EXIT_PAUSE, EXIT_OTHER, NR_EXIT_KINDS,
};

struct exit_stats {
    uint64_t kind[NR_EXIT_KINDS];
    uint64_t hypercall[64];
    uint64_t io_port_top[4][2]; /* most frequent ports seen: {port, count} */
};

/* The code page the last decoded instruction came from (insn_fetch.c):
 * while valid, it holds a reference on mfn. */
struct insn_cache {
    uint64_t cr3, linear, gen;
    mfn_t mfn;
    bool valid;
};

/* An event to deliver on entry. The types are the encodings SVM's EVENTINJ
 * and VT-x's entry interruption information share. */
enum hvm_event_type {
    HVM_EVENT_EXT_INTR = 0,
    HVM_EVENT_NMI = 2,
    HVM_EVENT_EXCEPTION = 3,
    HVM_EVENT_SOFT_INTR = 4,
};

struct hvm_event {
    bool valid;
    uint8_t type;     /* enum hvm_event_type */
    uint8_t vector;
    bool has_error;
    uint32_t error;
};

/* An access to a device (port or memory) an instruction made, kept so that
 * the instruction can be run again once a device model has answered one of
 * them: the accesses before it are answered from here, in order. */
struct hvm_io_access {
    uint64_t addr;      /* port, or guest-physical address */
    uint64_t data;      /* value; guest-physical buffer with data_is_ptr */
    uint32_t count;     /* elements */
    uint8_t size;       /* bytes per element */
    bool port, write, data_is_ptr, df;
};

#define HVM_IO_ACCESSES 8

/* What finishes the instruction once the device model answered. */
enum hvm_io_completion {
    HVM_IO_DONE_NONE,    /* nothing to do (an INVALIDATE) */
    HVM_IO_DONE_EMULATE, /* run the instruction again */
    HVM_IO_DONE_PIO_IN,  /* IN: the value into AL/AX/EAX, then RIP */
    HVM_IO_DONE_PIO_OUT, /* OUT: RIP */
};

/* A vCPU's emulation in progress (hvm/emulate.c, hvm/ioreq.c). */
struct hvm_vcpu_io {
    bool waiting;                 /* an ioreq is out: the vCPU stays off the CPU until answered */
    enum hvm_io_completion completion;
    uint64_t next_rip;            /* PIO completions */
    uint8_t pio_size;
    uint8_t insn[15];             /* the instruction being emulated, as first fetched */
    uint8_t insn_len;             /* bytes in insn; 0: none kept */
    unsigned int nr_done, replay; /* accesses kept; next one to answer from them */
    struct hvm_io_access done[HVM_IO_ACCESSES];
    mfn_t page;                   /* the ioreq page the request is in (held), or INVALID */
    uint16_t server;              /* its ioreq server */
    uint32_t port;                /* its event channel */
    bool server_gone;             /* the server went away meanwhile: no answer will come */
    uint8_t invalidate;           /* servers still to be told the guest gave memory back */
};

struct arch_vcpu {
    struct svm_vcpu svm;         /* the vendor's part: arch/x86/svm/ only */
    struct guest_gprs gprs;      /* the GPRs the hardware does not switch */
    uint64_t xcr0;
    void *xsave_area;
    uint64_t debug_addr[4];      /* DR0-DR3 while another vCPU has the CPU */

    uint64_t flush_gen_seen;     /* p2m flush generation this vCPU has applied */
    volatile bool in_guest;      /* between entry and exit */
    volatile uint64_t entry_seq; /* entries so far */

    uint64_t apic_base_msr;
    uint64_t tsc_aux;
    uint64_t mtrr_def_type;

    struct hvm_event pending_exception; /* to deliver on the next entry */
    bool init_pending;           /* INIT sent by another vCPU, not yet acted on (atomic) */
    bool sipi_pending;           /* INIT taken: waiting for STARTUP (atomic) */
    bool nmi_pending;

    struct vlapic *vlapic;
    struct insn_cache insn_cache;
    struct exit_stats stats;

    struct hvm_vcpu_io io;
    /* HVM domains: the MTRRs the guest wrote, read back as written (they
     * have no effect under nested paging). */
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[16];
};

#include <asm/ioport.h>

struct vioapic;
struct hvm_domain;

struct arch_domain {
    uint8_t *iopm;               /* I/O permission map (1 = intercepted); NULL: all intercepted */
    struct vioapic *vioapic[8];  /* Dom0's (the machine's), or an HVM domain's one */
    unsigned int nr_vioapics;
    struct ioport_handler io_handlers[MAX_IOPORT_HANDLERS];
    unsigned int nr_io_handlers;
    struct hvm_domain *hvm;      /* HVM domains only (asm/hvm_domain.h) */
};

/* A fully virtualized domain: BIOS, emulated platform, device model. */
#define is_hvm_domain(d) ((d)->arch.hvm != NULL)

/* Prints v's exit statistics. */
void hvm_dump_exit_stats(struct vcpu *v);

/* Initial register state (and arch_vcpu_set_pvh_entry, basalt/arch.h). */
void hvm_set_real_mode_entry(struct vcpu *v, uint16_t cs_sel, uint16_t ip);

/* Wakes v if it is blocked and makes it look at its interrupts soon. */
void hvm_vcpu_kick(struct vcpu *v);

/* Event injection: the exception is delivered on the next entry. */
void hvm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
static inline void hvm_inject_gp(struct vcpu *v) { hvm_inject_exception(v, 13, true, 0); }
static inline void hvm_inject_ud(struct vcpu *v) { hvm_inject_exception(v, 6, false, 0); }

/* Advances RIP past the instruction that exited (decoded when the hardware
 * does not say how long it was), or past `len` bytes. */
int hvm_skip_insn(struct vcpu *v);
/* Lets go of the code page kept for instruction fetches (a vCPU going away). */
void hvm_insn_cache_drop(struct vcpu *v);
void hvm_advance_rip(struct vcpu *v, unsigned int len);

#endif
