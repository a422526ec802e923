/*
 * The vendor seam. arch/x86/hvm/ (and arch/x86 code above it) reaches the
 * CPU's virtualization extension only through what is declared here:
 * guest registers, segments, control and debug registers, interrupt state,
 * event injection, intercept switches, entering the guest. arch/x86/svm/
 * implements it for AMD SVM; Intel VT-x would be a second implementation,
 * one vendor per build (bound at link time). The accessors are static inline,
 * defined by the vendor's header included at the end, so that each compiles
 * to a direct access of the VMCB: exit handling is the hot path.
 *
 * Naming: hvm_ is vendor-neutral (this interface, and the code in hvm/ that
 * uses it); svm_ is SVM's own and appears only in arch/x86/svm/ and asm/svm.h.
 */
#ifndef ASM_HVM_VENDOR_H
#define ASM_HVM_VENDOR_H

#include <asm/hvm.h>
#include <basalt/domain.h>
#include <basalt/types.h>

struct pcpu;

/* Segment registers, numbered as instruction prefixes and I/O exits number
 * them (0 = ES ... 5 = GS), then the system ones. */
enum hvm_seg {
    HVM_SEG_ES, HVM_SEG_CS, HVM_SEG_SS, HVM_SEG_DS, HVM_SEG_FS, HVM_SEG_GS,
    HVM_SEG_GDTR, HVM_SEG_LDTR, HVM_SEG_IDTR, HVM_SEG_TR,
};

/* attr: the descriptor's access byte in bits 0-7 (type, S, DPL, P) and its
 * flags nibble (AVL, L, D/B, G) in bits 8-11. */
struct hvm_segment {
    uint16_t sel;
    uint16_t attr;
    uint32_t limit;
    uint64_t base;
};

#define HVM_SEG_ATTR_DPL(attr) (((attr) >> 5) & 3)
#define HVM_SEG_ATTR_L         BIT(9)  /* 64-bit code */
#define HVM_SEG_ATTR_DB        BIT(10) /* 32-bit default operand size */
/* The states a vCPU starts in. */
#define HVM_SEG_ATTR_CODE32    0xc9b /* G, D, P, S, type execute/read accessed */
#define HVM_SEG_ATTR_DATA32    0xc93 /* G, D/B, P, S, type read/write accessed */
#define HVM_SEG_ATTR_CODE16    0x09b
#define HVM_SEG_ATTR_DATA16    0x093
#define HVM_SEG_ATTR_TSS32     0x08b /* P, busy 32-bit TSS */
#define HVM_SEG_ATTR_LDT       0x082

/* Boot: halts with one line saying what is missing if this machine cannot
 * run guests; then enables guest execution on each CPU. */
void hvm_check_support(void);
void hvm_cpu_init(struct pcpu *p);

/* The vendor's part of a vCPU (its control block, intercepts, nested
 * paging); made by arch_vcpu_create before the vCPU first runs. */
int hvm_vcpu_vendor_init(struct vcpu *v);
void hvm_vcpu_vendor_destroy(struct vcpu *v);

/* Enters the guest once and handles the exit that ends the stint; called by
 * the run loop (hvm/run.c) with interrupts disabled, returns with them on. */
void hvm_enter_guest(struct vcpu *v);

/* The domain's I/O permission map (asm/hvm.h) changed: v uses `iopm` now.
 * A map is 2^HVM_IO_BITMAP_ORDER pages (the vendor says how many: one bit
 * per port and whatever the hardware reads past port 0xffff). */
void hvm_set_io_bitmap(struct vcpu *v, const uint8_t *iopm);

/* General registers by x86 encoding number (0 = RAX ... 15 = R15). */
static inline uint64_t hvm_get_gpr(const struct vcpu *v, unsigned int reg);
static inline void hvm_set_gpr(struct vcpu *v, unsigned int reg, uint64_t val);
#define HVM_REG_RAX 0
#define HVM_REG_RCX 1
#define HVM_REG_RDX 2
#define HVM_REG_RBX 3
#define HVM_REG_RSP 4
#define HVM_REG_RSI 6
#define HVM_REG_RDI 7

static inline uint64_t hvm_get_rip(const struct vcpu *v);
static inline void hvm_set_rip(struct vcpu *v, uint64_t rip);
static inline uint64_t hvm_get_rflags(const struct vcpu *v);
static inline void hvm_set_rflags(struct vcpu *v, uint64_t rflags);
static inline unsigned int hvm_get_cpl(const struct vcpu *v);

/* Setting SS sets the CPL to its DPL. */
static inline void hvm_get_segment(const struct vcpu *v, enum hvm_seg seg, struct hvm_segment *out);
static inline void hvm_set_segment(struct vcpu *v, enum hvm_seg seg, const struct hvm_segment *in);

/* Control registers 0, 2, 3 and 4 as the guest sees them, and EFER (without
 * whatever the vendor needs set in it). The setters check nothing. */
static inline uint64_t hvm_get_cr(const struct vcpu *v, unsigned int cr);
static inline void hvm_set_cr(struct vcpu *v, unsigned int cr, uint64_t val);
static inline uint64_t hvm_get_efer(const struct vcpu *v);
static inline void hvm_set_efer(struct vcpu *v, uint64_t efer);
/* Debug registers 6 and 7. */
static inline uint64_t hvm_get_dr(const struct vcpu *v, unsigned int dr);
static inline void hvm_set_dr(struct vcpu *v, unsigned int dr, uint64_t val);
/* The task priority as CR8 holds it (the local APIC's TPR >> 4). */
static inline uint32_t hvm_get_tpr(const struct vcpu *v);
static inline void hvm_set_tpr(struct vcpu *v, uint32_t cr8);
static inline uint64_t hvm_get_pat(const struct vcpu *v);
static inline void hvm_set_pat(struct vcpu *v, uint64_t pat);
static inline uint64_t hvm_get_tsc_offset(const struct vcpu *v);
static inline void hvm_set_tsc_offset(struct vcpu *v, uint64_t offset);

/* The STI / MOV SS interrupt shadow. */
static inline bool hvm_in_interrupt_shadow(const struct vcpu *v);
static inline void hvm_clear_interrupt_shadow(struct vcpu *v);

/* Event injection on the next entry: whether one is set already (an exit
 * interrupted its delivery), setting one, and asking for an exit as soon as
 * the guest can take an external interrupt. */
static inline bool hvm_event_queued(const struct vcpu *v);
static inline void hvm_queue_event(struct vcpu *v, const struct hvm_event *e);
static inline void hvm_request_interrupt_window(struct vcpu *v);

/* Drops the guest's cached translations before it next runs (its paging
 * controls changed behind the hardware's back). */
static inline void hvm_flush_guest_tlb(struct vcpu *v);

/* Saving and restoring a vCPU that is not running (hvm/vcpu_save.c): the
 * MSRs the vendor's control block switches (SYSCALL, SYSENTER, the kernel's
 * GS base), the event queued for the next entry, the interrupt shadow. */
struct hvm_syscall_msrs {
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
};
void hvm_get_syscall_msrs(const struct vcpu *v, struct hvm_syscall_msrs *m);
void hvm_set_syscall_msrs(struct vcpu *v, const struct hvm_syscall_msrs *m);
bool hvm_get_queued_event(const struct vcpu *v, struct hvm_event *e);
void hvm_set_interrupt_shadow(struct vcpu *v, bool shadow);

/* The length of the instruction that caused the exit if the hardware says
 * (NRIP save), else 0: the caller decodes it. */
static inline unsigned int hvm_exit_insn_len(const struct vcpu *v);

#include <asm/svm.h> /* the implementation */

#endif
