/*
 * A vCPU's complete state for saving and restoring a domain
 * (BCTL_VCPU_GET_STATE / SET_STATE, docs/abi/control.md): registers,
 * segments, control and debug registers, the MSRs the guest owns, the FPU
 * and vector state, the local APIC, the TSC, an event being delivered.
 * Loading checks everything VMRUN, XRSTOR or WRMSR would refuse (a bad
 * record is -EINVAL and leaves the vCPU as it was), as Xen checks an HVM
 * context it is given.
 */
#include <asm/apic.h>
#include <asm/fpu.h>
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/vlapic.h>
#include <asm/x86.h>
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <lib/basalt_ctl.h>

#define SEG_ATTR_RESERVED 0xf000
#define EFLAGS_RESERVED 0xffffffffffc08028ULL /* bits 3, 5, 15, 22-63 */

_Static_assert(HVM_SEG_TR == 9, "ten segments, in the record's order");

uint64_t arch_vcpu_guest_tsc(const struct vcpu *v, uint64_t host_tsc)
{
    return host_tsc + hvm_get_tsc_offset(v);
}

void arch_vcpu_set_hypercall_return(struct vcpu *v, uint64_t val)
{
    hvm_set_gpr(v, HVM_REG_RAX, val);
}

void arch_vcpu_save_state(struct vcpu *v, struct basalt_vcpu_state *s)
{
    memset(s, 0, sizeof(*s));
    s->version = BASALT_VCPU_STATE_VERSION;
    s->flags = v->state != VCPU_DOWN ? BASALT_VCPU_UP : 0;
    for (unsigned int i = 0; i < 16; i++)
        s->gpr[i] = hvm_get_gpr(v, i);
    s->rip = hvm_get_rip(v);
    s->rflags = hvm_get_rflags(v);
    s->cr0 = hvm_get_cr(v, 0);
    s->cr2 = hvm_get_cr(v, 2);
    s->cr3 = hvm_get_cr(v, 3);
    s->cr4 = hvm_get_cr(v, 4);
    s->efer = hvm_get_efer(v);
    for (unsigned int i = 0; i < 4; i++)
        s->dr[i] = v->arch.debug_addr[i];
    s->dr[6] = hvm_get_dr(v, 6);
    s->dr[7] = hvm_get_dr(v, 7);
    for (unsigned int i = 0; i <= HVM_SEG_TR; i++) {
        struct hvm_segment g;
        hvm_get_segment(v, (enum hvm_seg)i, &g);
        s->seg[i] = (struct basalt_segment){ .sel = g.sel, .attr = g.attr, .limit = g.limit, .base = g.base };
    }
    struct hvm_syscall_msrs m;
    hvm_get_syscall_msrs(v, &m);
    s->star = m.star;
    s->lstar = m.lstar;
    s->cstar = m.cstar;
    s->sfmask = m.sfmask;
    s->kernel_gs_base = m.kernel_gs_base;
    s->sysenter_cs = m.sysenter_cs;
    s->sysenter_esp = m.sysenter_esp;
    s->sysenter_eip = m.sysenter_eip;
    s->pat = hvm_get_pat(v);
    s->tsc_aux = v->arch.tsc_aux;
    s->apic_base = v->arch.apic_base_msr;
    s->mtrr_def_type = v->arch.mtrr_def_type;
    s->tsc = arch_vcpu_guest_tsc(v, rdtsc());
    s->xcr0 = v->arch.xcr0;
    struct hvm_event e = { 0 };
    if (hvm_get_queued_event(v, &e))
        s->event = BASALT_EVENT_VALID | ((uint32_t)e.type << 8) | e.vector | (e.has_error ? BIT(11) : 0);
    s->event_error = e.has_error ? e.error : 0;
    s->interrupt_shadow = hvm_in_interrupt_shadow(v);
    s->nmi_pending = v->arch.nmi_pending;
    vlapic_save(v, s->lapic, sizeof(s->lapic), &s->lapic_flags, &s->lapic_timer_left_ns,
                &s->lapic_timer_period_ns);
    s->xsave_size = fpu_area_size();
    fpu_copy_area(v, s->xsave, false);
}

