/*
 * A vCPU's VMCB: what is intercepted, the permission maps, nested paging,
 * and the reset values of the state the VMCB holds. The register state a
 * vCPU starts in is set through the seam (hvm/vcpu.c).
 */
#include <asm/svm.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

#define DEFAULT_PAT 0x0007040600070406ULL

int hvm_vcpu_vendor_init(struct vcpu *v)
{
    struct vmcb *vmcb = alloc_hv_page();
    if (!vmcb)
        return -ENOMEM;
    v->arch.svm.vmcb = vmcb;
    v->arch.svm.vmcb_pa = virt_to_phys(vmcb);
    v->arch.svm.last_pcpu = -1;

    struct vmcb_control *c = &vmcb->c;
    /* #MC: never let a guest see the host's. #DB and #AC: an exception
     * whose delivery raises it again (CVE-2015-8104, CVE-2015-5307) would
     * loop inside the CPU for good; intercepted, each round is an exit and
     * the guest only hangs itself. Both are reflected unchanged. */
    c->intercept_exceptions = BIT(X86_EXC_DB) | BIT(X86_EXC_AC) | BIT(X86_EXC_MC);
    /* CR4 writes: a bit the CPU does not offer must give #GP, not a VMCB
     * that the next VMRUN refuses. */
    c->intercept_cr = INTERCEPT_CR_WRITE(4);
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
    hvm_set_io_bitmap(v, v->dom->arch.iopm);
    c->msrpm_base_pa = virt_to_phys(svm_msrpm_default);
    c->vintr = VINTR_MASKING;
    c->nested_ctl = 1; /* nested paging */
    c->n_cr3 = v->dom->p2m.root_pa;
    c->tlb_control = TLB_CONTROL_FLUSH_ALL;

    struct vmcb_save *s = &vmcb->s;
    s->g_pat = DEFAULT_PAT;
    s->dr6 = 0xffff0ff0;
    s->dr7 = 0x400;
    return 0;
}

void hvm_vcpu_vendor_destroy(struct vcpu *v)
{
    free_hv_page(v->arch.svm.vmcb);
    v->arch.svm.vmcb = NULL;
}

void hvm_set_io_bitmap(struct vcpu *v, const uint8_t *iopm)
{
    svm_vmcb(v)->c.iopm_base_pa = virt_to_phys(iopm ? iopm : svm_iopm_all_intercepted);
}
