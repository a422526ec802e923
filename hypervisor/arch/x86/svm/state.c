/*
 * The part of a vCPU's state that only the VMCB holds, for saving and
 * restoring it (hvm/vcpu_save.c) while the vCPU is off its CPU.
 */
#include <asm/svm.h>

void hvm_get_syscall_msrs(const struct vcpu *v, struct hvm_syscall_msrs *m)
{
    const struct vmcb_save *s = &svm_vmcb(v)->s;
    *m = (struct hvm_syscall_msrs){
        .star = s->star, .lstar = s->lstar, .cstar = s->cstar, .sfmask = s->sfmask,
        .kernel_gs_base = s->kernel_gs_base, .sysenter_cs = s->sysenter_cs,
        .sysenter_esp = s->sysenter_esp, .sysenter_eip = s->sysenter_eip,
    };
}

void hvm_set_syscall_msrs(struct vcpu *v, const struct hvm_syscall_msrs *m)
{
    struct vmcb_save *s = &svm_vmcb(v)->s;
    s->star = m->star;
    s->lstar = m->lstar;
    s->cstar = m->cstar;
    s->sfmask = m->sfmask;
    s->kernel_gs_base = m->kernel_gs_base;
    s->sysenter_cs = m->sysenter_cs;
    s->sysenter_esp = m->sysenter_esp;
    s->sysenter_eip = m->sysenter_eip;
}

bool hvm_get_queued_event(const struct vcpu *v, struct hvm_event *e)
{
    uint64_t inj = svm_vmcb(v)->c.eventinj;
    if (!(inj & EVENT_VALID))
        return false;
    *e = (struct hvm_event){
        .valid = true,
        .type = (uint8_t)((inj & EVENT_TYPE_MASK) >> 8),
        .vector = (uint8_t)inj,
        .has_error = inj & EVENT_ERR_VALID,
        .error = (uint32_t)(inj >> 32),
    };
    return true;
}

void hvm_set_interrupt_shadow(struct vcpu *v, bool shadow)
{
    struct vmcb_control *c = &svm_vmcb(v)->c;
    c->interrupt_shadow = (c->interrupt_shadow & ~1ULL) | (shadow ? 1 : 0);
}
