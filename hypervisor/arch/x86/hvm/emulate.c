/*
 * Carrying out an instruction that touched device memory, or a string port
 * I/O instruction: the emulator (arch/x86/insn/emulate.c) does the
 * instruction; the callbacks here translate its linear addresses through
 * the guest's page tables (with its privilege), copy RAM, and hand device
 * accesses to the emulated devices or a device model (mmio.c, io.c).
 *
 * A device model answers later. Its access is sent, the emulator stops
 * with nothing changed (EMUL_RETRY), and the vCPU waits off its CPU. Once
 * the answer is in, the same instruction runs again from the start: the
 * device accesses it already made are answered from the vCPU's log, in
 * order, and the next one is carried out, until the instruction completes.
 * The instruction's bytes are kept from the first run, so a guest that
 * rewrites them meanwhile cannot make the second run a different
 * instruction; one whose accesses differ on the second run (page tables
 * changed under it) is crashed.
 *
 * REP string instructions move a page's worth of elements per run: to or
 * from a device model in one request (the model copies to or from guest
 * memory itself, data_is_ptr), as Xen does.
 */
#include <asm/hvm_domain.h>
#include <asm/hvm_exits.h>
#include <asm/hvm_io.h>
#include <asm/hvm_vendor.h>
#include <asm/page.h>
#include <asm/x86.h>
#include <asm/x86_emulate.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

static struct vcpu *vcpu_of(struct emul_state *s) { return s->priv; }

static int unhandled(struct emul_state *s, const char *why)
{
    strlcpy(s->why, why, sizeof(s->why));
    return EMUL_UNHANDLEABLE;
}

static int page_fault(struct emul_state *s, uint64_t la, uint32_t pfec)
{
    s->exc = (struct emul_exception){ .vector = X86_EXC_PF, .has_error = true, .error = pfec, .cr2 = la };
    return EMUL_EXCEPTION;
}

/* Linear -> guest-physical for an access at the guest's privilege. */
static int translate(struct emul_state *s, uint64_t la, bool write, gpaddr_t *gpa)
{
    struct vcpu *v = vcpu_of(s);
    uint32_t access = (write ? PFEC_WRITE : 0) | (hvm_get_cpl(v) == 3 ? PFEC_USER : 0), pfec;
    if (guest_walk(v, la, access, gpa, &pfec))
        return page_fault(s, la, pfec);
    return EMUL_OK;
}

/* The device-access log: answered from it on a run again, else done. */

static bool same_access(const struct hvm_io_access *a, const struct hvm_io_access *b)
{
    return a->addr == b->addr && a->size == b->size && a->count == b->count && a->port == b->port &&
           a->write == b->write && a->data_is_ptr == b->data_is_ptr && a->df == b->df &&
           (!a->write || a->data_is_ptr || a->data == b->data);
}

/*
 * One device access of the instruction (count elements; with data_is_ptr,
 * `data` is the guest-physical buffer they come from or go to). Reads
 * return in a->data. EMUL_RETRY: sent to a device model.
 */