static bool pat_ok(uint64_t pat)
{
    for (unsigned int i = 0; i < 8; i++) {
        uint8_t t = (uint8_t)(pat >> (i * 8));
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

/* An event VMRUN would accept: an external interrupt, an NMI (vector 2),
 * or an exception (vector below 32, an error code only where one exists). */
static bool event_ok(uint32_t ev)
{
    if (!(ev & BASALT_EVENT_VALID))
        return !ev;
    if (ev & ~(BASALT_EVENT_VALID | 0xfffu))
        return false;
    unsigned int type = (ev >> 8) & 7, vector = ev & 0xff;
    bool err = ev & BIT(11);
    switch (type) {
    case HVM_EVENT_EXT_INTR:
        return !err && vector >= 16;
    case HVM_EVENT_NMI:
        return !err && vector == 2;
    case HVM_EVENT_EXCEPTION:
        return vector < 32 && vector != 2;
    default:
        return false;
    }
}

static bool registers_ok(struct vcpu *v, const struct basalt_vcpu_state *s)
{
    bool long_mode = (s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG);
    uint64_t efer = long_mode ? s->efer | EFER_LMA : s->efer & ~EFER_LMA;
    if (!hvm_control_state_ok(v, s->cr0, s->cr3, s->cr4, efer))
        return false;
    if ((s->rflags & EFLAGS_RESERVED) || !(s->rflags & X86_EFLAGS_FIXED) || s->dr[6] >> 32 ||
        s->dr[7] >> 32 || s->dr[4] || s->dr[5])
        return false;
    for (unsigned int i = 0; i <= HVM_SEG_TR; i++)
        if ((s->seg[i].attr & SEG_ATTR_RESERVED) || !hvm_canonical(s->seg[i].base, s->cr4))
            return false;
    const struct basalt_segment *cs = &s->seg[HVM_SEG_CS];
    if (long_mode && (cs->attr & HVM_SEG_ATTR_L) && (cs->attr & HVM_SEG_ATTR_DB))
        return false;
    uint64_t addrs[] = { s->rip, s->lstar, s->cstar, s->kernel_gs_base, s->sysenter_esp,
                         s->sysenter_eip, s->dr[0], s->dr[1], s->dr[2], s->dr[3] };
    for (unsigned int i = 0; i < ARRAY_SIZE(addrs); i++)
        if (!hvm_canonical(addrs[i], s->cr4))
            return false;
    return pat_ok(s->pat) && !(s->tsc_aux >> 32) && !(s->mtrr_def_type & ~0xcffULL) &&
           event_ok(s->event) && s->interrupt_shadow <= 1 && s->nmi_pending <= 1 &&
           s->apic_base == (VLAPIC_BASE | ((s->lapic_flags & 1) ? APIC_BASE_EN : 0) |
                            ((s->lapic_flags & 2) ? APIC_BASE_EXTD : 0) | (v->id == 0 ? APIC_BASE_BSP : 0));
}

int arch_vcpu_load_state(struct vcpu *v, const struct basalt_vcpu_state *s)
{
    if (s->version != BASALT_VCPU_STATE_VERSION || (s->flags & ~BASALT_VCPU_UP) ||
        s->xsave_size > sizeof(s->xsave) || !fpu_area_valid(s->xsave, s->xsave_size, s->xcr0) ||
        !registers_ok(v, s))
        return -EINVAL;
    /* The local APIC checks its own part first: the last step that can fail. */
    int rc = vlapic_load(v, s->lapic, sizeof(s->lapic), s->lapic_flags, s->lapic_timer_left_ns,
                         s->lapic_timer_period_ns);
    if (rc)
        return rc;
    for (unsigned int i = 0; i < 16; i++)
        hvm_set_gpr(v, i, s->gpr[i]);
    hvm_set_rip(v, s->rip);
    hvm_set_rflags(v, s->rflags);
    bool long_mode = (s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG);
    hvm_set_cr(v, 0, s->cr0);
    hvm_set_cr(v, 2, s->cr2);
    hvm_set_cr(v, 3, s->cr3);
    hvm_set_cr(v, 4, s->cr4);
    hvm_set_efer(v, long_mode ? s->efer | EFER_LMA : s->efer & ~EFER_LMA);
    for (unsigned int i = 0; i < 4; i++)
        v->arch.debug_addr[i] = s->dr[i];
    hvm_set_dr(v, 6, s->dr[6]);
    hvm_set_dr(v, 7, s->dr[7]);
    /* SS last among the segments: it sets the CPL. */
    for (unsigned int i = 0; i <= HVM_SEG_TR; i++) {
        const struct basalt_segment *g = &s->seg[i];
        hvm_set_segment(v, (enum hvm_seg)i,
                        &(struct hvm_segment){ .sel = g->sel, .attr = g->attr, .limit = g->limit, .base = g->base });
    }
    const struct basalt_segment *ss = &s->seg[HVM_SEG_SS];
    hvm_set_segment(v, HVM_SEG_SS,
                    &(struct hvm_segment){ .sel = ss->sel, .attr = ss->attr, .limit = ss->limit, .base = ss->base });
    hvm_set_syscall_msrs(v, &(struct hvm_syscall_msrs){
        .star = s->star, .lstar = s->lstar, .cstar = s->cstar, .sfmask = s->sfmask,
        .kernel_gs_base = s->kernel_gs_base, .sysenter_cs = s->sysenter_cs,
        .sysenter_esp = s->sysenter_esp, .sysenter_eip = s->sysenter_eip });
    hvm_set_pat(v, s->pat);
    v->arch.tsc_aux = s->tsc_aux;
    v->arch.mtrr_def_type = s->mtrr_def_type;
    /* The guest's TSC carries on from where it was read. */
    hvm_set_tsc_offset(v, s->tsc - rdtsc());
    v->arch.xcr0 = s->xcr0;
    fpu_copy_area(v, (uint8_t *)s->xsave, true);
    if (s->event & BASALT_EVENT_VALID)
        hvm_queue_event(v, &(struct hvm_event){ .valid = true, .type = (uint8_t)((s->event >> 8) & 7),
                                                .vector = (uint8_t)s->event, .has_error = s->event & BIT(11),
                                                .error = s->event_error });
    hvm_set_interrupt_shadow(v, s->interrupt_shadow);
    v->arch.nmi_pending = s->nmi_pending;
    v->arch.pending_exception.valid = false;
    hvm_flush_guest_tlb(v);
    return 0;
}
