/* Port I/O exits: IN/OUT and their string forms, dispatched to the
 * domain's handlers; and each domain's I/O permission map. */
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/ioport.h>
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

/* A domain starts without a map of its own (every port intercepted) and
 * gets one when a port is first allowed. */
static void iopm_set(struct domain *d, uint16_t base, uint16_t count, bool intercept)
{
    if (!d->arch.iopm) {
        if (intercept)
            return;
        uint8_t *own = alloc_hv_pages(HVM_IO_BITMAP_ORDER);
        if (!own)
            return; /* keeps intercepting: slower, still correct */
        memset(own, 0xff, PAGE_SIZE << HVM_IO_BITMAP_ORDER);
        d->arch.iopm = own;
        for (unsigned int i = 0; i < d->max_vcpus; i++)
            if (d->vcpus[i])
                hvm_set_io_bitmap(d->vcpus[i], own);
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

void ioport_free_bitmap(struct domain *d)
{
    free_hv_pages(d->arch.iopm, HVM_IO_BITMAP_ORDER);
    d->arch.iopm = NULL;
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

static void string_io(struct vcpu *v, const struct hvm_io_exit *io)
{
    unsigned int addr_size = io->addr_size;
    /* INS always writes ES:rDI; OUTS reads DS:rSI unless overridden. */
    enum hvm_seg seg = (enum hvm_seg)io->seg;
    if (!addr_size) {
        struct insn in;
        if (hvm_fetch_insn(v, &in)) {
            domain_crash(v->dom, "cannot decode the string I/O instruction at rip %#lx", hvm_get_rip(v));
            return;
        }
        addr_size = in.addrsize;
        seg = in.seg == INSN_SEG_NONE ? HVM_SEG_DS : (enum hvm_seg)in.seg;
    }
    if (io->in)
        seg = HVM_SEG_ES;
    uint64_t amask = addr_size == 8 ? ~0ULL : addr_size == 4 ? 0xffffffffULL : 0xffffULL;
    bool long_mode = hvm_insn_mode(v) == INSN_MODE_LONG64;
    /* In 64-bit mode only FS and GS have a base. */
    struct hvm_segment sr = { .base = 0 };
    if (!long_mode || seg == HVM_SEG_FS || seg == HVM_SEG_GS)
        hvm_get_segment(v, seg, &sr);
    int64_t step = hvm_get_rflags(v) & X86_EFLAGS_DF ? -(int64_t)io->size : (int64_t)io->size;
    unsigned int reg = io->in ? HVM_REG_RDI : HVM_REG_RSI;
    uint64_t rcx = hvm_get_gpr(v, HVM_REG_RCX);
    uint64_t count = io->rep ? rcx & amask : 1;
    uint64_t done = 0;
    bool fault = false;
    uint32_t pfec = 0;
    gvaddr_t fault_va = 0;
    while (done < count && done < MAX_STRING_ITERATIONS) {
        uint64_t addr = hvm_get_gpr(v, reg);
        gvaddr_t la = sr.base + (addr & amask);
        if (!long_mode)
            la = (uint32_t)la;
        uint32_t val = 0;
        if (io->in) {
            val = port_read(v, io->port, io->size);
            fault = hvm_copy_for_insn(v, &val, la, io->size, true, &pfec, &fault_va);
        } else {
            fault = hvm_copy_for_insn(v, &val, la, io->size, false, &pfec, &fault_va);
            if (!fault)
                port_write(v, io->port, io->size, val);
        }
        if (fault)
            break;
        hvm_set_gpr(v, reg, (addr & ~amask) | ((addr + step) & amask));
        done++;
    }
    if (io->rep)
        hvm_set_gpr(v, HVM_REG_RCX, (rcx & ~amask) | ((count - done) & amask));
    if (fault) {
        hvm_inject_exception(v, X86_EXC_PF, true, pfec);
        hvm_set_cr(v, 2, fault_va);
    } else if (done == count) {
        hvm_set_rip(v, io->next_rip);
    }
}

static bool port_intercepted(struct domain *d, uint16_t port, unsigned int size)
{
    if (!d->arch.iopm)
        return true;
    for (unsigned int p = port; p < (unsigned int)port + size; p++)
        if (d->arch.iopm[p / 8] & (1 << (p % 8)))
            return true;
    return false;
}

/* IN and OUT of `size` bytes at AL/AX/EAX; a 32-bit IN zero-extends into RAX. */
static void port_in_out(struct vcpu *v, uint16_t port, unsigned int size, bool in)
{
    uint64_t rax = hvm_get_gpr(v, HVM_REG_RAX);
    uint32_t mask = size == 4 ? 0xffffffff : (1U << (size * 8)) - 1;
    if (in) {
        uint64_t keep = size == 4 ? 0 : rax & ~(uint64_t)mask;
        hvm_set_gpr(v, HVM_REG_RAX, keep | port_read(v, port, size));
    } else {
        port_write(v, port, size, (uint32_t)rax & mask);
    }
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
    for (int n = 0; n < MAX_BATCHED; n++) {
        if (hvm_get_cpl(v) != 0 || (hvm_get_rflags(v) & X86_EFLAGS_TF) || hvm_in_interrupt_shadow(v))
            return;
        struct insn in;
        if (hvm_fetch_insn(v, &in) || in.map != INSN_MAP_ONEBYTE || in.vex || in.rep || in.repne || in.lock)
            return;
        uint8_t op = in.opcode;
        uint64_t rdx = hvm_get_gpr(v, HVM_REG_RDX);
        if (op == 0xba && !in.rex) { /* mov $imm, %edx / %dx */
            if (in.opsize == 4)
                hvm_set_gpr(v, HVM_REG_RDX, (uint32_t)in.imm);
            else
                hvm_set_gpr(v, HVM_REG_RDX, (rdx & ~0xffffULL) | (in.imm & 0xffff));
        } else if ((op >= 0xe4 && op <= 0xe7) || (op >= 0xec && op <= 0xef)) {
            uint16_t port = op >= 0xec ? (uint16_t)rdx : (uint16_t)in.imm;
            unsigned int size = (op & 1) ? (in.opsize == 2 ? 2 : 4) : 1;
            if (!port_intercepted(v->dom, port, size))
                return; /* the guest may touch it itself */
            port_in_out(v, port, size, !(op & 2));
        } else {
            return;
        }
        hvm_advance_rip(v, in.len);
    }
}

void hvm_handle_io(struct vcpu *v, const struct hvm_io_exit *io)
{
    if (io->string) {
        string_io(v, io);
        return;
    }
    port_in_out(v, io->port, io->size, io->in);
    hvm_set_rip(v, io->next_rip);
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
