/* Port I/O exits: IN/OUT and their string forms, dispatched to the
 * domain's handlers. EXITINFO2 always holds the next RIP for these. */
#include <asm/hvm.h>
#include <asm/hvm_exits.h>
#include <asm/ioport.h>
#include <asm/svm.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

/* Most string I/O iterations handled per exit; the rest re-execute. */
#define MAX_STRING_ITERATIONS 4096

int ioport_register(struct domain *d, uint16_t base, uint16_t count, ioport_read_t r, ioport_write_t w)
{
    if (d->arch.nr_io_handlers == MAX_IOPORT_HANDLERS)
        return -ENOSPC;
    d->arch.io_handlers[d->arch.nr_io_handlers++] = (struct ioport_handler){ base, count, r, w };
    return 0;
}

static void iopm_set(struct domain *d, uint16_t base, uint16_t count, bool intercept)
{
    if (d->arch.iopm == iopm_all_intercepted) {
        if (intercept)
            return;
        uint8_t *own = alloc_hv_pages(2);
        if (!own)
            return; /* keeps intercepting: slower, still correct */
        memset(own, 0xff, 3 * PAGE_SIZE);
        d->arch.iopm = own;
        for (unsigned int i = 0; i < d->max_vcpus; i++)
            if (d->vcpus[i])
                d->vcpus[i]->arch.vmcb->c.iopm_base_pa = virt_to_phys(own);
    }
    for (uint32_t p = base; p < (uint32_t)base + count; p++) {
        if (intercept)
            d->arch.iopm[p / 8] |= (uint8_t)(1 << (p % 8));
        else
            d->arch.iopm[p / 8] &= (uint8_t)~(1 << (p % 8));
    }
}

void ioport_allow(struct domain *d, uint16_t base, uint16_t count)
{
    iopm_set(d, base, count, false);
}

void ioport_deny(struct domain *d, uint16_t base, uint16_t count)
{
    iopm_set(d, base, count, true);
}

static const struct ioport_handler *find_handler(struct domain *d, uint16_t port)
{
    for (unsigned int i = 0; i < d->arch.nr_io_handlers; i++) {
        const struct ioport_handler *h = &d->arch.io_handlers[i];
        if (port >= h->base && port - h->base < h->count)
            return h;
    }
    return NULL;
}

static uint32_t port_read(struct vcpu *v, uint16_t port, unsigned int size)
{
    const struct ioport_handler *h = find_handler(v->dom, port);
    uint32_t ones = size == 4 ? 0xffffffff : (1U << (size * 8)) - 1;
    if (h && h->read)
        return h->read(v, port, size) & ones;
    return ones;
}

static void port_write(struct vcpu *v, uint16_t port, unsigned int size, uint32_t val)
{
    const struct ioport_handler *h = find_handler(v->dom, port);
    if (h && h->write)
        h->write(v, port, size, val);
}

static uint64_t seg_base_for_string(struct vcpu *v, bool in)
{
    const struct vmcb_save *s = &v->arch.vmcb->s;
    if (in)
        return s->es.base; /* INS always writes ES:rDI */
    /* OUTS reads DS:rSI unless overridden; EXITINFO1 bits 10-12 give the segment. */
    switch ((v->arch.vmcb->c.exitinfo1 >> 10) & 7) {
    case 0: return s->es.base;
    case 1: return s->cs.base;
    case 2: return s->ss.base;
    case 4: return s->fs.base;
    case 5: return s->gs.base;
    default: return s->ds.base;
    }
}

static void string_io(struct vcpu *v, uint16_t port, unsigned int size, bool in, bool rep)
{
    struct vmcb *vmcb = v->arch.vmcb;
    uint64_t info = vmcb->c.exitinfo1;
    uint64_t amask = info & BIT(9) ? ~0ULL : info & BIT(8) ? 0xffffffffULL : 0xffffULL;
    bool long_mode = hvm_insn_mode(v) == INSN_MODE_LONG64;
    uint64_t base = long_mode && !(((info >> 10) & 7) >= 4) ? 0 : seg_base_for_string(v, in);
    int64_t step = vmcb->s.rflags & X86_EFLAGS_DF ? -(int64_t)size : (int64_t)size;
    uint64_t count = rep ? v->arch.gprs.rcx & amask : 1;
    uint64_t done = 0;

    while (done < count && done < MAX_STRING_ITERATIONS) {
        uint64_t *reg = in ? &v->arch.gprs.rdi : &v->arch.gprs.rsi;
        gvaddr_t la = base + (*reg & amask);
        if (!long_mode)
            la = (uint32_t)la;
        uint32_t val = 0;
        if (in) {
            val = port_read(v, port, size);
            if (copy_to_guest(v, la, &val, size))
                goto fault;
        } else {
            if (copy_from_guest(v, &val, la, size))
                goto fault;
            port_write(v, port, size, val);
        }
        *reg = (*reg & ~amask) | ((*reg + step) & amask);
        done++;
    }
    if (rep)
        v->arch.gprs.rcx = (v->arch.gprs.rcx & ~amask) | ((count - done) & amask);
    if (done == count)
        vmcb->s.rip = vmcb->c.exitinfo2;
    return;
fault:
    if (rep)
        v->arch.gprs.rcx = (v->arch.gprs.rcx & ~amask) | ((count - done) & amask);
    hvm_inject_exception(v, 14, true, in ? 2 : 0);
    vmcb->s.cr2 = base + ((in ? v->arch.gprs.rdi : v->arch.gprs.rsi) & amask);
}

