/*
 * The per-vCPU run loop: choose what to inject, enter the guest, handle the
 * exit, until the scheduler wants the CPU back. Entering and decoding the
 * exit are the vendor's (hvm_enter_guest); what to inject, when to stop, and
 * HLT (when a vCPU stops running of its own accord) are decided here.
 */
#include <asm/fpu.h>
#include <asm/hvm_domain.h>
#include <asm/hvm_exits.h>
#include <asm/hvm_io.h>
#include <asm/hvm_vendor.h>
#include <asm/smp.h>
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
    bool pic = hvm_pic_pending(v);
    int lapic = vlapic_pending_vector(v);
    if (upcall < 0 && !pic && lapic < 0)
        return;
    if (!(hvm_get_rflags(v) & X86_EFLAGS_IF) || hvm_in_interrupt_shadow(v)) {
        hvm_request_interrupt_window(v);
        return;
    }
    /* The event-channel callback ranks above the PIC, and the PIC above
     * LAPIC interrupts, as in Xen. In real mode the CPU delivers through
     * the IVT. */
    struct hvm_event e = { .valid = true, .type = HVM_EVENT_EXT_INTR };
    int vector = upcall;
    if (vector < 0 && pic)
        vector = hvm_pic_ack(v);
    if (vector < 0 && (lapic = vlapic_pending_vector(v)) >= 0) {
        vlapic_ack(v, lapic);
        vector = lapic;
    }
    if (vector < 0)
        return;
    e.vector = (uint8_t)vector;
    hvm_queue_event(v, &e);
}

/*
 * An instruction waiting for a device model, or device models to be told
 * that the guest gave memory back: the vCPU goes on only once they have
 * answered. Returns with the vCPU blocked if it must wait.
 */
static void io_resume(struct vcpu *v)
{
    struct hvm_vcpu_io *io = &v->arch.io;
    for (unsigned int n = 0; n < 16; n++) {
        if (io->waiting) {
            if (!ioreq_answered(v)) {
                if (vcpu_block(v, ioreq_answered))
                    return;
                continue;
            }
            hvm_io_complete(v);
        } else if (io->invalidate && ioreq_send_invalidate(v)) {
            io->completion = HVM_IO_DONE_NONE;
        } else {
            return;
        }
    }
}

void hvm_vcpu_kick(struct vcpu *v)
{
    vcpu_wake(v);
    if (v->running && v->processor != smp_processor_id())
        smp_kick(v->processor);
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
        if (unlikely(v->arch.io.waiting || v->arch.io.invalidate)) {
            local_irq_enable();
            io_resume(v);
        }
        local_irq_disable();
        if (unlikely(READ_ONCE(v->arch.init_pending)) && !v->arch.io.waiting &&
            __atomic_exchange_n(&v->arch.init_pending, false, __ATOMIC_ACQ_REL))
            vlapic_take_init(v);
        if (must_stop(v) || v->arch.io.waiting)
            break;
        if (v->id == 0 && is_hvm_domain(v->dom))
            hvm_sync_callback_line(v);
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
 * vCPU is offline, and when the last one of a PVH domain goes the domain
 * has powered off (how a PVH Linux without \_S5 ends `poweroff`). */
void hvm_handle_hlt(struct vcpu *v)
{
    hvm_skip_insn(v);
    if (hvm_get_rflags(v) & X86_EFLAGS_IF) {
        vcpu_block(v, halt_wake_pending);
        return;
    }
    bool last = vcpu_down(v, false);
    if (is_hvm_domain(v->dom))
        return; /* halted for good, as a CPU is: until an INIT; the domain ends by ACPI or a hypercall */
    if (last)
        domain_shutdown(v->dom, SHUTDOWN_poweroff);
}
