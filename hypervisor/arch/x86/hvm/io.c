/* Port I/O exits: IN/OUT, and where port accesses go (the domain's
 * handlers, an HVM domain's 0xCF8 latch and device models); the string
 * forms go through the emulator. And each domain's I/O permission map. */
#include <asm/hvm_domain.h>
#include <asm/hvm_exits.h>
#include <asm/hvm_io.h>
#include <asm/hvm_vendor.h>
#include <asm/ioport.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

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
        if (port >= READ_ONCE(h->base) && port - READ_ONCE(h->base) < h->count)
            return h;
    }
    return NULL;
}

int ioport_rebase(struct domain *d, uint16_t old_base, uint16_t new_base)
{
    for (unsigned int i = 0; i < d->arch.nr_io_handlers; i++) {
        struct ioport_handler *h = &d->arch.io_handlers[i];
        if (h->base == old_base) {
            WRITE_ONCE(h->base, new_base);
            return 0;
        }
    }
    return -ENOENT;
}

/* Reading 0xCF8 with no device model to ask gives the latch back. */
static uint32_t cf8_read(struct vcpu *v, uint16_t port, unsigned int size)
{
    return READ_ONCE(v->dom->arch.hvm->cf8);
}

static const struct ioport_handler cf8_latch = { 0xcf8, 4, cf8_read, NULL };

void hvm_port_dest(struct vcpu *v, uint16_t port, unsigned int size, bool write, uint32_t val,
                   struct hvm_io_dest *dest)
{
    struct domain *d = v->dom;
    *dest = (struct hvm_io_dest){ .kind = HVM_IO_NOBODY };
    const struct ioport_handler *h = find_handler(d, port);
    if (h) {
        dest->kind = HVM_IO_HV;
        dest->port = h;
        return;
    }
    if (!is_hvm_domain(d))
        return;
    /* The 0xCF8 latch turns 0xCFC-0xCFF into PCI configuration requests,
     * routed by the device they name; the device model sees 0xCF8 too. */
    struct hvm_domain *hd = d->arch.hvm;
    if (port == 0xcf8 && size == 4 && write)
        WRITE_ONCE(hd->cf8, val);
    uint32_t cf8 = READ_ONCE(hd->cf8);
    uint8_t type = IOREQ_TYPE_PIO;
    uint64_t addr = port;
    if (port >= 0xcfc && port <= 0xcff && (cf8 & 0x80000000u)) {
        type = IOREQ_TYPE_PCI_CONFIG;
        addr = (uint64_t)((cf8 >> 8) & 0xffff) << 32 | (cf8 & 0xfc) | (port & 3);
    }
    int server = ioreq_select(d, type, addr, size);
    if (server >= 0) {
        dest->kind = HVM_IO_DM;
        dest->server = server;
        dest->req = (ioreq_t){ .type = type, .addr = addr, .size = size, .count = 1,
                               .dir = write ? IOREQ_WRITE : IOREQ_READ };
    } else if (port == 0xcf8 && size == 4) {
        dest->kind = HVM_IO_HV;
        dest->port = &cf8_latch;
    }
}

void hvm_port_do(struct vcpu *v, const struct hvm_io_dest *dest, uint16_t port, unsigned int size, bool write,
                 uint32_t *val)
{
    uint32_t ones = size == 4 ? 0xffffffff : (1U << (size * 8)) - 1;
    const struct ioport_handler *h = dest->kind == HVM_IO_HV ? dest->port : NULL;
    if (write) {
        if (h && h->write)
            h->write(v, port, size, *val & ones);
    } else {
        *val = h && h->read ? h->read(v, port, size) & ones : ones;
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

/* An IN's value into AL/AX/EAX; a 32-bit IN zero-extends into RAX. */
static void set_in_result(struct vcpu *v, unsigned int size, uint32_t val)
{
    uint64_t rax = hvm_get_gpr(v, HVM_REG_RAX);
    uint32_t mask = size == 4 ? 0xffffffff : (1U << (size * 8)) - 1;
    uint64_t keep = size == 4 ? 0 : rax & ~(uint64_t)mask;
    hvm_set_gpr(v, HVM_REG_RAX, keep | (val & mask));
}

/* IN or OUT of `size` bytes at AL/AX/EAX. False if it went to a device
 * model: the vCPU then waits for its answer (completion set). */
static bool port_in_out(struct vcpu *v, uint16_t port, unsigned int size, bool in, uint64_t next_rip)
{
    uint32_t mask = size == 4 ? 0xffffffff : (1U << (size * 8)) - 1;
    uint32_t val = (uint32_t)hvm_get_gpr(v, HVM_REG_RAX) & mask;
    struct hvm_io_dest dest;
    hvm_port_dest(v, port, size, !in, val, &dest);
    if (dest.kind == HVM_IO_DM) {
        dest.req.data = in ? 0 : val;
        int rc = ioreq_send(v, dest.server, &dest.req);
        if (rc == 0) {
            struct hvm_vcpu_io *io = &v->arch.io;
            io->completion = in ? HVM_IO_DONE_PIO_IN : HVM_IO_DONE_PIO_OUT;
            io->next_rip = next_rip;
            io->pio_size = (uint8_t)size;
            return false;
        }
        if (rc == -EIO) {
            domain_crash(v->dom, "device model left vCPU %u's ioreq slot busy", v->id);
            return false;
        }
        dest.kind = HVM_IO_NOBODY; /* the server went away meanwhile */
    }
    hvm_port_do(v, &dest, port, size, !in, &val);
    if (in)
        set_in_result(v, size, val);
    return true;
}

void hvm_io_complete_pio(struct vcpu *v, uint64_t data)
{
    struct hvm_vcpu_io *io = &v->arch.io;
    if (io->completion == HVM_IO_DONE_PIO_IN)
        set_in_result(v, io->pio_size, (uint32_t)data);
    hvm_set_rip(v, io->next_rip);
    hvm_clear_interrupt_shadow(v);
}

/*
 * Port I/O comes in runs (`mov $0xcf8,%edx; out; mov $0xcfc,%edx; in` for
 * each PCI configuration read). Every exit costs tens of microseconds under
 * an emulator, so after one intercepted IN/OUT we look at the instructions
 * that follow and carry out the next few IN/OUTs to intercepted ports, and
 * the immediate loads of DX between them, before re-entering the guest.
 * Only at CPL 0 (no IOPL check to repeat) and with no single-stepping or
 * interrupt shadow; anything else ends the run, and so does a port a
 * device model serves (its answer comes later).
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
            if (is_hvm_domain(v->dom) && !find_handler(v->dom, port))
                return; /* perhaps a device model's: let an exit take it */
            uint64_t rip = hvm_get_rip(v);
            if (!port_in_out(v, port, size, !(op & 2), rip + in.len))
                return;
        } else {
            return;
        }
        hvm_advance_rip(v, in.len);
    }
}

void hvm_handle_io(struct vcpu *v, const struct hvm_io_exit *io)
{
    if (io->string) {
        hvm_emulate_insn(v, "string I/O");
        return;
    }
    if (!port_in_out(v, io->port, io->size, io->in, io->next_rip))
        return; /* waiting for a device model */
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
