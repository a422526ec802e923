/*
 * Nested page faults: accesses to guest-physical addresses with no RAM
 * behind them. The local APIC page (and Dom0's IOAPICs) are emulated:
 * decode the instruction, do the access, write back the register. Where
 * nothing is mapped at all, reads give all ones and writes are dropped, as
 * Xen does for PVH guests (a guest probing for an HPET carries on); an
 * instruction fetch from there, or an access we cannot decode, destroys the
 * domain.
 */
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/insn.h>
#include <asm/vioapic.h>
#include <asm/vlapic.h>
#include <asm/x86.h>
#include <basalt/dom0.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/spinlock.h>
#include <basalt/time.h>

/* Lines about accesses to nothing: a guest may probe in a loop, so at most
 * UNBACKED_LOG_BURST per second, with a count of the ones left out. */
#define UNBACKED_LOG_BURST 10

struct mmio_access {
    bool write;
    unsigned int size;
    uint64_t value;   /* for writes */
    int dest_reg;     /* for reads: register to fill, -1 for none */
    bool zero_extend, sign_extend;
    bool high_byte;   /* the destination is AH, CH, DH or BH */
    unsigned int dest_size;
};

/* Works out what a MOV-family instruction at RIP does to memory. */
static int decode_access(struct vcpu *v, struct mmio_access *a)
{
    struct insn in;
    if (hvm_fetch_insn(v, &in))
        return -EFAULT;
    a->dest_reg = -1;
    a->value = 0;
    a->zero_extend = a->sign_extend = false;
    if (in.vex)
        return -EOPNOTSUPP; /* VEX maps reuse legacy opcode numbers */
    unsigned int opsize = in.byte_op ? 1 : in.opsize;
    a->high_byte = false;
    a->size = opsize;
    a->dest_size = opsize;
    if (in.map == INSN_MAP_ONEBYTE) {
        switch (in.opcode) {
        case 0x88: case 0x89: /* mov r/m, reg */
            a->write = true;
            a->value = hvm_get_gpr(v, in.reg);
            if (in.byte_op && !in.rex && in.reg >= 4 && in.reg < 8)
                a->value = hvm_get_gpr(v, in.reg - 4) >> 8; /* AH, CH, DH, BH */
            break;
        case 0x8a: case 0x8b: /* mov reg, r/m */
            a->write = false;
            a->dest_reg = in.reg;
            if (in.byte_op && !in.rex && in.reg >= 4 && in.reg < 8) {
                a->dest_reg = in.reg - 4; /* AH, CH, DH, BH */
                a->high_byte = true;
            }
            break;
        case 0xc6: case 0xc7: /* mov r/m, imm */
            a->write = true;
            a->value = in.imm;
            if (opsize == 8)
                a->value = (uint64_t)(int64_t)(int32_t)in.imm;
            break;
        case 0xa0: case 0xa1: /* mov al/eax, moffs */
            a->write = false;
            a->dest_reg = 0;
            break;
        case 0xa2: case 0xa3: /* mov moffs, al/eax */
            a->write = true;
            a->value = hvm_get_gpr(v, 0);
            break;
        default:
            return -EOPNOTSUPP;
        }
    } else if (in.map == INSN_MAP_0F && (in.opcode == 0xb6 || in.opcode == 0xb7 ||
                                         in.opcode == 0xbe || in.opcode == 0xbf)) {
        a->write = false;
        a->dest_reg = in.reg;
        a->size = (in.opcode & 1) ? 2 : 1;
        a->dest_size = in.opsize;
        a->zero_extend = in.opcode < 0xb8;
        a->sign_extend = !a->zero_extend;
    } else {
        return -EOPNOTSUPP;
    }
    if (a->write && a->size < 8)
        a->value &= (1ULL << (a->size * 8)) - 1;
    return in.len;
}

static void write_back(struct vcpu *v, const struct mmio_access *a, uint64_t val)
{
    unsigned int reg = (unsigned int)a->dest_reg;
    if (a->sign_extend)
        val = a->size == 1 ? (uint64_t)(int64_t)(int8_t)val : (uint64_t)(int64_t)(int16_t)val;
    uint64_t old = hvm_get_gpr(v, reg);
    if (a->high_byte) {
        hvm_set_gpr(v, reg, (old & ~0xff00ULL) | ((val & 0xff) << 8));
        return;
    }
    switch (a->dest_size) {
    case 1: val = (old & ~0xffULL) | (val & 0xff); break;
    case 2: val = (old & ~0xffffULL) | (val & 0xffff); break;
    case 4: val &= 0xffffffff; break; /* 32-bit writes zero the upper half */
    default: break;
    }
    hvm_set_gpr(v, reg, val);
}

