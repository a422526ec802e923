/* The SVM virtual machine control block (AMD APM vol. 2, appendix B). */
#ifndef ASM_VMCB_H
#define ASM_VMCB_H

#include <basalt/types.h>

struct vmcb_seg {
    uint16_t sel;
    uint16_t attr; /* access byte in bits 0-7, flags nibble (AVL,L,D/B,G) in 8-11 */
    uint32_t limit;
    uint64_t base;
} __packed;

struct vmcb_control {
    uint32_t intercept_cr;      /* reads bits 0-15, writes 16-31 */
    uint32_t intercept_dr;
    uint32_t intercept_exceptions;
    uint32_t intercept1;
    uint32_t intercept2;
    uint32_t intercept3;
    uint8_t reserved0[0x3c - 0x18];
    uint16_t pause_filter_threshold;
    uint16_t pause_filter_count;
    uint64_t iopm_base_pa;
    uint64_t msrpm_base_pa;
    uint64_t tsc_offset;
    uint32_t asid;
    uint8_t tlb_control;
    uint8_t reserved1[3];
    uint64_t vintr;
    uint64_t interrupt_shadow;
    uint64_t exitcode;
    uint64_t exitinfo1;
    uint64_t exitinfo2;
    uint64_t exitintinfo;
    uint64_t nested_ctl;
    uint64_t avic_vapic_bar;
    uint64_t ghcb_pa;
    uint64_t eventinj;
    uint64_t n_cr3;
    uint64_t virt_ext;
    uint32_t clean;
    uint32_t reserved2;
    uint64_t nrip;
    uint8_t insn_len;
    uint8_t insn_bytes[15];
    uint8_t reserved3[0x400 - 0xe0];
} __packed;

struct vmcb_save {
    struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
    uint8_t reserved0[0xcb - 0xa0];
    uint8_t cpl;
    uint32_t reserved1;
    uint64_t efer;
    uint8_t reserved2[0x148 - 0xd8];
    uint64_t cr4;
    uint64_t cr3;
    uint64_t cr0;
    uint64_t dr7;
    uint64_t dr6;
    uint64_t rflags;
    uint64_t rip;
    uint8_t reserved3[0x1d8 - 0x180];
    uint64_t rsp;
    uint64_t s_cet, ssp, isst_addr;
    uint64_t rax;
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t cr2;
    uint8_t reserved4[0x268 - 0x248];
    uint64_t g_pat;
    uint64_t dbgctl;
    uint64_t br_from, br_to, last_excp_from, last_excp_to;
} __packed;

struct vmcb {
    struct vmcb_control c;
    struct vmcb_save s;
    uint8_t reserved[4096 - 0x400 - sizeof(struct vmcb_save)];
} __packed;

_Static_assert(sizeof(struct vmcb_control) == 0x400, "vmcb control area");
_Static_assert(__builtin_offsetof(struct vmcb, c.exitcode) == 0x70, "exitcode");
_Static_assert(__builtin_offsetof(struct vmcb, c.eventinj) == 0xa8, "eventinj");
_Static_assert(__builtin_offsetof(struct vmcb, c.nrip) == 0xc8, "nrip");
_Static_assert(__builtin_offsetof(struct vmcb, s.cpl) == 0x4cb, "cpl");
_Static_assert(__builtin_offsetof(struct vmcb, s.efer) == 0x4d0, "efer");
_Static_assert(__builtin_offsetof(struct vmcb, s.cr4) == 0x548, "cr4");
_Static_assert(__builtin_offsetof(struct vmcb, s.rip) == 0x578, "rip");
_Static_assert(__builtin_offsetof(struct vmcb, s.rsp) == 0x5d8, "rsp");
_Static_assert(__builtin_offsetof(struct vmcb, s.rax) == 0x5f8, "rax");
_Static_assert(__builtin_offsetof(struct vmcb, s.cr2) == 0x640, "cr2");
_Static_assert(__builtin_offsetof(struct vmcb, s.g_pat) == 0x668, "g_pat");
_Static_assert(sizeof(struct vmcb) == 4096, "vmcb size");

/* intercept_cr */
#define INTERCEPT_CR_WRITE(n) BIT(16 + (n))

