/* Exit handlers shared between the files of arch/x86/hvm. */
#ifndef ASM_HVM_EXITS_H
#define ASM_HVM_EXITS_H

#include <asm/insn.h>
#include <basalt/types.h>

struct vcpu;

void hvm_handle_cpuid(struct vcpu *v);
void hvm_handle_msr(struct vcpu *v);
void hvm_handle_io(struct vcpu *v);
void hvm_handle_vmmcall(struct vcpu *v);
void hvm_handle_npf(struct vcpu *v);
void hvm_handle_hlt(struct vcpu *v);
enum insn_mode hvm_insn_mode(struct vcpu *v);
int hvm_fetch_insn(struct vcpu *v, struct insn *insn);
/* MSR access by the guest; false means inject #GP. */
bool hvm_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
bool hvm_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
/* Writes the Xen hypercall stubs into the guest frame (HYPERCALL MSR). */
int hvm_write_hypercall_page(struct vcpu *v, uint64_t gpa);
/* Logs the guest's registers (for crashes). */
void hvm_dump_guest(struct vcpu *v);

#endif