/* Registers of the emulated devices are 32 bits wide; other access sizes
 * are undefined on hardware and ignored here. */
typedef void (*mmio_fn_t)(struct vcpu *v, uint64_t gpa, bool write, uint32_t *val);

static void lapic_mmio(struct vcpu *v, uint64_t gpa, bool write, uint32_t *val)
{
    if (write)
        vlapic_mmio_write(v, (uint32_t)(gpa & 0xfff), *val);
    else
        vlapic_mmio_read(v, (uint32_t)(gpa & 0xfff), val);
}

static void ioapic_mmio(struct vcpu *v, uint64_t gpa, bool write, uint32_t *val)
{
    vioapic_mmio(v, gpa, write, val);
}

static void emulate(struct vcpu *v, uint64_t gpa, mmio_fn_t fn, const char *what)
{
    struct mmio_access a;
    int len = decode_access(v, &a);
    if (len <= 0) {
        domain_crash(v->dom, "unsupported instruction accessing the %s at rip %#lx", what, hvm_get_rip(v));
        return;
    }
    uint32_t val = (uint32_t)a.value;
    if (a.size == 4 && !(gpa & 3))
        fn(v, gpa, a.write, &val);
    else
        val = 0;
    if (!a.write && a.dest_reg >= 0)
        write_back(v, &a, val);
    hvm_set_rip(v, hvm_get_rip(v) + (uint64_t)len);
}

static bool unbacked_log_allowed(unsigned int *suppressed)
{
    static spinlock_t lock = SPINLOCK_INIT;
    static uint64_t period_start;
    static unsigned int logged, left_out;
    uint64_t now = now_ns();
    uint64_t flags = spin_lock_irqsave(&lock);
    if (now - period_start >= NSEC_PER_SEC) {
        period_start = now;
        logged = 0;
    }
    bool allowed = logged < UNBACKED_LOG_BURST;
    if (allowed) {
        logged++;
        *suppressed = left_out;
        left_out = 0;
    } else {
        left_out++;
    }
    spin_unlock_irqrestore(&lock, flags);
    return allowed;
}

static void unbacked_access(struct vcpu *v, gpaddr_t gpa)
{
    struct mmio_access a;
    int len = decode_access(v, &a);
    if (len <= 0) {
        hvm_dump_guest(v);
        domain_crash(v->dom, "unsupported instruction accessing gpa %#lx, where nothing is, at rip %#lx",
                     gpa, hvm_get_rip(v));
        return;
    }
    if (!a.write && a.dest_reg >= 0)
        write_back(v, &a, a.size >= 8 ? ~0ULL : (1ULL << (a.size * 8)) - 1);
    hvm_set_rip(v, hvm_get_rip(v) + (uint64_t)len);
    unsigned int suppressed;
    if (unbacked_log_allowed(&suppressed))
        pr_warn("d%u v%u: %u-byte %s at gpa %#lx, where nothing is: %s (%u such lines left out)\n",
                v->dom->id, v->id, a.size, a.write ? "write" : "read", gpa,
                a.write ? "dropped" : "all ones", suppressed);
}

void hvm_handle_npf(struct vcpu *v, gpaddr_t gpa, enum hvm_access access)
{
    struct domain *d = v->dom;

    if ((gpa & ~0xfffULL) == VLAPIC_BASE && !vlapic_x2apic_enabled(v) && access != HVM_ACCESS_FETCH) {
        emulate(v, gpa, lapic_mmio, "local APIC");
        return;
    }
    if (d->is_privileged && d->id == 0) {
        if (is_ioapic_page(gpa) && access != HVM_ACCESS_FETCH) {
            emulate(v, gpa, ioapic_mmio, "IOAPIC");
            return;
        }
        if (dom0_fixup_npf(d, gpa))
            return; /* device space now mapped: the access is retried */
    }
    if ((access == HVM_ACCESS_READ || access == HVM_ACCESS_WRITE) &&
        p2m_lookup(d, gpa >> PAGE_SHIFT, NULL) == INVALID_MFN) {
        unbacked_access(v, gpa);
        return;
    }
    hvm_dump_guest(v);
    static const char *const kinds[] = {
        [HVM_ACCESS_READ] = "read", [HVM_ACCESS_WRITE] = "write", [HVM_ACCESS_FETCH] = "fetch",
        [HVM_ACCESS_PAGE_WALK] = "page-table walk",
    };
    domain_crash(v->dom, "bad memory access at gpa %#lx (%s)", gpa, kinds[access]);
}
