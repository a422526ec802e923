/*
 * #VMEXIT dispatch: what the VMCB says happened, decoded and handed to the
 * vendor-neutral handlers of arch/x86/hvm/. Anything a guest can cause must
 * be handled here without hurting the hypervisor or another domain: the
 * worst outcome is the guest's own domain being destroyed with a reason.
 */
#include <asm/hvm_exits.h>
#include <asm/svm.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/sched.h>

/* The exit interrupted delivery of an event: deliver it again. */
static void requeue_interrupted_event(struct vmcb *vmcb)
{
    uint64_t info = vmcb->c.exitintinfo;
    if (!(info & EVENT_VALID))
        return;
    uint32_t type = info & EVENT_TYPE_MASK;
    /* Software interrupts and INT3/INTO are re-executed, not re-injected. */
    if (type == EVENT_TYPE_SOFT || (type == EVENT_TYPE_EXC && ((info & 0xff) == 3 || (info & 0xff) == 4)))
        return;
    vmcb->c.eventinj = info;
}

static void count_exit(struct vcpu *v, uint64_t code)
{
    struct exit_stats *st = &v->arch.stats;
    enum exit_kind k;
    switch (code) {
    case VMEXIT_INTR: case VMEXIT_NMI: k = EXIT_INTR; break;
    case VMEXIT_VINTR: k = EXIT_VINTR; break;
    case VMEXIT_CPUID: k = EXIT_CPUID; break;
    case VMEXIT_MSR: k = EXIT_MSR; break;
    case VMEXIT_IOIO: k = EXIT_IO; break;
    case VMEXIT_HLT: k = EXIT_HLT; break;
    case VMEXIT_VMMCALL: k = EXIT_HYPERCALL; break;
    case VMEXIT_NPF: k = EXIT_NPF; break;
    case VMEXIT_PAUSE: k = EXIT_PAUSE; break;
    default: k = EXIT_OTHER; break;
    }
    st->kind[k]++;
    if (k == EXIT_HYPERCALL)
        st->hypercall[svm_vmcb(v)->s.rax & 63]++;
    if (k == EXIT_IO) {
        uint64_t port = svm_vmcb(v)->c.exitinfo1 >> IOIO_PORT_SHIFT;
        unsigned int i, lowest = 0;
        for (i = 0; i < 4 && st->io_port_top[i][0] != port; i++)
            if (st->io_port_top[i][1] < st->io_port_top[lowest][1])
                lowest = i;
        if (i < 4)
            st->io_port_top[i][1]++;
        else
            st->io_port_top[lowest][0] = port, st->io_port_top[lowest][1] = 1;
    }
}

static void handle_io(struct vcpu *v, const struct vmcb *vmcb)
{
    uint64_t info = vmcb->c.exitinfo1;
    unsigned int seg = (info >> IOIO_SEG_SHIFT) & 7; /* 6 and 7 are reserved */
    /* QEMU's TCG leaves the address size and segment out: 0 says so. */
    unsigned int addr_size = info & IOIO_A64 ? 8 : info & IOIO_A32 ? 4 : info & IOIO_A16 ? 2 : 0;
    struct hvm_io_exit io = {
        .port = (uint16_t)(info >> IOIO_PORT_SHIFT),
        .size = info & IOIO_SZ32 ? 4 : info & IOIO_SZ16 ? 2 : 1,
        .in = info & IOIO_IN,
        .string = info & IOIO_STR,
        .rep = info & IOIO_REP,
        .addr_size = (uint8_t)addr_size,
        .seg = seg <= HVM_SEG_GS ? seg : HVM_SEG_DS,
        .next_rip = vmcb->c.exitinfo2,
    };
    hvm_handle_io(v, &io);
}

static void handle_npf(struct vcpu *v, const struct vmcb *vmcb)
{
    uint64_t err = vmcb->c.exitinfo1;
    enum hvm_access access = err & NPF_IN_WALK ? HVM_ACCESS_PAGE_WALK
                             : err & NPF_FETCH ? HVM_ACCESS_FETCH
                             : err & NPF_WRITE ? HVM_ACCESS_WRITE : HVM_ACCESS_READ;
    hvm_handle_npf(v, vmcb->c.exitinfo2, access);
}

