/*
 * One stint of an SVM guest (the vendor's half of the run loop in
 * hvm/run.c): an ASID on this CPU, the TLB flush the p2m asks for, CLGI;
 * STI; VMRUN; CLI; STGI, then the exit. Host interrupts that arrive while
 * the guest runs cause #VMEXIT(INTR) and are taken right after the exit.
 */
#include <asm/svm.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

static void assign_asid(struct vcpu *v, struct pcpu *p)
{
    struct svm_vcpu *sv = &v->arch.svm;
    struct vmcb_control *c = &sv->vmcb->c;
    if (sv->last_pcpu == (int)p->id && sv->asid_generation == p->asid_generation)
        return;
    if (p->asid_next >= svm_features.nr_asids) {
        p->asid_generation++;
        p->asid_next = 1;
        c->tlb_control = TLB_CONTROL_FLUSH_ALL;
    }
    sv->asid = p->asid_next++;
    sv->asid_generation = p->asid_generation;
    sv->last_pcpu = (int)p->id;
    c->asid = sv->asid;
    /* A recycled ASID may hold another vCPU's translations. */
    c->tlb_control = TLB_CONTROL_FLUSH_ALL;
}

/*
 * QEMU's TCG (7.2 and 10.0.2 alike) races with itself under multi-threaded
 * TCG: whenever any vCPU thread executes FLDENV, FRSTOR, FXRSTOR or XRSTOR
 * (our fpu_load, or any guest's), QEMU clears the IGNNE# flag in the FIRST
 * CPU's hflags2 with an unlocked read-modify-write from that thread. If CPU
 * 0 meanwhile passes VMRUN or #VMEXIT, which set and clear nested paging in
 * the same word, the stale write-back undoes it. Left on after a #VMEXIT,
 * the host's next instruction fetch walks our page tables through the
 * guest's NPT and faults, and QEMU takes a second #VMEXIT in host mode: it
 * saves the host state it had just restored (RIP after our VMRUN, our CR3,
 * int_ctl zeroed) over the guest's, which is lost. That is what is caught
 * here; only CPU 0 can see it. (Turned off during a VMRUN, the guest instead
 * walks its page tables at guest-physical addresses taken as host ones: it
 * sees garbage and usually triple-faults.) Real CPUs do not do this; the
 * domain is crashed with the cause named. docs/architecture.md tells more.
 */
static bool exit_returned_host_state(const struct vmcb *vmcb)
{
    return vmcb->s.rip == (uintptr_t)svm_vmrun_return && vmcb->s.cr3 == read_cr3();
}

void hvm_enter_guest(struct vcpu *v)
{
    struct pcpu *p = this_cpu();
    struct vmcb *vmcb = svm_vmcb(v);

    assign_asid(v, p);
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
    svm_vmrun(&v->arch.gprs, v->arch.svm.vmcb_pa, virt_to_phys(p->host_vmcb));
    local_irq_disable();
    svm_stgi();

    v->arch.in_guest = false;
    vmcb->c.tlb_control = TLB_CONTROL_NONE;
    local_irq_enable();
    if (exit_returned_host_state(vmcb)) {
        /* What the second #VMEXIT left: under the race above, CPU 0 and a
         * nested page fault in a page walk (EXITINFO1 bit 33) at our CR3. */
        pr_notice("d%u vCPU %u on cpu %u: exit %#lx, EXITINFO1 %#lx, EXITINFO2 %#lx after VMRUN\n",
                  v->dom->id, v->id, p->id, vmcb->c.exitcode, vmcb->c.exitinfo1, vmcb->c.exitinfo2);
        domain_crash(v->dom, "vCPU %u: #VMEXIT returned the host's state, the guest's is lost "
                     "(emulator fault)", v->id);
    } else {
        svm_handle_exit(v);
    }
}
