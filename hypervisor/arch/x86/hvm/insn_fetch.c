/* Fetching and decoding the guest instruction at RIP. */
#include <asm/hvm_exits.h>
#include <asm/hvm_io.h>
#include <asm/hvm_vendor.h>
#include <asm/insn.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

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
 * the guest's page tables for RIP and reads the code page. Guests exit from
 * the same few code pages over and over, so the last one is kept, keyed by
 * CR3 and the p2m's flush generation (which changes whenever a mapping is
 * removed), together with a page reference: another vCPU may balloon the
 * frame out while this one is in the hypervisor (a flush does not wait for
 * it), and the reference keeps the page from being freed or handed to
 * anyone else until the cache lets go of it, at the next miss or with the
 * vCPU. So a hit costs no lookup and no lock. Hypervisor pages mapped into
 * the guest (shared info, grant frames) are freed at teardown whatever
 * their references say, so they are held only for one fetch. A guest that
 * rewrites its own page tables under an unchanged CR3, or removes the page
 * it executes from, can only mislead the decoding of its own instructions.
 */
void hvm_insn_cache_drop(struct vcpu *v)
{
    struct insn_cache *c = &v->arch.insn_cache;
    if (c->valid) {
        c->valid = false;
        page_put(c->mfn);
    }
}

/* The code page at la; *once is set to a frame the caller puts after reading. */
static const uint8_t *code_page(struct vcpu *v, gvaddr_t la, struct guest_frame *once)
{
    struct insn_cache *c = &v->arch.insn_cache;
    uint64_t cr3 = hvm_get_cr(v, 3), gen = READ_ONCE(v->dom->p2m.flush_gen);
    gvaddr_t page = la & PAGE_MASK;
    once->mfn = INVALID_MFN;
    if (c->valid && c->cr3 == cr3 && c->linear == page && c->gen == gen)
        return mfn_to_virt(c->mfn);
    hvm_insn_cache_drop(v);
    gpaddr_t gpa;
    struct guest_frame f;
    if (guest_linear_to_gpa(v, page, false, &gpa) || guest_frame_get(v->dom, gpa >> PAGE_SHIFT, false, &f))
        return NULL;
    if (mfn_to_page(f.mfn)->owner == OWNER_HV) {
        *once = f;
        return f.va;
    }
    *c = (struct insn_cache){ .cr3 = cr3, .linear = page, .gen = gen, .mfn = f.mfn, .valid = true };
    return f.va;
}

int hvm_fetch_insn_bytes(struct vcpu *v, uint8_t bytes[15], size_t *len)
{
    gvaddr_t la = rip_linear(v);
    size_t off = la & (PAGE_SIZE - 1);
    struct guest_frame once;
    const uint8_t *page = off + 15 <= PAGE_SIZE ? code_page(v, la, &once) : NULL;
    if (page) {
        memcpy(bytes, page + off, 15);
        if (once.mfn != INVALID_MFN)
            guest_frame_put(&once);
        *len = 15;
        return 0;
    }
    size_t n = 15;
    /* The instruction may end before a page boundary beyond which nothing
     * is mapped: fetch what is there, let the decoder say if it is enough. */
    size_t first = PAGE_SIZE - off;
    if (first < n && copy_from_guest(v, bytes + first, la + first, n - first))
        n = first;
    if (copy_from_guest(v, bytes, la, MIN(n, first)))
        return -EFAULT;
    *len = n;
    return 0;
}

int hvm_fetch_insn(struct vcpu *v, struct insn *insn)
{
    uint8_t bytes[15];
    size_t n;
    if (hvm_fetch_insn_bytes(v, bytes, &n))
        return -EFAULT;
    return insn_decode(insn, bytes, n, hvm_insn_mode(v)) == INSN_OK ? 0 : -EINVAL;
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
