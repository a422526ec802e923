/*
 * AMD SVM: the implementation of the vendor seam (asm/hvm_vendor.h, which
 * includes this header; nothing outside arch/x86/svm/ includes it directly),
 * and SVM's own helpers for arch/x86/svm/. The accessors below are the
 * inline half of the seam: each is one VMCB field.
 */
#ifndef ASM_SVM_H
#define ASM_SVM_H

#include <asm/hvm.h>
#include <asm/hvm_vendor.h>
#include <asm/percpu.h>
#include <asm/regs.h>
#include <asm/vmcb.h>
#include <asm/x86.h>
#include <basalt/domain.h>

struct svm_features {
    bool nrip_save;       /* VMCB.nrip filled on exits */
    bool flush_by_asid;
    bool decode_assists;
    bool pause_filter;
    bool npt_1g_pages;    /* 1 GiB leaves in nested page tables */
    uint32_t nr_asids;
};

extern struct svm_features svm_features;
extern uint8_t *svm_iopm_all_intercepted; /* for domains without a map of their own */
extern uint8_t *svm_msrpm_default;        /* shared MSRPM */

/* The IOPM is 12 KiB: 64 Ki port bits and three bytes the CPU may read
 * past them for accesses that straddle port 0xffff. */
#define HVM_IO_BITMAP_ORDER 2

/* Defined in vmrun.S: enters the guest; returns at #VMEXIT with GIF=0. */
void svm_vmrun(struct guest_gprs *gprs, paddr_t vmcb_pa, paddr_t host_vmcb_pa);
/* The instruction after VMRUN in svm_vmrun: the RIP of the host's state. */
extern const char svm_vmrun_return[];

static inline void svm_clgi(void) { __asm__ volatile("clgi" ::: "memory"); }
static inline void svm_stgi(void) { __asm__ volatile("stgi" ::: "memory"); }

/* MSR permission map helpers: intercept (true) or pass through. */
void svm_msrpm_set(uint8_t *msrpm, uint32_t msr, bool intercept_read, bool intercept_write);
/* Handles the #VMEXIT that just happened (svm/exits.c). */
void svm_handle_exit(struct vcpu *v);

static inline struct vmcb *svm_vmcb(const struct vcpu *v)
{
    return v->arch.svm.vmcb;
}

/* The inline half of asm/hvm_vendor.h. */

