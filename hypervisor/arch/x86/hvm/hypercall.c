/*
 * VMMCALL: the Xen hypercall ABI. 64-bit callers pass the number in RAX and
 * arguments in RDI, RSI, RDX, R10, R8; 32-bit callers in EAX and EBX, ECX,
 * EDX, ESI, EDI. Only ring 0 may make hypercalls.
 */
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

#define STUB_SIZE 32

void hvm_handle_vmmcall(struct vcpu *v)
{
    const struct guest_gprs *g = &v->arch.gprs;
    uint64_t nr = hvm_get_gpr(v, HVM_REG_RAX);
    long ret;

    if (hvm_get_cpl(v) != 0) {
        ret = -EPERM;
    } else if (hvm_insn_mode(v) == INSN_MODE_LONG64) {
        ret = hypercall_dispatch(v, nr, g->rdi, g->rsi, g->rdx, g->r10, g->r8);
    } else {
        ret = hypercall_dispatch(v, (uint32_t)nr, (uint32_t)g->rbx, (uint32_t)g->rcx,
                                 (uint32_t)g->rdx, (uint32_t)g->rsi, (uint32_t)g->rdi);
        ret = (uint32_t)ret;
    }
    if (ret == HYPERCALL_RESTART)
        return; /* the guest re-executes VMMCALL with its updated arguments */
    hvm_set_gpr(v, HVM_REG_RAX, (uint64_t)ret);
    hvm_skip_insn(v);
}

bool arch_hypercall_from_32bit(struct vcpu *v)
{
    return hvm_insn_mode(v) != INSN_MODE_LONG64;
}

/* Each 32-byte stub: mov $nr, %eax; vmmcall; ret. */
int hvm_write_hypercall_page(struct vcpu *v, uint64_t val)
{
    if (val & (PAGE_SIZE - 1))
        return -EINVAL; /* only page 0 of the (one-page) hypercall area exists */
    struct guest_frame f;
    if (guest_frame_get(v->dom, val >> PAGE_SHIFT, true, &f))
        return -EINVAL;
    uint8_t *page = f.va;
    memset(page, 0xcc, PAGE_SIZE); /* int3 */
    for (unsigned int nr = 0; nr < PAGE_SIZE / STUB_SIZE; nr++) {
        uint8_t *p = page + nr * STUB_SIZE;
        if (nr == __HYPERVISOR_iret) {
            p[0] = 0x0f; /* ud2: iret is a PV-only hypercall */
            p[1] = 0x0b;
            continue;
        }
        p[0] = 0xb8;
        p[1] = (uint8_t)nr;
        p[2] = p[3] = p[4] = 0;
        p[5] = 0x0f;
        p[6] = 0x01;
        p[7] = 0xd9;
        p[8] = 0xc3;
    }
    guest_frame_put(&f);
    return 0;
}

long hypercall_continue(struct vcpu *v, unsigned int argno, uint64_t val)
{
    static const unsigned int regs64[] = { 7, 6, 2, 10, 8 }; /* rdi rsi rdx r10 r8 */
    static const unsigned int regs32[] = { 3, 1, 2, 6, 7 };  /* ebx ecx edx esi edi */
    if (argno < 1 || argno > 5)
        return -EINVAL;
    if (v->multicall_args) { /* the entry is written back and run again */
        v->multicall_args[argno - 1] = val;
        return HYPERCALL_RESTART;
    }
    bool is64 = hvm_insn_mode(v) == INSN_MODE_LONG64;
    hvm_set_gpr(v, (is64 ? regs64 : regs32)[argno - 1], is64 ? val : (uint32_t)val);
    return HYPERCALL_RESTART;
}
