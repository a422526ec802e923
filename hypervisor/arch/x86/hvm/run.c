/*
 * The per-vCPU run loop: inject what is pending, VMRUN, handle the exit,
 * until the scheduler wants the CPU back. Host interrupts that arrive while
 * the guest runs cause #VMEXIT(INTR) and are taken right after the exit.
 */
#include <asm/fpu.h>
#include <asm/hvm.h>
#include <asm/svm.h>
#include <asm/vlapic.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/event.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/sched.h>

void hvm_handle_exit(struct vcpu *v);

static void assign_asid(struct vcpu *v, struct pcpu *p)
{
    struct vmcb_control *c = &v->arch.vmcb->c;
    if (v->arch.last_pcpu == (int)p->id && v->arch.asid_generation == p->asid_generation)
        return;
    if (p->asid_next >= svm_features.nr_asids) {
        p->asid_generation++;
        p->asid_next = 1;
        c->tlb_control = TLB_CONTROL_FLUSH_ALL;
    }
    v->arch.asid = p->asid_next++;
    v->arch.asid_generation = p->asid_generation;
    v->arch.last_pcpu = (int)p->id;
    c->asid = v->arch.asid;
    /* A recycled ASID may hold another vCPU's translations. */
    c->tlb_control = TLB_CONTROL_FLUSH_ALL;
}

static bool can_take_interrupt(const struct vmcb *vmcb)
{
    return (vmcb->s.rflags & X86_EFLAGS_IF) && !(vmcb->c.interrupt_shadow & 1);
}

static void request_interrupt_window(struct vmcb *vmcb)
{
    vmcb->c.vintr |= VINTR_IRQ | VINTR_IGN_TPR | (0xfULL << VINTR_PRIO_SHIFT);
    vmcb->c.intercept1 |= INTERCEPT_VINTR;
}

/* Chooses the one event to inject on this entry. */
static void deliver_events(struct vcpu *v)
{
    struct vmcb *vmcb = v->arch.vmcb;
    if (vmcb->c.eventinj & EVENT_VALID)
        return; /* re-injecting what an exit interrupted */
    if (v->arch.pending_exception) {
        vmcb->c.eventinj = v->arch.pending_exception;
        v->arch.pending_exception = 0;
        return;
    }
    if (v->arch.nmi_pending) {
        v->arch.nmi_pending = false;
        vmcb->c.eventinj = EVENT_VALID | EVENT_TYPE_NMI | 2;
        return;
    }
    int upcall = evtchn_upcall_vector(v);
    int lapic = vlapic_pending_vector(v);
    if (upcall < 0 && lapic < 0)
        return;
    if (!can_take_interrupt(vmcb)) {
        request_interrupt_window(vmcb);
        return;
    }
    /* The event-channel callback ranks above LAPIC interrupts, as in Xen. */
    if (upcall >= 0) {
        vmcb->c.eventinj = EVENT_VALID | EVENT_TYPE_INTR | (uint32_t)upcall;
    } else {
        vlapic_ack(v, lapic);
        vmcb->c.eventinj = EVENT_VALID | EVENT_TYPE_INTR | (uint32_t)lapic;
    }
}

/*
 * QEMU 7.2 under TCG now and then completes one #VMEXIT twice: the second
 * time it saves into the VMCB the host state it had just restored (RIP after
 * our VMRUN, our CR3, int_ctl zeroed), and the guest's RIP, RSP, RAX, flags
 * and control registers are gone. What reaches us looks like a nested page
 * fault on the host's page tables. Entering again from the state of the last
 * VMRUN was tried: the emulator's view of the guest was already broken and
 * the guest crashed soon after. So the domain is crashed with the cause
 * named. Real CPUs do not do this.
 */
static bool exit_returned_host_state(const struct vmcb *vmcb, uint64_t host_cr3)
{
    return vmcb->s.rip == (uintptr_t)svm_vmrun_return && vmcb->s.cr3 == host_cr3;
}

static bool must_stop(struct vcpu *v, struct pcpu *p)
{
    return sched_resched_pending() || v->state != VCPU_RUNNABLE || v->pause_count ||
           v->dom->pause_count || v->dom->state != DOMAIN_RUNNING;
}

void arch_vcpu_run(struct vcpu *v)
{
    struct pcpu *p = this_cpu();
    struct vmcb *vmcb = v->arch.vmcb;
    paddr_t host_vmcb = virt_to_phys(p->host_vmcb);
    uint64_t host_cr3 = read_cr3();

    fpu_load(v);
    wrmsr(MSR_TSC_AUX, v->arch.tsc_aux);
    for (;;) {
        local_irq_disable();
        if (must_stop(v, p))
            break;
        assign_asid(v, p);
        deliver_events(v);

        v->arch.in_guest = true;
        v->arch.entry_seq++;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        uint64_t gen = READ_ONCE(v->dom->p2m.flush_gen);
        if (v->arch.flush_gen_seen != gen) {
            v->arch.flush_gen_seen = gen;
            if (vmcb->c.tlb_control == TLB_CONTROL_NONE)
                vmcb->c.tlb_control = svm_features.flush_by_asid ? TLB_CONTROL_FLUSH_ASID
                                                                 : TLB_CONTROL_FLUSH_ALL;
        }

        svm_clgi();
        local_irq_enable();
        svm_vmrun(&v->arch.gprs, v->arch.vmcb_pa, host_vmcb);
        local_irq_disable();
        svm_stgi();

        v->arch.in_guest = false;
        vmcb->c.tlb_control = TLB_CONTROL_NONE;
        local_irq_enable();
        if (exit_returned_host_state(vmcb, host_cr3))
            domain_crash(v->dom, "vCPU %u: #VMEXIT returned the host's state, the guest's is lost "
                         "(emulator fault)", v->id);
        else
            hvm_handle_exit(v);
    }
    fpu_save(v);
}
