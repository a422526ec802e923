/*
 * CPUID as guests see it: the host's features minus what we do not
 * virtualize (SVM, performance counters, MCA, power management, SME/SEV,
 * MONITOR), plus the hypervisor bit and the Xen leaves at 0x40000000.
 */
#include <asm/fpu.h>
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/vlapic.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/time.h>
#include <basalt/version.h>

#define XEN_CPUID_BASE 0x40000000
#define XEN_CPUID_MAX  0x40000005

static void xen_leaf(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
    *r = (struct cpuid_regs){ 0 };
    switch (leaf - XEN_CPUID_BASE) {
    case 0:
        r->eax = XEN_CPUID_MAX;
        memcpy(&r->ebx, "XenV", 4);
        memcpy(&r->ecx, "MMXe", 4);
        memcpy(&r->edx, "nVMM", 4);
        break;
    case 1:
        r->eax = (XEN_ABI_MAJOR << 16) | XEN_ABI_MINOR;
        break;
    case 2:
        r->eax = 1;            /* hypercall pages */
        r->ebx = 0x40000000;   /* MSR that writes one */
        break;
    case 3:
        /* Time: sub-leaf 0 says the TSC is not emulated; 1 gives its offset/scale (none). */
        if (sub == 0) {
            r->eax = 0;
            r->ebx = 0;        /* TSC mode: default */
            r->ecx = (uint32_t)tsc_khz;
        }
        break;
    case 4:
        /* HVM: x2APIC virtualized; vCPU id in EBX. Per-vCPU upcall vectors
         * (bit 6) are deliberately absent: Linux then uses the global
         * callback vector, one mechanism for BSP and APs. */
        r->eax = BIT(1) | BIT(3);
        r->ebx = v->id;
        break;
    default:
        break;
    }
}

void hvm_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
    if (leaf >= XEN_CPUID_BASE && leaf < XEN_CPUID_BASE + 0x10000) {
        if (leaf <= XEN_CPUID_MAX)
            xen_leaf(v, leaf, sub, r);
        else
            *r = (struct cpuid_regs){ 0 };
        return;
    }

    uint32_t max_std = cpuid(0).eax, max_ext = cpuid(0x80000000).eax;
    if ((leaf < 0x80000000 && leaf > max_std) || (leaf >= 0x80000000 && leaf > max_ext)) {
        *r = (struct cpuid_regs){ 0 };
        return;
    }
    *r = cpuid_count(leaf, sub);

    switch (leaf) {
    case 1:
        r->ebx = (r->ebx & 0x0000ffff) | (vlapic_id(v) << 24) | (1 << 16);
        r->ecx &= ~(BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(15) | BIT(18) |
                    BIT(24) | BIT(27));
        r->ecx |= BIT(21) | BIT(31); /* x2APIC (virtual), hypervisor */
        if (hvm_get_cr(v, 4) & X86_CR4_OSXSAVE)
            r->ecx |= BIT(27);
        r->edx &= ~(BIT(7) | BIT(14) | BIT(18) | BIT(21) | BIT(22) | BIT(29) | BIT(31));
        r->edx |= BIT(9); /* APIC */
        r->edx &= ~BIT(28); /* HTT: one thread per core */
        break;
    case 5: /* MONITOR/MWAIT */
    case 0xa: /* architectural PMU */
        *r = (struct cpuid_regs){ 0 };
        break;
    case 6:
        *r = (struct cpuid_regs){ .eax = BIT(2) }; /* ARAT: APIC timer runs in C-states */
        break;
    case 7:
        if (sub == 0) {
            r->ebx &= ~(BIT(2) | BIT(4) | BIT(11) | BIT(12) | BIT(14) | BIT(15) | BIT(25));
            r->ecx &= ~(BIT(5) | BIT(13) | BIT(14) | BIT(22) | BIT(30));
            r->edx &= ~(BIT(10) | BIT(11) | BIT(15) | BIT(16) | BIT(20) | BIT(26) | BIT(27) |
                        BIT(28) | BIT(29) | BIT(31));
        }
        break;
    case 0xb:
    case 0x1f:
        /* One thread per core, one core per package. */
        r->eax = 0;
        r->ebx = sub == 0 ? 1 : 0;
        r->ecx = sub == 0 ? (1 << 8) | sub : sub;
        r->edx = vlapic_id(v);
        break;
    case 0xd:
        if (sub == 0)
            r->eax &= (uint32_t)host_xcr0_mask;
        else if (sub == 1)
            r->eax &= BIT(0) | BIT(1) | BIT(2); /* XSAVEOPT, XSAVEC, XGETBV1; not XSAVES */
        break;
    case 0x80000001:
        r->ecx &= ~(BIT(1) | BIT(2) | BIT(3) | BIT(10) | BIT(12) | BIT(13) | BIT(15) |
                    BIT(22) | BIT(23) | BIT(24) | BIT(26) | BIT(28) | BIT(29));
        break;
    case 0x80000007:
        r->edx &= BIT(8); /* only invariant TSC */
        r->eax = r->ebx = r->ecx = 0;
        break;
    case 0x80000008:
        r->ebx &= ~(BIT(12) | BIT(14) | BIT(15) | BIT(16) | BIT(17) | BIT(18) | BIT(24) | BIT(25) | BIT(26));
        r->ecx = 0; /* one core */
        break;
    case 0x8000000a: /* SVM */
    case 0x8000001d: /* cache topology (with TOPOEXT) */
    case 0x8000001e:
    case 0x8000001f: /* SME/SEV */
    case 0x80000020:
    case 0x80000021:
    case 0x80000022:
    case 0x80000026:
        *r = (struct cpuid_regs){ 0 };
        break;
    }
}

void hvm_handle_cpuid(struct vcpu *v)
{
    struct cpuid_regs r;
    hvm_cpuid(v, (uint32_t)hvm_get_gpr(v, HVM_REG_RAX), (uint32_t)hvm_get_gpr(v, HVM_REG_RCX), &r);
    hvm_set_gpr(v, HVM_REG_RAX, r.eax);
    hvm_set_gpr(v, HVM_REG_RBX, r.ebx);
    hvm_set_gpr(v, HVM_REG_RCX, r.ecx);
    hvm_set_gpr(v, HVM_REG_RDX, r.edx);
    hvm_skip_insn(v);
}
