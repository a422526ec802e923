/*
 * The vendor-neutral exit handlers of arch/x86/hvm/. The vendor's exit
 * switch (svm/exits.c) decodes what its hardware reports and calls these;
 * they reach guest state through asm/hvm_vendor.h.
 */
#ifndef ASM_HVM_EXITS_H
#define ASM_HVM_EXITS_H

#include <asm/insn.h>
#include <asm/x86.h>
#include <basalt/types.h>

struct vcpu;

/* A port I/O exit, as the hardware describes it. */
struct hvm_io_exit {
    uint16_t port;
    uint8_t size;        /* 1, 2 or 4 */
    bool in, string, rep;
    uint8_t addr_size;   /* string forms: 2, 4 or 8; 0 if the hardware did not say */
    uint8_t seg;         /* string forms: the memory operand's segment (enum hvm_seg),
                            meaningful only with addr_size */
    uint64_t next_rip;
};

/* How a nested page fault's access was made: by an instruction, or by the
 * CPU walking the guest's own page tables. */
enum hvm_access { HVM_ACCESS_READ, HVM_ACCESS_WRITE, HVM_ACCESS_FETCH, HVM_ACCESS_PAGE_WALK };

void hvm_handle_cpuid(struct vcpu *v);
void hvm_handle_msr(struct vcpu *v, bool write);
void hvm_handle_io(struct vcpu *v, const struct hvm_io_exit *io);
void hvm_handle_vmmcall(struct vcpu *v);
void hvm_handle_npf(struct vcpu *v, gpaddr_t gpa, enum hvm_access access);
void hvm_handle_hlt(struct vcpu *v);
void hvm_handle_xsetbv(struct vcpu *v);
void hvm_handle_cr4_write(struct vcpu *v);
enum insn_mode hvm_insn_mode(struct vcpu *v);
int hvm_fetch_insn(struct vcpu *v, struct insn *insn);
/* MSR access by the guest; false means inject #GP. */
bool hvm_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
bool hvm_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
/* Writes the Xen hypercall stubs into the guest frame (HYPERCALL MSR). */
int hvm_write_hypercall_page(struct vcpu *v, uint64_t gpa);
/* Logs the guest's registers (for crashes). */
void hvm_dump_guest(struct vcpu *v);
/* CPUID as the guest sees it. */
void hvm_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r);
/* The CR4 bits the guest's CPUID offers. */
uint64_t hvm_cr4_valid_bits(struct vcpu *v);
/* What the control registers and EFER may hold for v (anything else would
 * make VMRUN fail or give a feature CPUID does not offer), and whether va
 * is canonical under cr4 (hvm/vcpu_context.c). */
bool hvm_control_state_ok(struct vcpu *v, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer);
bool hvm_canonical(uint64_t va, uint64_t cr4);
/* The EFER bits a guest may set (LMA is the CPU's to set). */
#define HVM_EFER_GUEST_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE | EFER_FFXSR)

/* Walks the guest's page tables for an access (PFEC_WRITE, PFEC_USER);
 * on failure *pfec is the #PF error code to give the guest. */
int guest_walk(struct vcpu *v, gvaddr_t va, uint32_t access, gpaddr_t *gpa, uint32_t *pfec);
/* Copies for an instruction the guest executes (string I/O), with its
 * privilege: at CPL 3 the page tables must allow user access, and writes
 * whatever CR0.WP says. On a fault, *fault is the address and *pfec the
 * error code for the guest's #PF. */
int hvm_copy_for_insn(struct vcpu *v, void *buf, gvaddr_t va, size_t n, bool to_guest, uint32_t *pfec,
                      gvaddr_t *fault);

#endif