static int device_access(struct emul_state *s, struct hvm_io_access *a)
{
    struct vcpu *v = vcpu_of(s);
    struct hvm_vcpu_io *io = &v->arch.io;
    if (io->replay < io->nr_done) {
        const struct hvm_io_access *done = &io->done[io->replay++];
        if (!same_access(done, a))
            return unhandled(s, "its device accesses changed when it ran again");
        a->data = done->data;
        return EMUL_OK;
    }
    if (io->nr_done == HVM_IO_ACCESSES)
        return unhandled(s, "too many device accesses in one instruction");

    struct hvm_io_dest dest;
    if (a->port)
        hvm_port_dest(v, (uint16_t)a->addr, a->size, a->write, (uint32_t)a->data, &dest);
    else
        hvm_mmio_dest(v, a->addr, a->size, a->write, &dest);
    if (dest.kind == HVM_IO_DM) {
        dest.req.count = a->count;
        dest.req.data_is_ptr = a->data_is_ptr;
        dest.req.df = a->df;
        dest.req.data = a->write || a->data_is_ptr ? a->data : 0;
        if (!a->port && a->write && !a->data_is_ptr && a->count == 1 && hvm_mmio_bufferable(a->addr, a->size) &&
            ioreq_send_buffered(v->dom, dest.server, &dest.req)) {
            io->done[io->nr_done++] = *a;
            io->replay = io->nr_done;
            return EMUL_OK;
        }
        int rc = ioreq_send(v, dest.server, &dest.req);
        if (rc == 0) {
            io->done[io->nr_done++] = *a; /* its data comes with the answer */
            io->replay = io->nr_done;
            io->completion = HVM_IO_DONE_EMULATE;
            return EMUL_RETRY;
        }
        if (rc == -EIO)
            return unhandled(s, "the device model left the vCPU's ioreq slot busy");
        dest.kind = HVM_IO_NOBODY; /* the server went away meanwhile */
    }

    /* Here and now, element by element. */
    int64_t step = a->df ? -(int64_t)a->size : (int64_t)a->size;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t val = 0;
        uint64_t addr = a->port ? a->addr : a->addr + (uint64_t)((int64_t)i * step);
        gpaddr_t buf = a->data + (uint64_t)((int64_t)i * step);
        if (a->write) {
            if (!a->data_is_ptr)
                val = a->data;
            else if (copy_from_gpa(v->dom, &val, buf, a->size))
                val = 0; /* not RAM after all: treat as zeros */
        }
        if (a->port) {
            uint32_t v32 = (uint32_t)val;
            hvm_port_do(v, &dest, (uint16_t)addr, a->size, a->write, &v32);
            val = v32;
        } else {
            hvm_mmio_do(v, &dest, addr, a->size, a->write, &val);
        }
        if (!a->write) {
            if (a->data_is_ptr)
                copy_to_gpa(v->dom, buf, &val, a->size); /* a buffer that is no RAM is nobody's */
            else
                a->data = val;
        }
    }
    io->done[io->nr_done++] = *a;
    io->replay = io->nr_done;
    return EMUL_OK;
}

/* Device memory of `size` bytes (within a page) in power-of-two pieces. */
static int device_memory(struct emul_state *s, gpaddr_t gpa, uint8_t *buf, unsigned int size, bool write)
{
    unsigned int chunk = 8;
    while (chunk > size)
        chunk >>= 1;
    unsigned int done = 0;
    while (done < size) {
        while (chunk > size - done)
            chunk >>= 1;
        struct hvm_io_access a = { .addr = gpa + done, .size = (uint8_t)chunk, .count = 1, .write = write };
        if (write)
            memcpy(&a.data, buf + done, chunk);
        int rc = device_access(s, &a);
        if (rc)
            return rc;
        if (!write)
            memcpy(buf + done, &a.data, chunk);
        done += chunk;
    }
    return EMUL_OK;
}

/* A read or write of up to 8 bytes at a linear address: both pages are
 * translated before anything is touched, then each part goes to RAM (a
 * write to read-only RAM is dropped) or a device. */
static int linear_access(struct emul_state *s, uint64_t la, uint8_t *buf, unsigned int size, bool write)
{
    struct vcpu *v = vcpu_of(s);
    unsigned int first = (unsigned int)MIN((uint64_t)size, PAGE_SIZE - (la & (PAGE_SIZE - 1)));
    uint64_t la2 = la + first;
    if (s->mode != INSN_MODE_LONG64)
        la2 = (uint32_t)la2;
    gpaddr_t gpa[2];
    int rc = translate(s, la, write, &gpa[0]);
    if (!rc && first < size)
        rc = translate(s, la2, write, &gpa[1]);
    if (rc)
        return rc;
    for (unsigned int part = 0, off = 0; off < size; part++) {
        unsigned int n = part ? size - first : first;
        struct guest_frame f;
        if (!guest_frame_get(v->dom, gpa[part] >> PAGE_SHIFT, write, &f)) {
            uint8_t *p = f.va + (gpa[part] & (PAGE_SIZE - 1));
            if (write)
                memcpy(p, buf + off, n);
            else
                memcpy(buf + off, p, n);
            guest_frame_put(&f);
        } else if (write && !guest_frame_get(v->dom, gpa[part] >> PAGE_SHIFT, false, &f)) {
            guest_frame_put(&f); /* read-only RAM (a ROM): the write goes nowhere */
        } else if ((rc = device_memory(s, gpa[part], buf + off, n, write))) {
            return rc;
        }
        off += n;
    }
    return EMUL_OK;
}

