/* Creating a vCPU's VMCB and setting the register state it starts in. */
#include <asm/fpu.h>
#include <asm/svm.h>
#include <asm/vlapic.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

#define DEFAULT_PAT 0x0007040600070406ULL

static void seg(struct vmcb_seg *s, uint16_t sel, uint64_t base, uint32_t limit, uint16_t attr)
{
    s->sel = sel;
    s->base = base;
    s->limit = limit;
    s->attr = attr;
}

int arch_vcpu_init(struct vcpu *v)
{
    struct vmcb *vmcb = alloc_hv_page();
    if (!vmcb)
        return -ENOMEM;
    v->arch.vmcb = vmcb;
    v->arch.vmcb_pa = virt_to_phys(vmcb);
    v->arch.last_pcpu = -1;
    int rc = fpu_vcpu_init(v);
    if (!rc)
        rc = vlapic_init(v);
    if (rc) {
        arch_vcpu_destroy(v);
        return rc;
    }

    struct vmcb_control *c = &vmcb->c;
    c->intercept_exceptions = BIT(18); /* #MC: never let a guest see the host's */
    c->intercept1 = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_SMI | INTERCEPT_INIT |
                    INTERCEPT_RDPMC | INTERCEPT_CPUID | INTERCEPT_INVD | INTERCEPT_HLT |
                    INTERCEPT_INVLPGA | INTERCEPT_IOIO | INTERCEPT_MSR | INTERCEPT_TASK_SWITCH |
                    INTERCEPT_FERR_FREEZE | INTERCEPT_SHUTDOWN;
    c->intercept2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD | INTERCEPT_VMSAVE |
                    INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT | INTERCEPT_ICEBP |
                    INTERCEPT_WBINVD | INTERCEPT_MONITOR | INTERCEPT_MWAIT |
                    INTERCEPT_MWAIT_COND | INTERCEPT_XSETBV | INTERCEPT_RDPRU;
    if (svm_features.pause_filter) {
        c->intercept1 |= INTERCEPT_PAUSE;
        c->pause_filter_count = 3000;
    }
    c->iopm_base_pa = virt_to_phys(v->dom->arch.iopm);
    c->msrpm_base_pa = virt_to_phys(msrpm_default);
    c->vintr = VINTR_MASKING;
    c->nested_ctl = 1; /* nested paging */
    c->n_cr3 = v->dom->p2m.root_pa;
    c->tlb_control = TLB_CONTROL_FLUSH_ALL;

    struct vmcb_save *s = &vmcb->s;
    s->g_pat = DEFAULT_PAT;
    s->dr6 = 0xffff0ff0;
    s->dr7 = 0x400;
    v->arch.apic_base_msr = 0xfee00000 | BIT(11) | (v->id == 0 ? BIT(8) : 0);
    v->arch.mtrr_def_type = 0xc06; /* enabled, fixed ranges enabled, default WB */
    return 0;
}

void arch_vcpu_destroy(struct vcpu *v)
{
    vlapic_destroy(v);
    fpu_vcpu_destroy(v);
    free_hv_page(v->arch.vmcb);
    v->arch.vmcb = NULL;
}

/* The PVH boot ABI: 32-bit flat protected mode, paging off, EBX = start info. */
void hvm_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t ebx)
{
    struct vmcb_save *s = &v->arch.vmcb->s;
    seg(&s->cs, 0x08, 0, 0xffffffff, SEG_ATTR_CODE32);
    seg(&s->ds, 0x10, 0, 0xffffffff, SEG_ATTR_DATA32);
    s->es = s->ss = s->fs = s->gs = s->ds;
    seg(&s->tr, 0x18, 0, 0x67, SEG_ATTR_TSS32);
    seg(&s->ldtr, 0, 0, 0, 0);
    seg(&s->gdtr, 0, 0, 0, 0);
    seg(&s->idtr, 0, 0, 0, 0);
    s->cpl = 0;
    s->cr0 = X86_CR0_PE | X86_CR0_ET;
    s->cr3 = 0;
    s->cr4 = 0;
    s->efer = EFER_SVME;
    s->rflags = X86_EFLAGS_FIXED;
    s->rip = entry;
    s->rsp = 0;
    s->rax = 0;
    memset(&v->arch.gprs, 0, sizeof(v->arch.gprs));
    v->arch.gprs.rbx = ebx;
}

/* What a STARTUP IPI leaves: real mode at vector:0000. */
void hvm_set_real_mode_entry(struct vcpu *v, uint16_t cs_sel, uint16_t ip)
{
    struct vmcb_save *s = &v->arch.vmcb->s;
    seg(&s->cs, cs_sel, (uint64_t)cs_sel << 4, 0xffff, SEG_ATTR_CODE16);
    seg(&s->ds, 0, 0, 0xffff, SEG_ATTR_DATA16);
    s->es = s->ss = s->fs = s->gs = s->ds;
    seg(&s->tr, 0, 0, 0xffff, SEG_ATTR_TSS32);
    seg(&s->ldtr, 0, 0, 0xffff, SEG_ATTR_LDT);
    seg(&s->gdtr, 0, 0, 0xffff, 0);
    seg(&s->idtr, 0, 0, 0xffff, 0);
    s->cpl = 0;
    s->cr0 = X86_CR0_ET;
    s->cr2 = 0;
    s->cr3 = 0;
    s->cr4 = 0;
    s->efer = EFER_SVME;
    s->rflags = X86_EFLAGS_FIXED;
    s->rip = ip;
    s->rsp = 0;
    s->rax = 0;
    s->dr6 = 0xffff0ff0;
    s->dr7 = 0x400;
    memset(&v->arch.gprs, 0, sizeof(v->arch.gprs));
    /* The reset value of EDX is the processor signature. */
    v->arch.gprs.rdx = cpuid(1).eax;
}

uint64_t hvm_get_gpr(struct vcpu *v, unsigned int reg)
{
    struct guest_gprs *g = &v->arch.gprs;
    switch (reg & 15) {
    case 0: return v->arch.vmcb->s.rax;
    case 1: return g->rcx;
    case 2: return g->rdx;
    case 3: return g->rbx;
    case 4: return v->arch.vmcb->s.rsp;
    case 5: return g->rbp;
    case 6: return g->rsi;
    case 7: return g->rdi;
    case 8: return g->r8;
    case 9: return g->r9;
    case 10: return g->r10;
    case 11: return g->r11;
    case 12: return g->r12;
    case 13: return g->r13;
    case 14: return g->r14;
    default: return g->r15;
    }
}

void hvm_set_gpr(struct vcpu *v, unsigned int reg, uint64_t val)
{
    struct guest_gprs *g = &v->arch.gprs;
    switch (reg & 15) {
    case 0: v->arch.vmcb->s.rax = val; break;
    case 1: g->rcx = val; break;
    case 2: g->rdx = val; break;
    case 3: g->rbx = val; break;
    case 4: v->arch.vmcb->s.rsp = val; break;
    case 5: g->rbp = val; break;
    case 6: g->rsi = val; break;
    case 7: g->rdi = val; break;
    case 8: g->r8 = val; break;
    case 9: g->r9 = val; break;
    case 10: g->r10 = val; break;
    case 11: g->r11 = val; break;
    case 12: g->r12 = val; break;
    case 13: g->r13 = val; break;
    case 14: g->r14 = val; break;
    default: g->r15 = val; break;
    }
}

void hvm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    v->arch.pending_exception = EVENT_VALID | EVENT_TYPE_EXC | vector |
                                (has_error ? EVENT_ERR_VALID | ((uint64_t)error << 32) : 0);
}