/* intercept1 */
#define INTERCEPT_INTR       BIT(0)
#define INTERCEPT_NMI        BIT(1)
#define INTERCEPT_SMI        BIT(2)
#define INTERCEPT_INIT       BIT(3)
#define INTERCEPT_VINTR      BIT(4)
#define INTERCEPT_RDPMC      BIT(15)
#define INTERCEPT_CPUID      BIT(18)
#define INTERCEPT_INVD       BIT(22)
#define INTERCEPT_PAUSE      BIT(23)
#define INTERCEPT_HLT        BIT(24)
#define INTERCEPT_INVLPGA    BIT(26)
#define INTERCEPT_IOIO       BIT(27)
#define INTERCEPT_MSR        BIT(28)
#define INTERCEPT_TASK_SWITCH BIT(29)
#define INTERCEPT_FERR_FREEZE BIT(30)
#define INTERCEPT_SHUTDOWN   BIT(31)
/* intercept2 */
#define INTERCEPT_VMRUN      BIT(0)
#define INTERCEPT_VMMCALL    BIT(1)
#define INTERCEPT_VMLOAD     BIT(2)
#define INTERCEPT_VMSAVE     BIT(3)
#define INTERCEPT_STGI       BIT(4)
#define INTERCEPT_CLGI       BIT(5)
#define INTERCEPT_SKINIT     BIT(6)
#define INTERCEPT_RDTSCP     BIT(7)
#define INTERCEPT_ICEBP      BIT(8)
#define INTERCEPT_WBINVD     BIT(9)
#define INTERCEPT_MONITOR    BIT(10)
#define INTERCEPT_MWAIT      BIT(11)
#define INTERCEPT_MWAIT_COND BIT(12)
#define INTERCEPT_XSETBV     BIT(13)
#define INTERCEPT_RDPRU      BIT(14)

/* vintr */
#define VINTR_TPR_MASK      0xffULL
#define VINTR_IRQ           BIT(8)
#define VINTR_PRIO_SHIFT    16
#define VINTR_IGN_TPR       BIT(20)
#define VINTR_MASKING       BIT(24)
#define VINTR_VECTOR_SHIFT  32

/* eventinj / exitintinfo */
#define EVENT_VALID      BIT(31)
#define EVENT_ERR_VALID  BIT(11)
#define EVENT_TYPE_INTR  (0U << 8)
#define EVENT_TYPE_NMI   (2U << 8)
#define EVENT_TYPE_EXC   (3U << 8)
#define EVENT_TYPE_SOFT  (4U << 8)
#define EVENT_TYPE_MASK  (7U << 8)

/* tlb_control */
#define TLB_CONTROL_NONE       0
#define TLB_CONTROL_FLUSH_ALL  1
#define TLB_CONTROL_FLUSH_ASID 3

/* exit codes */
#define VMEXIT_CR0_READ   0x000
#define VMEXIT_CR0_WRITE  0x010
#define VMEXIT_CR4_WRITE  0x014
#define VMEXIT_EXCP_BASE  0x040
#define VMEXIT_INTR       0x060
#define VMEXIT_NMI        0x061
#define VMEXIT_SMI        0x062
#define VMEXIT_INIT       0x063
#define VMEXIT_VINTR      0x064
#define VMEXIT_RDPMC      0x06f
#define VMEXIT_CPUID      0x072
#define VMEXIT_IRET       0x074
#define VMEXIT_INVD       0x076
#define VMEXIT_PAUSE      0x077
#define VMEXIT_HLT        0x078
#define VMEXIT_INVLPGA    0x07a
#define VMEXIT_IOIO       0x07b
#define VMEXIT_MSR        0x07c
#define VMEXIT_TASK_SWITCH 0x07d
#define VMEXIT_FERR_FREEZE 0x07e
#define VMEXIT_SHUTDOWN   0x07f
#define VMEXIT_VMRUN      0x080
#define VMEXIT_VMMCALL    0x081
#define VMEXIT_VMLOAD     0x082
#define VMEXIT_VMSAVE     0x083
#define VMEXIT_STGI       0x084
#define VMEXIT_CLGI       0x085
#define VMEXIT_SKINIT     0x086
#define VMEXIT_RDTSCP     0x087
#define VMEXIT_ICEBP      0x088
#define VMEXIT_WBINVD     0x089
#define VMEXIT_MONITOR    0x08a
#define VMEXIT_MWAIT      0x08b
#define VMEXIT_MWAIT_COND 0x08c
#define VMEXIT_XSETBV     0x08d
#define VMEXIT_RDPRU      0x08e
#define VMEXIT_NPF        0x400
#define VMEXIT_INVALID    ((uint64_t)-1)

/* IOIO exitinfo1 */
#define IOIO_IN       BIT(0)
#define IOIO_STR      BIT(2)
#define IOIO_REP      BIT(3)
#define IOIO_SZ8      BIT(4)
#define IOIO_SZ16     BIT(5)
#define IOIO_SZ32     BIT(6)
#define IOIO_A16      BIT(7)
#define IOIO_A32      BIT(8)
#define IOIO_A64      BIT(9)
#define IOIO_SEG_SHIFT 10
#define IOIO_PORT_SHIFT 16

/* NPF exitinfo1 (a #PF error code) */
#define NPF_PRESENT BIT(0)
#define NPF_WRITE   BIT(1)
#define NPF_USER    BIT(2)
#define NPF_FETCH   BIT(4)
#define NPF_IN_WALK BIT(33) /* while translating the guest's page tables */

/* SVM's part of a vCPU (struct arch_vcpu's `svm`); only arch/x86/svm/ uses it. */
struct svm_vcpu {
    struct vmcb *vmcb;
    paddr_t vmcb_pa;
    uint32_t asid, asid_generation;
    int last_pcpu;               /* where the ASID was assigned, or -1 */
};

#endif
