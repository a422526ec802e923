/* #VMEXIT dispatch. Anything a guest can cause must be handled here without
 * hurting the hypervisor or another domain: the worst outcome is the guest's
 * own domain being destroyed with a reason. */
#include <asm/fpu.h>
#include <asm/hvm.h>
#include <asm/hvm_exits.h>
#include <asm/svm.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/event.h>
#include <basalt/lib.h>
#include <basalt/sched.h>

void hvm_dump_guest(struct vcpu *v)
{
    const struct vmcb_save *s = &v->arch.vmcb->s;
    const struct guest_gprs *g = &v->arch.gprs;
    printk("(d%u) vcpu %u: rip %04x:%016lx rsp %016lx rflags %08lx cpl %u\n"
           "(d%u)   rax %016lx rbx %016lx rcx %016lx rdx %016lx\n"
           "(d%u)   rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n"
           "(d%u)   cr0 %08lx cr2 %016lx cr3 %016lx cr4 %08lx efer %lx\n",
           v->dom->id, v->id, s->cs.sel, s->rip, s->rsp, s->rflags, s->cpl,
           v->dom->id, s->rax, g->rbx, g->rcx, g->rdx,
           v->dom->id, g->rsi, g->rdi, g->rbp, g->r8,
           v->dom->id, s->cr0, s->cr2, s->cr3, s->cr4, s->efer);
}

static void handle_xsetbv(struct vcpu *v)
{
    struct vmcb *vmcb = v->arch.vmcb;
    uint64_t val = (vmcb->s.rax & 0xffffffff) | (v->arch.gprs.rdx << 32);
    if (vmcb->s.cpl != 0 || (v->arch.gprs.rcx & 0xffffffff) != 0 || !fpu_set_xcr0(v, val)) {
        hvm_inject_gp(v);
        return;
    }
    hvm_skip_insn(v);
}

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
        st->hypercall[v->arch.vmcb->s.rax & 63]++;
    if (k == EXIT_IO) {
        uint64_t port = v->arch.vmcb->c.exitinfo1 >> IOIO_PORT_SHIFT;
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

void hvm_dump_exit_stats(struct vcpu *v)
{
    static const char *const names[NR_EXIT_KINDS] = {
        "intr", "vintr", "cpuid", "msr", "io", "hlt", "hypercall", "npf", "pause", "other",
    };
    struct exit_stats *st = &v->arch.stats;
    char line[256];
    int n = snprintf(line, sizeof(line), "    d%u v%u exits:", v->dom->id, v->id);
    for (int k = 0; k < NR_EXIT_KINDS; k++)
        if (st->kind[k])
            n += snprintf(line + n, sizeof(line) - n, " %s %lu", names[k], st->kind[k]);
    printk("%s\n", line);
    n = snprintf(line, sizeof(line), "      hypercalls:");
    for (int h = 0; h < 64; h++)
        if (st->hypercall[h] && n < (int)sizeof(line) - 20)
            n += snprintf(line + n, sizeof(line) - n, " %d:%lu", h, st->hypercall[h]);
    n += snprintf(line + n, sizeof(line) - n, "  ports:");
    for (int i = 0; i < 4; i++)
        if (st->io_port_top[i][1] && n < (int)sizeof(line) - 20)
            n += snprintf(line + n, sizeof(line) - n, " %#lx:%lu", st->io_port_top[i][0], st->io_port_top[i][1]);
    printk("%s\n", line);
}

void hvm_handle_exit(struct vcpu *v)
{
    struct vmcb *vmcb = v->arch.vmcb;
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
        hvm_handle_msr(v);
        break;
    case VMEXIT_IOIO:
        hvm_handle_io(v);
        break;
    case VMEXIT_HLT:
        hvm_handle_hlt(v);
        break;
    case VMEXIT_VMMCALL:
        hvm_handle_vmmcall(v);
        break;
    case VMEXIT_NPF:
        hvm_handle_npf(v);
        break;
    case VMEXIT_XSETBV:
        handle_xsetbv(v);
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
        hvm_inject_exception(v, 1, false, 0);
        break;
    case VMEXIT_EXCP_BASE + 18:
        domain_crash(v->dom, "machine check while the guest ran");
        break;
    case VMEXIT_INIT:
        /* A physical INIT is for the host, never the guest. */
        break;
    case VMEXIT_SHUTDOWN:
        hvm_dump_guest(v);
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

static bool halt_wake_pending(struct vcpu *v)
{
    return vcpu_event_pending(v);
}

/* HLT with interrupts enabled waits for an event; with them disabled the
 * vCPU is offline, and when the last one goes the domain has powered off
 * (how a PVH Linux without \_S5 ends `poweroff`). */
void hvm_handle_hlt(struct vcpu *v)
{
    struct vmcb *vmcb = v->arch.vmcb;
    hvm_skip_insn(v);
    if (vmcb->s.rflags & X86_EFLAGS_IF) {
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
