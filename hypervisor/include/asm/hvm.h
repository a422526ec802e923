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

/* Translation of the code page the last decoded instruction came from. */
struct insn_cache {
    uint64_t cr3, linear, gen;
    gfn_t gfn;
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
};

#include <asm/ioport.h>

struct vioapic;

struct arch_domain {
    uint8_t *iopm;               /* I/O permission map (1 = intercepted); NULL: all intercepted */
    struct vioapic *vioapic[8];  /* Dom0 only */
    unsigned int nr_vioapics;
    struct ioport_handler io_handlers[MAX_IOPORT_HANDLERS];
    unsigned int nr_io_handlers;
};

/* Prints v's exit statistics. */
void hvm_dump_exit_stats(struct vcpu *v);

/* Initial register state (and arch_vcpu_set_pvh_entry, basalt/arch.h). */
void hvm_set_real_mode_entry(struct vcpu *v, uint16_t cs_sel, uint16_t ip);

/* Event injection: the exception is delivered on the next entry. */
void hvm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
static inline void hvm_inject_gp(struct vcpu *v) { hvm_inject_exception(v, 13, true, 0); }
static inline void hvm_inject_ud(struct vcpu *v) { hvm_inject_exception(v, 6, false, 0); }

/* Advances RIP past the instruction that exited (decoded when the hardware
 * does not say how long it was), or past `len` bytes. */
int hvm_skip_insn(struct vcpu *v);
void hvm_advance_rip(struct vcpu *v, unsigned int len);

#endif