static inline uint64_t hvm_get_gpr(const struct vcpu *v, unsigned int reg)
{
    const struct guest_gprs *g = &v->arch.gprs;
    switch (reg & 15) {
    case 0: return svm_vmcb(v)->s.rax;
    case 1: return g->rcx;
    case 2: return g->rdx;
    case 3: return g->rbx;
    case 4: return svm_vmcb(v)->s.rsp;
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

static inline void hvm_set_gpr(struct vcpu *v, unsigned int reg, uint64_t val)
{
    struct guest_gprs *g = &v->arch.gprs;
    switch (reg & 15) {
    case 0: svm_vmcb(v)->s.rax = val; break;
    case 1: g->rcx = val; break;
    case 2: g->rdx = val; break;
    case 3: g->rbx = val; break;
    case 4: svm_vmcb(v)->s.rsp = val; break;
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

static inline uint64_t hvm_get_rip(const struct vcpu *v) { return svm_vmcb(v)->s.rip; }
static inline void hvm_set_rip(struct vcpu *v, uint64_t rip) { svm_vmcb(v)->s.rip = rip; }
static inline uint64_t hvm_get_rflags(const struct vcpu *v) { return svm_vmcb(v)->s.rflags; }
static inline void hvm_set_rflags(struct vcpu *v, uint64_t rflags) { svm_vmcb(v)->s.rflags = rflags; }
static inline unsigned int hvm_get_cpl(const struct vcpu *v) { return svm_vmcb(v)->s.cpl; }

/* The VMCB is packed: its fields are reached by name, never by pointer. */
#define SVM_SEG_SWITCH(seg, s, DO)                                             \
    switch (seg) {                                                             \
    case HVM_SEG_ES: DO((s)->es); break;                                       \
    case HVM_SEG_CS: DO((s)->cs); break;                                       \
    case HVM_SEG_SS: DO((s)->ss); break;                                       \
    case HVM_SEG_DS: DO((s)->ds); break;                                       \
    case HVM_SEG_FS: DO((s)->fs); break;                                       \
    case HVM_SEG_GS: DO((s)->gs); break;                                       \
    case HVM_SEG_GDTR: DO((s)->gdtr); break;                                   \
    case HVM_SEG_LDTR: DO((s)->ldtr); break;                                   \
    case HVM_SEG_IDTR: DO((s)->idtr); break;                                   \
    default: DO((s)->tr); break;                                               \
    }

static inline void hvm_get_segment(const struct vcpu *v, enum hvm_seg seg, struct hvm_segment *out)
{
    const struct vmcb_save *s = &svm_vmcb(v)->s;
#define SVM_GET_SEG(f) (*out = (struct hvm_segment){ .sel = f.sel, .attr = f.attr, .limit = f.limit, .base = f.base })
    SVM_SEG_SWITCH(seg, s, SVM_GET_SEG)
#undef SVM_GET_SEG
}

static inline void hvm_set_segment(struct vcpu *v, enum hvm_seg seg, const struct hvm_segment *in)
{
    struct vmcb_save *s = &svm_vmcb(v)->s;
#define SVM_SET_SEG(f) (f = (struct vmcb_seg){ .sel = in->sel, .attr = in->attr, .limit = in->limit, .base = in->base })
    SVM_SEG_SWITCH(seg, s, SVM_SET_SEG)
#undef SVM_SET_SEG
    if (seg == HVM_SEG_SS)
        s->cpl = (uint8_t)HVM_SEG_ATTR_DPL(in->attr);
}

static inline uint64_t hvm_get_cr(const struct vcpu *v, unsigned int cr)
{
    const struct vmcb_save *s = &svm_vmcb(v)->s;
    switch (cr) {
    case 0: return s->cr0;
    case 2: return s->cr2;
    case 3: return s->cr3;
    default: return s->cr4;
    }
}

static inline void hvm_set_cr(struct vcpu *v, unsigned int cr, uint64_t val)
{
    struct vmcb_save *s = &svm_vmcb(v)->s;
    switch (cr) {
    case 0: s->cr0 = val; break;
    case 2: s->cr2 = val; break;
    case 3: s->cr3 = val; break;
    default: s->cr4 = val; break;
    }
}

/* EFER.SVME must stay set while the guest runs; the guest never sees it. */
static inline uint64_t hvm_get_efer(const struct vcpu *v) { return svm_vmcb(v)->s.efer & ~EFER_SVME; }
static inline void hvm_set_efer(struct vcpu *v, uint64_t efer) { svm_vmcb(v)->s.efer = efer | EFER_SVME; }

static inline uint64_t hvm_get_dr(const struct vcpu *v, unsigned int dr)
{
    return dr == 6 ? svm_vmcb(v)->s.dr6 : svm_vmcb(v)->s.dr7;
}

static inline void hvm_set_dr(struct vcpu *v, unsigned int dr, uint64_t val)
{
    if (dr == 6)
        svm_vmcb(v)->s.dr6 = val;
    else
        svm_vmcb(v)->s.dr7 = val;
}

/* CR8 writes in 64-bit mode update V_TPR without an exit. */
static inline uint32_t hvm_get_tpr(const struct vcpu *v)
{
    return (uint32_t)(svm_vmcb(v)->c.vintr & VINTR_TPR_MASK);
}

static inline void hvm_set_tpr(struct vcpu *v, uint32_t cr8)
{
    struct vmcb_control *c = &svm_vmcb(v)->c;
    c->vintr = (c->vintr & ~VINTR_TPR_MASK) | (cr8 & 0xf);
}

static inline uint64_t hvm_get_pat(const struct vcpu *v) { return svm_vmcb(v)->s.g_pat; }
static inline void hvm_set_pat(struct vcpu *v, uint64_t pat) { svm_vmcb(v)->s.g_pat = pat; }
static inline uint64_t hvm_get_tsc_offset(const struct vcpu *v) { return svm_vmcb(v)->c.tsc_offset; }
static inline void hvm_set_tsc_offset(struct vcpu *v, uint64_t offset) { svm_vmcb(v)->c.tsc_offset = offset; }

static inline bool hvm_in_interrupt_shadow(const struct vcpu *v)
{
    return svm_vmcb(v)->c.interrupt_shadow & 1;
}

static inline void hvm_clear_interrupt_shadow(struct vcpu *v)
{
    svm_vmcb(v)->c.interrupt_shadow &= ~1ULL;
}

static inline bool hvm_event_queued(const struct vcpu *v)
{
    return svm_vmcb(v)->c.eventinj & EVENT_VALID;
}

static inline void hvm_queue_event(struct vcpu *v, const struct hvm_event *e)
{
    svm_vmcb(v)->c.eventinj = EVENT_VALID | ((uint64_t)e->type << 8) | e->vector |
                              (e->has_error ? EVENT_ERR_VALID | ((uint64_t)e->error << 32) : 0);
}

static inline void hvm_request_interrupt_window(struct vcpu *v)
{
    struct vmcb_control *c = &svm_vmcb(v)->c;
    c->vintr |= VINTR_IRQ | VINTR_IGN_TPR | (0xfULL << VINTR_PRIO_SHIFT);
    c->intercept1 |= INTERCEPT_VINTR;
}

static inline void hvm_flush_guest_tlb(struct vcpu *v)
{
    struct vmcb_control *c = &svm_vmcb(v)->c;
    if (c->tlb_control == TLB_CONTROL_NONE)
        c->tlb_control = svm_features.flush_by_asid ? TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL;
}

static inline unsigned int hvm_exit_insn_len(const struct vcpu *v)
{
    const struct vmcb *vmcb = svm_vmcb(v);
    if (svm_features.nrip_save && vmcb->c.nrip)
        return (unsigned int)(vmcb->c.nrip - vmcb->s.rip);
    return 0;
}

#endif
