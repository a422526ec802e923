/* Fetching and decoding the guest instruction at RIP. */
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/insn.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/lib.h>

enum insn_mode hvm_insn_mode(struct vcpu *v)
{
    if (!(hvm_get_cr(v, 0) & X86_CR0_PE) || (hvm_get_rflags(v) & X86_EFLAGS_VM))
        return INSN_MODE_REAL16;
    struct hvm_segment cs;
    hvm_get_segment(v, HVM_SEG_CS, &cs);
    if ((hvm_get_efer(v) & EFER_LMA) && (cs.attr & HVM_SEG_ATTR_L))
        return INSN_MODE_LONG64;
    return (cs.attr & HVM_SEG_ATTR_DB) ? INSN_MODE_PROT32 : INSN_MODE_PROT16;
}

/* Linear address of the current instruction. */
static gvaddr_t rip_linear(struct vcpu *v)
{
    if (hvm_insn_mode(v) == INSN_MODE_LONG64)
        return hvm_get_rip(v);
    struct hvm_segment cs;
    hvm_get_segment(v, HVM_SEG_CS, &cs);
    return (uint32_t)(cs.base + hvm_get_rip(v));
}

/*
 * Without decode assists every exit that needs an instruction length walks
 * the guest's page tables for RIP. Guests exit from the same few code pages
 * over and over, so the translation of the last one is kept, keyed by CR3
 * and the p2m's flush generation (which changes whenever a mapping is
 * removed). It is a guest frame, not a pointer: the page is looked up and
 * held for each fetch, since another vCPU may balloon it out while this one
 * is in the hypervisor, where a flush does not wait for it. A guest that
 * rewrites its own page tables under an unchanged CR3 can only mislead the
 * decoding of its own instructions.
 */
static bool code_frame(struct vcpu *v, gvaddr_t la, gfn_t *gfn)
{
    struct insn_cache *c = &v->arch.insn_cache;
    uint64_t cr3 = hvm_get_cr(v, 3), gen = READ_ONCE(v->dom->p2m.flush_gen);
    gvaddr_t page = la & PAGE_MASK;
    if (c->valid && c->cr3 == cr3 && c->linear == page && c->gen == gen) {
        *gfn = c->gfn;
        return true;
    }
    gpaddr_t gpa;
    if (guest_linear_to_gpa(v, page, false, &gpa))
        return false;
    *gfn = gpa >> PAGE_SHIFT;
    *c = (struct insn_cache){ .cr3 = cr3, .linear = page, .gen = gen, .gfn = *gfn, .valid = true };
    return true;
}

int hvm_fetch_insn(struct vcpu *v, struct insn *insn)
{
    uint8_t bytes[15];
    gvaddr_t la = rip_linear(v);
    size_t off = la & (PAGE_SIZE - 1);
    gfn_t gfn;
    struct guest_frame f;
    if (off + sizeof(bytes) <= PAGE_SIZE && code_frame(v, la, &gfn) && !guest_frame_get(v->dom, gfn, false, &f)) {
        memcpy(bytes, f.va + off, sizeof(bytes));
        guest_frame_put(&f);
        return insn_decode(insn, bytes, sizeof(bytes), hvm_insn_mode(v)) == INSN_OK ? 0 : -EINVAL;
    }
    size_t n = sizeof(bytes);
    /* The instruction may end before a page boundary beyond which nothing
     * is mapped: fetch what is there, let the decoder say if it is enough. */
    size_t first = PAGE_SIZE - off;
    if (first < n && copy_from_guest(v, bytes + first, la + first, n - first))
        n = first;
    if (copy_from_guest(v, bytes, la, MIN(n, first)))
        return -EFAULT;
    int rc = insn_decode(insn, bytes, n, hvm_insn_mode(v));
    return rc == INSN_OK ? 0 : -EINVAL;
}

void hvm_advance_rip(struct vcpu *v, unsigned int len)
{
    uint64_t rip = hvm_get_rip(v) + len;
    hvm_set_rip(v, hvm_insn_mode(v) != INSN_MODE_LONG64 ? (uint32_t)rip : rip);
    /* Stepping over an instruction ends any STI/MOV SS shadow. */
    hvm_clear_interrupt_shadow(v);
}

int hvm_skip_insn(struct vcpu *v)
{
    unsigned int len = hvm_exit_insn_len(v);
    if (!len) {
        struct insn insn;
        if (hvm_fetch_insn(v, &insn))
            return -EFAULT;
        len = insn.len;
    }
    hvm_advance_rip(v, len);
    return 0;
}
