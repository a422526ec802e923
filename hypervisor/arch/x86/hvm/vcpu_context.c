/*
 * VCPUOP_initialise for PVH vCPUs: a register state given by another vCPU
 * of the guest (struct vcpu_hvm_context), in 32-bit protected mode or in
 * long mode, that the vCPU starts from at its VCPUOP_up. FreeBSD starts its
 * APs this way; Linux uses INIT/STARTUP. Everything is checked first, as
 * Xen does (arch_set_info_hvm_guest), so a bad context is -EINVAL and
 * leaves the vCPU as it was, never a state that VMRUN would refuse.
 */
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/x86.h>
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <xen/hvm/hvm_vcpu.h>

/* The _ar layout of vcpu_hvm_x86_32 is hvm_segment's attr layout. */
#define AR_TYPE(ar)  ((ar) & 0xf)
#define AR_S         BIT(4)
#define AR_P         BIT(7)
#define AR_RESERVED  0xf000
#define TYPE_CODE    BIT(3)
#define TYPE_WRITE   BIT(1) /* data: writable; code: readable */
#define TYPE_ACCESSED BIT(0)
#define TYPE_TSS_BUSY 0xb

enum seg_role { ROLE_CS, ROLE_DATA, ROLE_SS, ROLE_TR };

static bool segment_ok(uint16_t ar, enum seg_role role)
{
    if (ar & AR_RESERVED)
        return false;
    if (!ar)
        return role == ROLE_DATA; /* DS and ES may be null */
    if (!(ar & AR_P))
        return false;
    if (role == ROLE_TR)
        return !(ar & AR_S) && (AR_TYPE(ar) | 2) == TYPE_TSS_BUSY; /* 32-bit TSS */
    if (!(ar & AR_S))
        return false;
    switch (role) {
    case ROLE_CS:
        return AR_TYPE(ar) & TYPE_CODE;
    case ROLE_SS:
        return !(AR_TYPE(ar) & TYPE_CODE) && (AR_TYPE(ar) & TYPE_WRITE);
    default:
        return !(AR_TYPE(ar) & TYPE_CODE) || (AR_TYPE(ar) & TYPE_WRITE);
    }
}

/* What the control registers and EFER may hold: anything else would make
 * VMRUN fail or give the guest a feature its CPUID does not offer. */
bool hvm_control_state_ok(struct vcpu *v, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer)
{
    bool paging = cr0 & X86_CR0_PG, long_mode = efer & EFER_LME;
    if (cr0 >> 32 || (paging && !(cr0 & X86_CR0_PE)) || ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD)))
        return false;
    if (cr3 >> 52 || (cr4 & ~hvm_cr4_valid_bits(v)))
        return false;
    if (efer & ~(HVM_EFER_GUEST_WRITABLE | EFER_LMA))
        return false;
    if ((efer & EFER_LMA) && !long_mode)
        return false;
    if (long_mode && paging && !(cr4 & X86_CR4_PAE))
        return false;
    return true;
}

bool hvm_canonical(uint64_t va, uint64_t cr4)
{
    unsigned int bits = cr4 & X86_CR4_LA57 ? 57 : 48;
    int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);
    return (uint64_t)s == va;
}

static void set_gprs(struct vcpu *v, const uint64_t r[8], uint64_t rip, uint64_t rflags)
{
    static const unsigned int order[8] = { HVM_REG_RAX, HVM_REG_RCX, HVM_REG_RDX, HVM_REG_RBX,
                                           HVM_REG_RSP, 5 /* RBP */, HVM_REG_RSI, HVM_REG_RDI };
    memset(&v->arch.gprs, 0, sizeof(v->arch.gprs));
    for (unsigned int i = 0; i < 8; i++)
        hvm_set_gpr(v, order[i], r[i]);
    hvm_set_rip(v, rip);
    hvm_set_rflags(v, rflags | X86_EFLAGS_FIXED);
}

static void set_control(struct vcpu *v, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer)
{
    if ((efer & EFER_LME) && (cr0 & X86_CR0_PG))
        efer |= EFER_LMA;
    hvm_set_cr(v, 0, cr0);
    hvm_set_cr(v, 2, 0);
    hvm_set_cr(v, 3, cr3);
    hvm_set_cr(v, 4, cr4);
    hvm_set_efer(v, efer);
    hvm_set_dr(v, 6, 0xffff0ff0);
    hvm_set_dr(v, 7, 0x400);
    hvm_flush_guest_tlb(v);
}

static void set_seg(struct vcpu *v, enum hvm_seg seg, uint32_t base, uint32_t limit, uint16_t ar)
{
    hvm_set_segment(v, seg, &(struct hvm_segment){ .sel = 0, .attr = ar, .limit = limit, .base = base });
}

/* What neither mode of the context describes: no LDT, empty descriptor
 * tables (the guest loads its own), FS and GS as DS. */
static void set_system_segments(struct vcpu *v)
{
    struct hvm_segment ds;
    hvm_get_segment(v, HVM_SEG_DS, &ds);
    hvm_set_segment(v, HVM_SEG_FS, &ds);
    hvm_set_segment(v, HVM_SEG_GS, &ds);
    set_seg(v, HVM_SEG_LDTR, 0, 0xffff, 0x82);
    set_seg(v, HVM_SEG_GDTR, 0, 0xffff, 0);
    set_seg(v, HVM_SEG_IDTR, 0, 0xffff, 0);
}