void svm_handle_exit(struct vcpu *v)
{
    struct vmcb *vmcb = svm_vmcb(v);
    uint64_t code = vmcb->c.exitcode;

    count_exit(v, code);
    vmcb->c.eventinj = 0;
    requeue_interrupted_event(vmcb);

    switch (code) {
    case VMEXIT_INTR:
    case VMEXIT_NMI:
    case VMEXIT_SMI:
        break; /* the host takes it as soon as we re-enable interrupts */
    case VMEXIT_VINTR:
        vmcb->c.vintr &= ~(VINTR_IRQ | VINTR_IGN_TPR | (0xfULL << VINTR_PRIO_SHIFT));
        vmcb->c.intercept1 &= ~INTERCEPT_VINTR;
        break;
    case VMEXIT_CPUID:
        hvm_handle_cpuid(v);
        break;
    case VMEXIT_MSR:
        hvm_handle_msr(v, vmcb->c.exitinfo1 & 1);
        break;
    case VMEXIT_IOIO:
        handle_io(v, vmcb);
        break;
    case VMEXIT_HLT:
        hvm_handle_hlt(v);
        break;
    case VMEXIT_VMMCALL:
        hvm_handle_vmmcall(v);
        break;
    case VMEXIT_NPF:
        handle_npf(v, vmcb);
        break;
    case VMEXIT_XSETBV:
        hvm_handle_xsetbv(v);
        break;
    case VMEXIT_PAUSE:
        vcpu_yield(v);
        break;
    case VMEXIT_WBINVD:
    case VMEXIT_INVD:
        hvm_skip_insn(v); /* caches are coherent for everything a guest can reach */
        break;
    case VMEXIT_RDPMC:
        hvm_inject_gp(v);
        break;
    case VMEXIT_VMRUN:
    case VMEXIT_VMLOAD:
    case VMEXIT_VMSAVE:
    case VMEXIT_STGI:
    case VMEXIT_CLGI:
    case VMEXIT_SKINIT:
    case VMEXIT_INVLPGA:
    case VMEXIT_MONITOR:
    case VMEXIT_MWAIT:
    case VMEXIT_MWAIT_COND:
    case VMEXIT_RDPRU:
        hvm_inject_ud(v); /* not offered in CPUID */
        break;
    case VMEXIT_ICEBP:
        hvm_skip_insn(v);
        hvm_inject_exception(v, X86_EXC_DB, false, 0);
        break;
    case VMEXIT_EXCP_BASE + X86_EXC_DB:
        /* DR6 in the VMCB already says why, as the guest will read it. */
        hvm_inject_exception(v, X86_EXC_DB, false, 0);
        break;
    case VMEXIT_EXCP_BASE + X86_EXC_AC:
        hvm_inject_exception(v, X86_EXC_AC, true, (uint32_t)vmcb->c.exitinfo1);
        break;
    case VMEXIT_EXCP_BASE + X86_EXC_MC:
        domain_crash(v->dom, "machine check while the guest ran");
        break;
    case VMEXIT_CR4_WRITE:
        hvm_handle_cr4_write(v);
        break;
    case VMEXIT_INIT:
        /* A physical INIT is for the host, never the guest. */
        break;
    case VMEXIT_SHUTDOWN:
        hvm_dump_guest(v);
        /* The CPU matters under QEMU's TCG: on CPU 0 a triple fault may be
         * the emulator's race (svm/run.c), elsewhere it is not. */
        pr_notice("d%u vCPU %u: triple fault on cpu %u\n", v->dom->id, v->id, this_cpu()->id);
        domain_crash(v->dom, "triple fault");
        break;
    case VMEXIT_TASK_SWITCH:
        domain_crash(v->dom, "hardware task switch (unsupported)");
        break;
    case VMEXIT_FERR_FREEZE:
        domain_crash(v->dom, "FERR freeze");
        break;
    case VMEXIT_INVALID:
        hvm_dump_guest(v);
        domain_crash(v->dom, "invalid guest state (VMRUN refused it)");
        break;
    default:
        hvm_dump_guest(v);
        domain_crash(v->dom, "unexpected exit %#lx", code);
        break;
    }
}
