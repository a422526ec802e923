/* Guest page-table walks and copies to and from guest memory. */
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/page.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

/* What the hypervisor reads on a guest's behalf, and what it may also write. */
#define READABLE (P2M_OWN_RAM | P2M_TYPE(P2M_SPECIAL) | P2M_GRANTS | P2M_TYPE(P2M_FOREIGN))
#define WRITABLE (P2M_TYPE(P2M_RAM) | P2M_TYPE(P2M_SPECIAL) | P2M_TYPE(P2M_GRANT) | P2M_TYPE(P2M_FOREIGN))

int guest_frame_get(struct domain *d, gfn_t gfn, bool write, struct guest_frame *f)
{
    enum p2m_type t;
    f->mfn = p2m_get_page(d, gfn, write ? WRITABLE : READABLE, &t);
    if (f->mfn == INVALID_MFN)
        return -EFAULT;
    f->va = mfn_to_virt(f->mfn);
    f->writable = WRITABLE & P2M_TYPE(t);
    return 0;
}

void guest_frame_put(struct guest_frame *f)
{
    page_put(f->mfn);
    f->mfn = INVALID_MFN;
    f->va = NULL;
}

/* The paging-structure entry of size 4 or 8 at gpa. */
static int read_pte(struct domain *d, gpaddr_t gpa, unsigned int size, uint64_t *e)
{
    struct guest_frame f;
    if (guest_frame_get(d, gpa >> PAGE_SHIFT, false, &f))
        return -EFAULT;
    const void *p = f.va + (gpa & (PAGE_SIZE - 1) & ~(uint64_t)(size - 1));
    *e = size == 4 ? READ_ONCE(*(const uint32_t *)p) : READ_ONCE(*(const uint64_t *)p);
    guest_frame_put(&f);
    return 0;
}

/* Sets `bits` (A, or A and D) in the 64-bit entry e at gpa unless they are
 * set; false if they are missing and the entry may not be written (a page
 * mapped read-only, granted read-only say, is never changed). */
static bool set_ad(struct domain *d, gpaddr_t gpa, uint64_t e, uint64_t bits)
{
    if ((e & bits) == bits)
        return true;
    struct guest_frame f;
    if (guest_frame_get(d, gpa >> PAGE_SHIFT, false, &f))
        return false;
    if (f.writable)
        __atomic_or_fetch((uint64_t *)(f.va + (gpa & (PAGE_SIZE - 8))), bits, __ATOMIC_RELAXED);
    guest_frame_put(&f);
    return f.writable;
}

/* Whether entry e allows the access: user accesses need U at every level;
 * writes need W, at CPL 3 always and in supervisor mode only with CR0.WP. */
static bool entry_allows(uint64_t e, uint32_t access, bool wp)
{
    if ((access & PFEC_USER) && !(e & PTE_U))
        return false;
    if ((access & PFEC_WRITE) && ((access & PFEC_USER) || wp) && !(e & PTE_W))
        return false;
    return true;
}