static int initialise_32(struct vcpu *v, const struct vcpu_hvm_x86_32 *r)
{
    if (r->pad1 || r->pad2[0] || r->pad2[1] || r->pad2[2])
        return -EINVAL;
    /* Present segments are marked accessed (TR busy) as the CPU would. */
    uint16_t cs = r->cs_ar & AR_P ? r->cs_ar | TYPE_ACCESSED : r->cs_ar;
    uint16_t ds = r->ds_ar & AR_P ? r->ds_ar | TYPE_ACCESSED : r->ds_ar;
    uint16_t ss = r->ss_ar & AR_P ? r->ss_ar | TYPE_ACCESSED : r->ss_ar;
    uint16_t es = r->es_ar & AR_P ? r->es_ar | TYPE_ACCESSED : r->es_ar;
    uint16_t tr = r->tr_ar & AR_P ? r->tr_ar | 2 : r->tr_ar;
    if (!segment_ok(cs, ROLE_CS) || !segment_ok(ds, ROLE_DATA) || !segment_ok(ss, ROLE_SS) ||
        !segment_ok(es, ROLE_DATA) || !segment_ok(tr, ROLE_TR))
        return -EINVAL;
    uint64_t cs_limit = cs & BIT(11) ? ((uint64_t)r->cs_limit << 12) | 0xfff : r->cs_limit;
    unsigned int cpl = HVM_SEG_ATTR_DPL(cs);
    if (r->eip > cs_limit || HVM_SEG_ATTR_DPL(ss) != cpl || ((ds & AR_P) && HVM_SEG_ATTR_DPL(ds) > cpl) ||
        ((es & AR_P) && HVM_SEG_ATTR_DPL(es) > cpl))
        return -EINVAL;
    if (!hvm_control_state_ok(v, r->cr0, r->cr3, r->cr4, r->efer))
        return -EINVAL;
    if ((r->efer & EFER_LME) && (r->cr0 & X86_CR0_PG) && (cs & HVM_SEG_ATTR_L) && (cs & HVM_SEG_ATTR_DB))
        return -EINVAL; /* a 64-bit code segment cannot also be 32-bit */
    set_control(v, r->cr0, r->cr3, r->cr4, r->efer);
    set_seg(v, HVM_SEG_CS, r->cs_base, r->cs_limit, cs);
    set_seg(v, HVM_SEG_DS, r->ds_base, r->ds_limit, ds);
    set_seg(v, HVM_SEG_SS, r->ss_base, r->ss_limit, ss);
    set_seg(v, HVM_SEG_ES, r->es_base, r->es_limit, es);
    set_seg(v, HVM_SEG_TR, r->tr_base, r->tr_limit, tr);
    set_system_segments(v);
    const uint64_t gprs[8] = { r->eax, r->ecx, r->edx, r->ebx, r->esp, r->ebp, r->esi, r->edi };
    set_gprs(v, gprs, r->eip, r->eflags);
    return 0;
}

static int initialise_64(struct vcpu *v, const struct vcpu_hvm_x86_64 *r)
{
    if (!hvm_canonical(r->rip, r->cr4) || !(r->cr0 & X86_CR0_PG) || !(r->cr4 & X86_CR4_PAE) ||
        !(r->efer & EFER_LME) || !hvm_control_state_ok(v, r->cr0, r->cr3, r->cr4, r->efer))
        return -EINVAL;
    set_control(v, r->cr0, r->cr3, r->cr4, r->efer);
    /* Flat ring 0 long mode, as Xen defines VCPU_HVM_MODE_64B. */
    set_seg(v, HVM_SEG_CS, 0, 0xffffffff, 0xa9b);
    set_seg(v, HVM_SEG_DS, 0, 0xffffffff, 0xc93);
    set_seg(v, HVM_SEG_SS, 0, 0xffffffff, 0xc93);
    set_seg(v, HVM_SEG_ES, 0, 0xffffffff, 0xc93);
    set_seg(v, HVM_SEG_TR, 0, 0x67, 0x8b);
    set_system_segments(v);
    const uint64_t gprs[8] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi };
    set_gprs(v, gprs, r->rip, r->rflags);
    return 0;
}

int arch_vcpu_initialise(struct vcpu *v, const struct vcpu_hvm_context *ctx)
{
    if (ctx->pad)
        return -EINVAL;
    int rc;
    switch (ctx->mode) {
    case VCPU_HVM_MODE_32B:
        rc = initialise_32(v, &ctx->cpu_regs.x86_32);
        break;
    case VCPU_HVM_MODE_64B:
        rc = initialise_64(v, &ctx->cpu_regs.x86_64);
        break;
    default:
        return -EINVAL;
    }
    if (!rc) {
        /* Nothing from before applies to the new state. */
        v->arch.pending_exception.valid = false;
        v->arch.nmi_pending = false;
        hvm_clear_interrupt_shadow(v);
    }
    return rc;
}
