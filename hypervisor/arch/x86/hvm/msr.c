/*
 * MSRs as guests see them. The VMCB switches the syscall and segment-base
 * MSRs itself (not intercepted); everything else is decided here. An MSR
 * we do not know raises #GP, which Linux handles after its early boot.
 */
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/vlapic.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/lib.h>

#define MSR_XEN_HYPERCALL   0x40000000
#define MSR_AMD_PATCH_LEVEL 0x0000008b
#define MSR_K8_SYSCFG       0xc0010010
#define MSR_K7_HWCR         0xc0010015
#define MSR_AMD_NB_CFG      0xc001001f
#define MSR_AMD_MMCONF      0xc0010058
#define MSR_AMD_DE_CFG      0xc0011029
#define MSR_K8_INT_PENDING  0xc0010055
#define MSR_MTRR_VAR_BASE   0x00000200
#define MSR_MTRR_FIX_64K    0x00000250
#define MSR_MTRR_FIX_16K_80 0x00000258
#define MSR_MTRR_FIX_16K_A0 0x00000259
#define MSR_MTRR_FIX_4K_C0  0x00000268
#define MSR_MTRR_FIX_4K_F8  0x0000026f

#define EFER_GUEST_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE | EFER_FFXSR)

static bool pat_valid(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        uint8_t t = (pat >> (i * 8)) & 0xff;
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

static bool is_mtrr(uint32_t msr)
{
    return msr == MSR_MTRR_CAP || msr == MSR_MTRR_DEF_TYPE ||
           (msr >= MSR_MTRR_VAR_BASE && msr < MSR_MTRR_VAR_BASE + 16) || msr == MSR_MTRR_FIX_64K ||
           msr == MSR_MTRR_FIX_16K_80 || msr == MSR_MTRR_FIX_16K_A0 ||
           (msr >= MSR_MTRR_FIX_4K_C0 && msr <= MSR_MTRR_FIX_4K_F8);
}

bool hvm_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    if (msr >= 0x800 && msr <= 0x8ff)
        return vlapic_msr_read(v, msr, val) == 0;
    /* Dom0 sees the firmware's MTRRs (read-only), so that its idea of which
     * ranges are device memory matches the machine's. */
    if (v->dom->is_privileged && is_mtrr(msr)) {
        *val = rdmsr(msr);
        return true;
    }
    if (msr >= MSR_MTRR_VAR_BASE && msr < MSR_MTRR_VAR_BASE + 16) {
        *val = 0; /* no variable ranges are reported in MTRRcap */
        return true;
    }
    if (msr == MSR_MTRR_FIX_64K || msr == MSR_MTRR_FIX_16K_80 || msr == MSR_MTRR_FIX_16K_A0 ||
        (msr >= MSR_MTRR_FIX_4K_C0 && msr <= MSR_MTRR_FIX_4K_F8)) {
        *val = 0x0606060606060606ULL; /* write-back */
        return true;
    }
    switch (msr) {
    case MSR_EFER:
        *val = hvm_get_efer(v);
        return true;
    case MSR_APIC_BASE:
        *val = v->arch.apic_base_msr;
        return true;
    case MSR_TSC:
        *val = rdtsc() + hvm_get_tsc_offset(v);
        return true;
    case MSR_PAT:
        *val = hvm_get_pat(v);
        return true;
    case MSR_MTRR_CAP:
        *val = BIT(8) | BIT(10); /* fixed ranges, write-combining; no variable ranges */
        return true;
    case MSR_MTRR_DEF_TYPE:
        *val = v->arch.mtrr_def_type;
        return true;
    case MSR_TSC_AUX:
        *val = v->arch.tsc_aux;
        return true;
    case MSR_AMD_PATCH_LEVEL:
    case MSR_K8_SYSCFG:
    case MSR_AMD_NB_CFG:
    case MSR_AMD_MMCONF:
    case MSR_K8_INT_PENDING:
    case MSR_MCG_CAP:
    case MSR_MCG_STATUS:
        *val = 0;
        return true;
    case MSR_K7_HWCR:
        *val = BIT(24); /* TSC counts at the P0 frequency */
        return true;
    case MSR_AMD_DE_CFG:
        *val = BIT(1); /* LFENCE is dispatch-serializing */
        return true;
    default:
        return false;
    }
}

bool hvm_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    if (msr >= 0x800 && msr <= 0x8ff)
        return vlapic_msr_write(v, msr, val) == 0;
    if ((msr >= MSR_MTRR_VAR_BASE && msr < MSR_MTRR_VAR_BASE + 16) || msr == MSR_MTRR_FIX_64K ||
        msr == MSR_MTRR_FIX_16K_80 || msr == MSR_MTRR_FIX_16K_A0 ||
        (msr >= MSR_MTRR_FIX_4K_C0 && msr <= MSR_MTRR_FIX_4K_F8))
        return true; /* guest MTRRs have no effect under nested paging */
    switch (msr) {
    case MSR_EFER: {
        if (val & ~EFER_GUEST_WRITABLE & ~EFER_LMA)
            return false;
        /* LME may not change while paging is on. */
        uint64_t efer = hvm_get_efer(v);
        bool paging = hvm_get_cr(v, 0) & X86_CR0_PG;
        if (paging && ((val ^ efer) & EFER_LME))
            return false;
        hvm_set_efer(v, (val & EFER_GUEST_WRITABLE) | (efer & EFER_LMA));
        return true;
    }
    case MSR_APIC_BASE:
        return vlapic_msr_write(v, MSR_APIC_BASE, val) == 0;
    case MSR_TSC:
        hvm_set_tsc_offset(v, val - rdtsc());
        return true;
    case MSR_PAT:
        if (!pat_valid(val))
            return false;
        hvm_set_pat(v, val);
        return true;
    case MSR_MTRR_DEF_TYPE:
        if (val & ~0xcffULL)
            return false;
        v->arch.mtrr_def_type = val;
        return true;
    case MSR_TSC_AUX:
        if (val >> 32)
            return false;
        v->arch.tsc_aux = val;
        wrmsr(MSR_TSC_AUX, val);
        return true;
    case MSR_XEN_HYPERCALL:
        return hvm_write_hypercall_page(v, val) == 0;
    case MSR_MCG_STATUS:
    case MSR_K7_HWCR:
    case MSR_AMD_DE_CFG:
    case MSR_AMD_NB_CFG:
        return true; /* accepted and ignored, as on a machine without these features */
    default:
        return false;
    }
}

void hvm_handle_msr(struct vcpu *v, bool write)
{
    uint32_t msr = (uint32_t)hvm_get_gpr(v, HVM_REG_RCX);
    bool ok;
    if (write) {
        uint64_t val = (hvm_get_gpr(v, HVM_REG_RAX) & 0xffffffff) | (hvm_get_gpr(v, HVM_REG_RDX) << 32);
        ok = hvm_msr_write(v, msr, val);
    } else {
        uint64_t val = 0;
        ok = hvm_msr_read(v, msr, &val);
        if (ok) {
            hvm_set_gpr(v, HVM_REG_RAX, (uint32_t)val);
            hvm_set_gpr(v, HVM_REG_RDX, val >> 32);
        }
    }
    if (!ok) {
        pr_debug("d%u v%u: #GP on %s of MSR %#x\n", v->dom->id, v->id, write ? "write" : "read", msr);
        hvm_inject_gp(v);
        return;
    }
    hvm_skip_insn(v);
}