int guest_walk(struct vcpu *v, gvaddr_t va, uint32_t access, gpaddr_t *gpa, uint32_t *pfec)
{
    struct domain *d = v->dom;
    uint64_t cr0 = hvm_get_cr(v, 0), cr4 = hvm_get_cr(v, 4), cr3 = hvm_get_cr(v, 3);
    bool lma = hvm_get_efer(v) & EFER_LMA;
    bool wp = cr0 & X86_CR0_WP;
    bool write = access & PFEC_WRITE;
    *pfec = access; /* not present, until an entry is found */

    if (!(cr0 & X86_CR0_PG)) {
        *gpa = lma ? va : (uint32_t)va;
        return 0;
    }

    if (!(cr4 & X86_CR4_PAE)) {
        /* 32-bit paging: two levels of 4-byte entries, optional 4 MiB pages. */
        uint32_t la = (uint32_t)va;
        uint64_t e, p;
        if (read_pte(d, (cr3 & 0xfffff000) + ((la >> 22) << 2), 4, &e))
            return -EFAULT;
        if (!(e & PTE_P))
            return -EFAULT;
        if (!entry_allows(e, access, wp))
            goto protection;
        if ((e & PTE_PS) && (cr4 & X86_CR4_PSE)) {
            *gpa = (e & 0xffc00000) | ((uint64_t)(e >> 13) & 0xff) << 32 | (la & 0x3fffff);
            return 0;
        }
        if (read_pte(d, (e & 0xfffff000) + (((la >> 12) & 0x3ff) << 2), 4, &p))
            return -EFAULT;
        if (!(p & PTE_P))
            return -EFAULT;
        if (!entry_allows(p, access, wp))
            goto protection;
        *gpa = (p & 0xfffff000) | (la & 0xfff);
        return 0;
    }

    int levels;
    if (lma) {
        levels = cr4 & X86_CR4_LA57 ? 5 : 4;
        /* Non-canonical addresses fault. */
        int bits = levels == 5 ? 57 : 48;
        int64_t sva = (int64_t)(va << (64 - bits)) >> (64 - bits);
        if ((uint64_t)sva != va)
            return -EFAULT;
    } else {
        levels = 3; /* PAE */
        va = (uint32_t)va;
    }

    uint64_t table = cr3 & (levels == 3 ? 0xffffffe0ULL : PTE_ADDR_MASK);
    for (int level = levels; level >= 1; level--) {
        unsigned int idx = level == 3 && levels == 3 ? (va >> 30) & 3 : PT_INDEX(va, level);
        gpaddr_t at = table + idx * 8;
        uint64_t e;
        if (read_pte(d, at, 8, &e))
            return -EFAULT;
        if (!(e & PTE_P))
            return -EFAULT;
        if (levels == 3 && level == 3) { /* PAE PDPTEs carry no permissions */
            table = e & PTE_ADDR_MASK;
            continue;
        }
        if (!entry_allows(e, access, wp))
            goto protection;
        bool leaf = level == 1 || (level <= 3 && (e & PTE_PS));
        if (!set_ad(d, at, e, leaf && write ? PTE_A | PTE_D : PTE_A))
            return -EFAULT;
        if (leaf) {
            uint64_t size = 1ULL << (12 + 9 * (level - 1));
            *gpa = (e & PTE_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
            return 0;
        }
        table = e & PTE_ADDR_MASK;
    }
    return -EFAULT;
protection:
    *pfec |= PFEC_PRESENT;
    return -EFAULT;
}

int guest_linear_to_gpa(struct vcpu *v, gvaddr_t va, bool write, gpaddr_t *gpa)
{
    uint32_t pfec;
    return guest_walk(v, va, write ? PFEC_WRITE : 0, gpa, &pfec);
}

enum copy_mode { COPY_FROM, COPY_TO, CLEAR };

/* Copies n bytes, all within one page, between buf and gpa, holding the page. */
static int copy_frame(struct domain *d, uint8_t *buf, gpaddr_t gpa, size_t n, enum copy_mode mode)
{
    struct guest_frame f;
    if (guest_frame_get(d, gpa >> PAGE_SHIFT, mode != COPY_FROM, &f))
        return -EFAULT;
    uint8_t *p = f.va + (gpa & (PAGE_SIZE - 1));
    if (mode == COPY_FROM)
        memcpy(buf, p, n);
    else if (mode == COPY_TO)
        memcpy(p, buf, n);
    else
        memset(p, 0, n);
    guest_frame_put(&f);
    return 0;
}

/* Copies n bytes between buf and guest-linear va with the given access
 * (PFEC_WRITE is implied by to_guest); on a fault, *fault says where and
 * *pfec why. */
static int copy_linear(struct vcpu *v, void *buf, gvaddr_t va, size_t n, bool to_guest, uint32_t access,
                       uint32_t *pfec, gvaddr_t *fault)
{
    uint8_t *b = buf;
    if (to_guest)
        access |= PFEC_WRITE;
    while (n) {
        size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        gpaddr_t gpa;
        *fault = va;
        if (guest_walk(v, va, access, &gpa, pfec))
            return -EFAULT;
        /* A 2 MiB/1 GiB guest page may still split across our 4 KiB frames. */
        chunk = MIN(chunk, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
        if (copy_frame(v->dom, b, gpa, chunk, to_guest ? COPY_TO : COPY_FROM))
            return -EFAULT;
        b += chunk;
        va += chunk;
        n -= chunk;
    }
    return 0;
}

int hvm_copy_for_insn(struct vcpu *v, void *buf, gvaddr_t va, size_t n, bool to_guest, uint32_t *pfec,
                      gvaddr_t *fault)
{
    return copy_linear(v, buf, va, n, to_guest, hvm_get_cpl(v) == 3 ? PFEC_USER : 0, pfec, fault);
}

int copy_from_guest(struct vcpu *v, void *dst, gvaddr_t src, size_t n)
{
    uint32_t pfec;
    gvaddr_t fault;
    return copy_linear(v, dst, src, n, false, 0, &pfec, &fault);
}

int copy_to_guest(struct vcpu *v, gvaddr_t dst, const void *src, size_t n)
{
    uint32_t pfec;
    gvaddr_t fault;
    return copy_linear(v, (void *)src, dst, n, true, 0, &pfec, &fault);
}

static int copy_phys(struct domain *d, void *buf, gpaddr_t gpa, size_t n, enum copy_mode mode)
{
    uint8_t *b = buf;
    while (n) {
        size_t chunk = MIN(n, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
        if (copy_frame(d, b, gpa, chunk, mode))
            return -EFAULT;
        if (b)
            b += chunk;
        gpa += chunk;
        n -= chunk;
    }
    return 0;
}

int copy_from_gpa(struct domain *d, void *dst, gpaddr_t src, size_t n)
{
    return copy_phys(d, dst, src, n, COPY_FROM);
}

int copy_to_gpa(struct domain *d, gpaddr_t dst, const void *src, size_t n)
{
    return copy_phys(d, (void *)src, dst, n, COPY_TO);
}

int clear_gpa(struct domain *d, gpaddr_t dst, size_t n)
{
    return copy_phys(d, NULL, dst, n, CLEAR);
}

int guest_range_check(struct vcpu *v, gvaddr_t va, size_t n, bool write)
{
    gvaddr_t end = va + n;
    if (end < va)
        return -EFAULT;
    for (gvaddr_t p = va & PAGE_MASK; p < end; p += PAGE_SIZE) {
        gpaddr_t gpa;
        struct guest_frame f;
        if (guest_linear_to_gpa(v, p < va ? va : p, write, &gpa) ||
            guest_frame_get(v->dom, gpa >> PAGE_SHIFT, write, &f))
            return -EFAULT;
        guest_frame_put(&f);
    }
    return 0;
}
