/*
 * MOV to CR4, intercepted: a bit the guest's CPU does not offer (VMX on an
 * AMD CPU, a feature CPUID hides) gets #GP as on hardware, where loading it
 * into the guest's state would make the next entry fail. Other CR writes
 * are not intercepted.
 */
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/insn.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/lib.h>

/* The CR4 bits the guest's CPUID offers. */
static uint64_t cr4_valid_bits(struct vcpu *v)
{
    struct cpuid_regs l1, l7;
    hvm_cpuid(v, 1, 0, &l1);
    hvm_cpuid(v, 7, 0, &l7);
    static const struct {
        uint64_t bit;
        bool leaf7;
        uint8_t reg; /* 1 = EBX, 2 = ECX, 3 = EDX */
        uint8_t cpuid_bit;
    } features[] = {
        { X86_CR4_VME, false, 3, 1 },      { X86_CR4_PVI, false, 3, 1 },
        { X86_CR4_TSD, false, 3, 4 },      { X86_CR4_DE, false, 3, 2 },
        { X86_CR4_PSE, false, 3, 3 },      { X86_CR4_PAE, false, 3, 6 },
        { X86_CR4_MCE, false, 3, 7 },      { X86_CR4_PGE, false, 3, 13 },
        { X86_CR4_OSFXSR, false, 3, 24 },  { X86_CR4_OSXMMEXCPT, false, 3, 25 },
        { X86_CR4_PCIDE, false, 2, 17 },   { X86_CR4_OSXSAVE, false, 2, 26 },
        { X86_CR4_FSGSBASE, true, 1, 0 },  { X86_CR4_SMEP, true, 1, 7 },
        { X86_CR4_SMAP, true, 1, 20 },     { X86_CR4_UMIP, true, 2, 2 },
        { X86_CR4_PKE, true, 2, 3 },       { X86_CR4_CET, true, 2, 7 },
        { X86_CR4_LA57, true, 2, 16 },     { X86_CR4_PKS, true, 2, 31 },
    };
    uint64_t valid = X86_CR4_PCE; /* RDPMC at CPL 3: no CPUID bit */
    for (unsigned int i = 0; i < ARRAY_SIZE(features); i++) {
        const struct cpuid_regs *r = features[i].leaf7 ? &l7 : &l1;
        uint32_t word = features[i].reg == 1 ? r->ebx : features[i].reg == 2 ? r->ecx : r->edx;
        if (word & BIT(features[i].cpuid_bit))
            valid |= features[i].bit;
    }
    return valid;
}

static bool cr4_write_allowed(struct vcpu *v, uint64_t old, uint64_t val)
{
    bool long_mode = hvm_get_efer(v) & EFER_LMA;
    if (val & ~cr4_valid_bits(v))
        return false;
    if (long_mode && (!(val & X86_CR4_PAE) || ((val ^ old) & X86_CR4_LA57)))
        return false;
    if ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) && (!long_mode || (hvm_get_cr(v, 3) & 0xfff)))
        return false;
    return true;
}

void hvm_handle_cr4_write(struct vcpu *v)
{
    struct insn in;
    if (hvm_fetch_insn(v, &in) || in.map != INSN_MAP_0F || in.opcode != 0x22 || in.reg != 4) {
        domain_crash(v->dom, "cannot decode the CR4 write at rip %#lx", hvm_get_rip(v));
        return;
    }
    uint64_t val = hvm_get_gpr(v, in.rm); /* the mod bits are ignored: always a register */
    if (hvm_insn_mode(v) != INSN_MODE_LONG64)
        val = (uint32_t)val;
    uint64_t old = hvm_get_cr(v, 4);
    if (hvm_get_cpl(v) != 0 || !cr4_write_allowed(v, old, val)) {
        hvm_inject_gp(v);
        return;
    }
    hvm_set_cr(v, 4, val);
    if (val != old)
        hvm_flush_guest_tlb(v); /* as the CPU does when paging controls change */
    hvm_advance_rip(v, in.len);
}