static bool port_intercepted(struct domain *d, uint16_t port, unsigned int size)
{
    for (unsigned int p = port; p < (unsigned int)port + size; p++)
        if (d->arch.iopm[p / 8] & (1 << (p % 8)))
            return true;
    return false;
}

/*
 * Port I/O comes in runs (`mov $0xcf8,%edx; out; mov $0xcfc,%edx; in` for
 * each PCI configuration read). Every exit costs tens of microseconds under
 * an emulator, so after one intercepted IN/OUT we look at the instructions
 * that follow and carry out the next few IN/OUTs to intercepted ports, and
 * the immediate loads of DX between them, before re-entering the guest.
 * Only at CPL 0 (no IOPL check to repeat) and with no single-stepping or
 * interrupt shadow; anything else ends the run.
 */
#define MAX_BATCHED 8

static void batch_following_io(struct vcpu *v)
{
    struct vmcb *vmcb = v->arch.vmcb;
    for (int n = 0; n < MAX_BATCHED; n++) {
        if (vmcb->s.cpl != 0 || (vmcb->s.rflags & X86_EFLAGS_TF) || (vmcb->c.interrupt_shadow & 1))
            return;
        struct insn in;
        if (hvm_fetch_insn(v, &in) || in.map != INSN_MAP_ONEBYTE || in.vex || in.rep || in.repne || in.lock)
            return;
        uint8_t op = in.opcode;
        if (op == 0xba && !in.rex) { /* mov $imm, %edx / %dx */
            if (in.opsize == 4)
                v->arch.gprs.rdx = (uint32_t)in.imm;
            else
                v->arch.gprs.rdx = (v->arch.gprs.rdx & ~0xffffULL) | (in.imm & 0xffff);
        } else if ((op >= 0xe4 && op <= 0xe7) || (op >= 0xec && op <= 0xef)) {
            uint16_t port = op >= 0xec ? (uint16_t)v->arch.gprs.rdx : (uint16_t)in.imm;
            unsigned int size = (op & 1) ? (in.opsize == 2 ? 2 : 4) : 1;
            bool is_in = !(op & 2);
            if (!port_intercepted(v->dom, port, size))
                return; /* the guest may touch it itself */
            if (is_in) {
                uint32_t val = port_read(v, port, size);
                uint64_t keep = size == 4 ? 0 : vmcb->s.rax & ~((1ULL << (size * 8)) - 1);
                vmcb->s.rax = keep | val;
            } else {
                port_write(v, port, size, (uint32_t)vmcb->s.rax & (size == 4 ? 0xffffffff : (1U << (size * 8)) - 1));
            }
        } else {
            return;
        }
        vmcb->s.rip += in.len;
        if (hvm_insn_mode(v) != INSN_MODE_LONG64)
            vmcb->s.rip &= 0xffffffff;
    }
}

void hvm_handle_io(struct vcpu *v)
{
    struct vmcb *vmcb = v->arch.vmcb;
    uint64_t info = vmcb->c.exitinfo1;
    uint16_t port = (uint16_t)(info >> IOIO_PORT_SHIFT);
    unsigned int size = info & IOIO_SZ32 ? 4 : info & IOIO_SZ16 ? 2 : 1;
    bool in = info & IOIO_IN;

    if (info & IOIO_STR) {
        string_io(v, port, size, in, info & IOIO_REP);
        return;
    }
    if (in) {
        uint32_t val = port_read(v, port, size);
        uint64_t keep = size == 4 ? 0 : vmcb->s.rax & ~((1ULL << (size * 8)) - 1);
        vmcb->s.rax = keep | val; /* 32-bit IN zero-extends into RAX */
    } else {
        port_write(v, port, size, (uint32_t)vmcb->s.rax & (size == 4 ? 0xffffffff : (1U << (size * 8)) - 1));
    }
    vmcb->s.rip = vmcb->c.exitinfo2;
    batch_following_io(v);
}

/*
 * DomUs have no 8254. Its ports read as zero rather than all-ones: Linux's
 * quick PIT calibration then gives up on its first read instead of spinning
 * through 100000 port reads (each an exit) waiting for a counter that never
 * moves. It takes the TSC frequency from the hypervisor anyway.
 */
static uint32_t pit_read_zero(struct vcpu *v, uint16_t port, unsigned int size)
{
    return 0;
}

int hvm_domu_ioports_init(struct domain *d)
{
    return ioport_register(d, 0x40, 4, pit_read_zero, NULL);
}
