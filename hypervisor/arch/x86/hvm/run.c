/*
 * The per-vCPU run loop: choose what to inject, enter the guest, handle the
 * exit, until the scheduler wants the CPU back. Entering and decoding the
 * exit are the vendor's (hvm_enter_guest); what to inject, when to stop, and
 * HLT (when a vCPU stops running of its own accord) are decided here.
 */
#include <asm/fpu.h>
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/vlapic.h>
#include <asm/x86.h>
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/event.h>
#include <basalt/lib.h>
#include <basalt/sched.h>

/* Chooses the one event to inject on this entry. */
static void deliver_events(struct vcpu *v)
{
    if (hvm_event_queued(v))
        return; /* re-delivering what an exit interrupted */
    if (v->arch.pending_exception.valid) {
        hvm_queue_event(v, &v->arch.pending_exception);
        v->arch.pending_exception.valid = false;
        return;
    }
    if (v->arch.nmi_pending) {
        v->arch.nmi_pending = false;
        hvm_queue_event(v, &(struct hvm_event){ .valid = true, .type = HVM_EVENT_NMI, .vector = 2 });
        return;
    }
    int upcall = evtchn_upcall_vector(v);
    int lapic = vlapic_pending_vector(v);
    if (upcall < 0 && lapic < 0)
        return;
    if (!(hvm_get_rflags(v) & X86_EFLAGS_IF) || hvm_in_interrupt_shadow(v)) {
        hvm_request_interrupt_window(v);
        return;
    }
    /* The event-channel callback ranks above LAPIC interrupts, as in Xen. */
    struct hvm_event e = { .valid = true, .type = HVM_EVENT_EXT_INTR };
    if (upcall >= 0) {
        e.vector = (uint8_t)upcall;
    } else {
        vlapic_ack(v, lapic);
        e.vector = (uint8_t)lapic;
    }
    hvm_queue_event(v, &e);
}

static bool must_stop(struct vcpu *v)
{
    return sched_resched_pending() || v->state != VCPU_RUNNABLE || v->pause_count ||
           v->dom->pause_count || v->dom->state != DOMAIN_RUNNING;
}

/* DR0-DR3 are not part of the state the hardware switches (DR6 and DR7
 * are): each vCPU has its own, in the registers while it holds the CPU.
 * The hypervisor sets no breakpoints of its own. */
static void debug_regs_load(struct vcpu *v)
{
    for (unsigned int i = 0; i < 4; i++)
        write_dr(i, v->arch.debug_addr[i]);
}

static void debug_regs_save(struct vcpu *v)
{
    for (unsigned int i = 0; i < 4; i++)
        v->arch.debug_addr[i] = read_dr(i);
}

void arch_vcpu_run(struct vcpu *v)
{
    fpu_load(v);
    debug_regs_load(v);
    wrmsr(MSR_TSC_AUX, v->arch.tsc_aux);
    for (;;) {
        local_irq_disable();
        if (unlikely(READ_ONCE(v->arch.init_pending)) &&
            __atomic_exchange_n(&v->arch.init_pending, false, __ATOMIC_ACQ_REL))
            vlapic_take_init(v);
        if (must_stop(v))
            break;
        deliver_events(v);
        hvm_enter_guest(v);
    }
    debug_regs_save(v);
    fpu_save(v);
}

static bool halt_wake_pending(struct vcpu *v)
{
    return vcpu_event_pending(v);
}

/* HLT with interrupts enabled waits for an event; with them disabled the
 * vCPU is offline, and when the last one goes the domain has powered off
 * (how a PVH Linux without \_S5 ends `poweroff`). */
void hvm_handle_hlt(struct vcpu *v)
{
    hvm_skip_insn(v);
    if (hvm_get_rflags(v) & X86_EFLAGS_IF) {
        vcpu_block(v, halt_wake_pending);
        return;
    }
    vcpu_down(v);
    for (unsigned int i = 0; i < v->dom->max_vcpus; i++) {
        struct vcpu *o = v->dom->vcpus[i];
        if (o && o->state != VCPU_DOWN)
            return;
    }
    domain_shutdown(v->dom, SHUTDOWN_poweroff);
}