static int op_read(struct emul_state *s, uint64_t la, void *buf, unsigned int size)
{
    return linear_access(s, la, buf, size, false);
}

static int op_write(struct emul_state *s, uint64_t la, const void *buf, unsigned int size)
{
    return linear_access(s, la, (uint8_t *)buf, size, true);
}

static int op_read_io(struct emul_state *s, uint16_t port, unsigned int size, uint32_t *val)
{
    struct hvm_io_access a = { .addr = port, .size = (uint8_t)size, .count = 1, .port = true };
    int rc = device_access(s, &a);
    *val = (uint32_t)a.data;
    return rc;
}

static int op_write_io(struct emul_state *s, uint16_t port, unsigned int size, uint32_t val)
{
    struct hvm_io_access a = { .addr = port, .size = (uint8_t)size, .count = 1, .port = true, .write = true,
                               .data = val };
    return device_access(s, &a);
}

/* Where a run of a string instruction points: RAM (RO: read-only RAM) or not. */
enum place { PLACE_RAM, PLACE_RO, PLACE_DEVICE };

static enum place place_of(struct vcpu *v, gpaddr_t gpa, bool write)
{
    struct guest_frame f;
    if (!guest_frame_get(v->dom, gpa >> PAGE_SHIFT, write, &f)) {
        guest_frame_put(&f);
        return PLACE_RAM;
    }
    if (write && !guest_frame_get(v->dom, gpa >> PAGE_SHIFT, false, &f)) {
        guest_frame_put(&f);
        return PLACE_RO;
    }
    return PLACE_DEVICE;
}

static bool df(struct emul_state *s)
{
    return s->rflags & EMUL_FLAG_DF;
}

/* RAM to RAM within the run's pages, element by element in the
 * instruction's direction (overlap behaves as the CPU's). */
static int ram_copy(struct emul_state *s, gpaddr_t src, gpaddr_t dst, unsigned int size, uint64_t reps)
{
    struct vcpu *v = vcpu_of(s);
    int64_t step = df(s) ? -(int64_t)size : (int64_t)size;
    for (uint64_t i = 0; i < reps; i++) {
        uint64_t val = 0;
        uint64_t off = (uint64_t)((int64_t)i * step);
        if (copy_from_gpa(v->dom, &val, src + off, size) || copy_to_gpa(v->dom, dst + off, &val, size))
            return unhandled(s, "guest memory went away during a string instruction");
    }
    return EMUL_OK;
}

/* The first element's address of a run, as the device model wants it:
 * with DF the run goes down from there. */
