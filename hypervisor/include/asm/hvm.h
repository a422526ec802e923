/* Per-vCPU and per-domain state of an SVM guest. */
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
    const uint8_t *host;
};

struct arch_vcpu {
    struct vmcb *vmcb;
    paddr_t vmcb_pa;
    struct guest_gprs gprs;
    uint64_t xcr0;
    void *xsave_area;

    uint32_t asid, asid_generation;
    int last_pcpu;
    uint64_t flush_gen_seen;     /* p2m flush generation this vCPU has applied */
    volatile bool in_guest;      /* between VMRUN and #VMEXIT */
    volatile uint64_t entry_seq; /* VMRUNs so far */

    uint64_t apic_base_msr;
    uint64_t tsc_aux;
    uint64_t mtrr_def_type;

    uint64_t pending_exception;  /* EVENTINJ value to deliver on next entry, or 0 */
    bool sipi_pending;           /* INIT received: waiting for STARTUP */
    bool nmi_pending;

    struct vlapic *vlapic;
    struct insn_cache insn_cache;
    struct exit_stats stats;
};

#include <asm/ioport.h>

struct vioapic;

struct arch_domain {
    uint8_t *iopm;               /* I/O permission map (shared all-intercept map for DomUs) */
    struct vioapic *vioapic[8];  /* Dom0 only */
    unsigned int nr_vioapics;
    struct ioport_handler io_handlers[MAX_IOPORT_HANDLERS];
    unsigned int nr_io_handlers;
};

int arch_vcpu_init(struct vcpu *v);
void arch_vcpu_destroy(struct vcpu *v);
/* Runs v until the scheduler wants a new pick; returns with interrupts off. */
void arch_vcpu_run(struct vcpu *v);
/* Prints v's exit statistics. */
void hvm_dump_exit_stats(struct vcpu *v);

/* Initial register state. */
void hvm_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t ebx);
void hvm_set_real_mode_entry(struct vcpu *v, uint16_t cs_sel, uint16_t ip);

/* Event injection. */
void hvm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
static inline void hvm_inject_gp(struct vcpu *v) { hvm_inject_exception(v, 13, true, 0); }
static inline void hvm_inject_ud(struct vcpu *v) { hvm_inject_exception(v, 6, false, 0); }

/* Advances RIP past the instruction that exited (decoded when NRIP is absent). */
int hvm_skip_insn(struct vcpu *v);

/* Guest registers by x86 encoding number (0 = RAX ... 15 = R15). */
uint64_t hvm_get_gpr(struct vcpu *v, unsigned int reg);
void hvm_set_gpr(struct vcpu *v, unsigned int reg, uint64_t val);

#endif