static int op_rep_movs(struct emul_state *s, uint64_t src, uint64_t dst, unsigned int size, uint64_t *reps)
{
    struct vcpu *v = vcpu_of(s);
    gpaddr_t gs, gd;
    int rc = translate(s, src, false, &gs);
    if (!rc)
        rc = translate(s, dst, true, &gd);
    if (rc)
        return rc;
    enum place ps = place_of(v, gs, false), pd = place_of(v, gd, true);
    if (ps == PLACE_RAM && pd == PLACE_RAM)
        return ram_copy(s, gs, gd, size, *reps);
    if (ps == PLACE_DEVICE && pd == PLACE_DEVICE) {
        /* Device to device: one element per run, through a buffer. */
        uint8_t b[8];
        *reps = 1;
        rc = device_memory(s, gs, b, size, false);
        return rc ? rc : device_memory(s, gd, b, size, true);
    }
    if (pd == PLACE_RO) {
        /* Into a ROM: the reads still happen (a device's may count). */
        if (ps == PLACE_RAM)
            return EMUL_OK;
        *reps = 1;
        uint8_t b[8];
        return device_memory(s, gs, b, size, false);
    }
    struct hvm_io_access a = { .size = (uint8_t)size, .count = (uint32_t)*reps, .data_is_ptr = true, .df = df(s) };
    if (ps == PLACE_DEVICE) { /* device -> RAM */
        a.addr = gs;
        a.data = gd;
    } else { /* RAM -> device */
        a.addr = gd;
        a.data = gs;
        a.write = true;
    }
    return device_access(s, &a);
}

static int op_rep_stos(struct emul_state *s, uint64_t dst, unsigned int size, uint64_t val, uint64_t *reps)
{
    struct vcpu *v = vcpu_of(s);
    gpaddr_t gd;
    int rc = translate(s, dst, true, &gd);
    if (rc)
        return rc;
    switch (place_of(v, gd, true)) {
    case PLACE_RAM: {
        int64_t step = df(s) ? -(int64_t)size : (int64_t)size;
        for (uint64_t i = 0; i < *reps; i++)
            if (copy_to_gpa(v->dom, gd + (uint64_t)((int64_t)i * step), &val, size))
                return unhandled(s, "guest memory went away during a string instruction");
        return EMUL_OK;
    }
    case PLACE_RO:
        return EMUL_OK;
    default: {
        struct hvm_io_access a = { .addr = gd, .size = (uint8_t)size, .count = (uint32_t)*reps, .write = true,
                                   .df = df(s), .data = val };
        return device_access(s, &a);
    }
    }
}

static int op_rep_ins(struct emul_state *s, uint16_t port, uint64_t dst, unsigned int size, uint64_t *reps)
{
    struct vcpu *v = vcpu_of(s);
    gpaddr_t gd;
    int rc = translate(s, dst, true, &gd);
    if (rc)
        return rc;
    if (place_of(v, gd, true) != PLACE_RAM) {
        /* Into device memory or a ROM: one element, through a buffer. */
        uint32_t val;
        *reps = 1;
        if ((rc = op_read_io(s, port, size, &val)))
            return rc;
        return place_of(v, gd, true) == PLACE_RO ? EMUL_OK : device_memory(s, gd, (uint8_t *)&val, size, true);
    }
    struct hvm_io_access a = { .addr = port, .size = (uint8_t)size, .count = (uint32_t)*reps, .port = true,
                               .data_is_ptr = true, .df = df(s), .data = gd };
    return device_access(s, &a);
}

static int op_rep_outs(struct emul_state *s, uint16_t port, uint64_t src, unsigned int size, uint64_t *reps)
{
    struct vcpu *v = vcpu_of(s);
    gpaddr_t gs;
    int rc = translate(s, src, false, &gs);
    if (rc)
        return rc;
    if (place_of(v, gs, false) != PLACE_RAM) {
        uint8_t b[8] = { 0 };
        *reps = 1;
        if ((rc = device_memory(s, gs, b, size, false)))
            return rc;
        uint32_t val;
        memcpy(&val, b, 4);
        return op_write_io(s, port, size, val);
    }
    struct hvm_io_access a = { .addr = port, .size = (uint8_t)size, .count = (uint32_t)*reps, .port = true,
                               .write = true, .data_is_ptr = true, .df = df(s), .data = gs };
    return device_access(s, &a);
}

static const struct emul_ops hvm_emul_ops = {
    .read = op_read,
    .write = op_write,
    .read_io = op_read_io,
    .write_io = op_write_io,
    .rep_movs = op_rep_movs,
    .rep_stos = op_rep_stos,
    .rep_ins = op_rep_ins,
    .rep_outs = op_rep_outs,
};

/* The emulation is over (done, faulted or refused): forget its state. */
static void emulation_done(struct hvm_vcpu_io *io)
{
    io->insn_len = 0;
    io->nr_done = io->replay = 0;
    io->completion = HVM_IO_DONE_NONE;
}

void hvm_emulate_insn(struct vcpu *v, const char *what)
{
    struct hvm_vcpu_io *io = &v->arch.io;
    if (!io->insn_len) {
        size_t n;
        if (hvm_fetch_insn_bytes(v, io->insn, &n)) {
            domain_crash(v->dom, "cannot fetch the instruction at rip %#lx (%s)", hvm_get_rip(v), what);
            emulation_done(io);
            return;
        }
        io->insn_len = (uint8_t)n;
        io->nr_done = 0;
    }
    struct insn in;
    enum insn_mode mode = hvm_insn_mode(v);
    if (insn_decode(&in, io->insn, io->insn_len, mode) != INSN_OK) {
        domain_crash(v->dom, "cannot decode the instruction at rip %#lx (%s)", hvm_get_rip(v), what);
        emulation_done(io);
        return;
    }

    struct emul_state s = { .mode = mode, .la57 = !!(hvm_get_cr(v, 4) & X86_CR4_LA57), .ops = &hvm_emul_ops,
                            .priv = v };
    for (unsigned int r = 0; r < 16; r++)
        s.gpr[r] = hvm_get_gpr(v, r);
    s.rip = hvm_get_rip(v);
    s.rflags = hvm_get_rflags(v);
    for (unsigned int i = 0; i < EMUL_NR_SEGS; i++) {
        struct hvm_segment seg;
        hvm_get_segment(v, (enum hvm_seg)i, &seg);
        s.seg[i] = (struct emul_segment){ .base = seg.base, .limit = seg.limit, .attr = seg.attr };
    }
    io->replay = 0;
    int rc = x86_emulate(&s, &in);
    switch (rc) {
    case EMUL_OK:
        for (unsigned int r = 0; r < 16; r++)
            hvm_set_gpr(v, r, s.gpr[r]);
        hvm_set_rip(v, s.rip);
        hvm_set_rflags(v, s.rflags);
        hvm_clear_interrupt_shadow(v);
        emulation_done(io);
        break;
    case EMUL_RETRY:
        break; /* the vCPU waits; hvm_io_complete runs it again */
    case EMUL_EXCEPTION:
        if (s.exc.vector == X86_EXC_PF)
            hvm_set_cr(v, 2, s.exc.cr2);
        hvm_inject_exception(v, s.exc.vector, s.exc.has_error, s.exc.error);
        emulation_done(io);
        break;
    default: {
        char bytes[3 * 15 + 1];
        for (unsigned int i = 0; i < in.len && i < 15; i++)
            snprintf(bytes + 3 * i, 4, " %02x", io->insn[i]);
        pr_warn("d%u v%u: cannot emulate the instruction at rip %#lx (%s):%s: %s\n", v->dom->id, v->id,
                hvm_get_rip(v), what, bytes, s.why);
        domain_crash(v->dom, "unemulated instruction at rip %#lx (%s): %s", hvm_get_rip(v), what, s.why);
        emulation_done(io);
        break;
    }
    }
}

void hvm_io_complete(struct vcpu *v)
{
    struct hvm_vcpu_io *io = &v->arch.io;
    uint64_t data = ioreq_take_answer(v);
    switch (io->completion) {
    case HVM_IO_DONE_EMULATE: {
        struct hvm_io_access *a = &io->done[io->nr_done - 1];
        if (!a->write && !a->data_is_ptr)
            a->data = data;
        hvm_emulate_insn(v, "device model answer");
        break;
    }
    case HVM_IO_DONE_PIO_IN:
    case HVM_IO_DONE_PIO_OUT:
        hvm_io_complete_pio(v, data);
        io->completion = HVM_IO_DONE_NONE;
        break;
    default:
        break;
    }
}
