/* Guest page-table walks and copies to and from guest memory. */
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/page.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

void *gfn_to_virt(struct domain *d, gfn_t gfn, bool write)
{
    enum p2m_type t;
    mfn_t mfn = p2m_lookup(d, gfn, &t);
    if (mfn == INVALID_MFN)
        return NULL;
    switch (t) {
    case P2M_RAM:
    case P2M_SPECIAL:
    case P2M_GRANT:
    case P2M_FOREIGN:
        return mfn_to_virt(mfn);
    case P2M_RAM_RO:
    case P2M_GRANT_RO:
        return write ? NULL : mfn_to_virt(mfn);
    default:
        return NULL; /* device space is never touched on a guest's behalf */
    }
}

/* A paging-structure entry of size 4 or 8 at gpa, and whether the page
 * that holds it may be written (A and D bits are set only through a
 * writable mapping: a page granted read-only is never changed). */
static int read_pte(struct domain *d, gpaddr_t gpa, unsigned int size, uint64_t **ptr, bool *writable)
{
    enum p2m_type t;
    mfn_t mfn = p2m_lookup(d, gpa >> PAGE_SHIFT, &t);
    if (mfn == INVALID_MFN)
        return -EFAULT;
    switch (t) {
    case P2M_RAM:
    case P2M_SPECIAL:
    case P2M_GRANT:
    case P2M_FOREIGN:
        *writable = true;
        break;
    case P2M_RAM_RO:
    case P2M_GRANT_RO:
        *writable = false;
        break;
    default:
        return -EFAULT;
    }
    uint8_t *page = mfn_to_virt(mfn);
    *ptr = (uint64_t *)(page + (gpa & (PAGE_SIZE - 1) & ~(uint64_t)(size - 1)));
    return 0;
}

/* Sets `bits` (A, or A and D) in a 64-bit entry unless they are set; false
 * if they are missing and the entry may not be written. */
static bool set_ad(uint64_t *ep, uint64_t e, uint64_t bits, bool writable)
{
    if ((e & bits) == bits)
        return true;
    if (!writable)
        return false;
    __atomic_or_fetch(ep, bits, __ATOMIC_RELAXED);
    return true;
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
    bool wp = cr0 & X86_CR0_WP, writable;
    bool write = access & PFEC_WRITE;
    *pfec = access; /* not present, until an entry is found */

    if (!(cr0 & X86_CR0_PG)) {
        *gpa = lma ? va : (uint32_t)va;
        return 0;
    }

    if (!(cr4 & X86_CR4_PAE)) {
        /* 32-bit paging: two levels of 4-byte entries, optional 4 MiB pages. */
        uint32_t la = (uint32_t)va;
        uint64_t *pde, *pte;
        if (read_pte(d, (cr3 & 0xfffff000) + ((la >> 22) << 2), 4, &pde, &writable))
            return -EFAULT;
        uint32_t e = *(uint32_t *)pde;
        if (!(e & PTE_P))
            return -EFAULT;
        if (!entry_allows(e, access, wp))
            goto protection;
        if ((e & PTE_PS) && (cr4 & X86_CR4_PSE)) {
            *gpa = (e & 0xffc00000) | ((uint64_t)(e >> 13) & 0xff) << 32 | (la & 0x3fffff);
            return 0;
        }
        if (read_pte(d, (e & 0xfffff000) + (((la >> 12) & 0x3ff) << 2), 4, &pte, &writable))
            return -EFAULT;
        uint32_t p = *(uint32_t *)pte;
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
        uint64_t *ep;
        if (read_pte(d, table + idx * 8, 8, &ep, &writable))
            return -EFAULT;
        uint64_t e = READ_ONCE(*ep);
        if (!(e & PTE_P))
            return -EFAULT;
        if (levels == 3 && level == 3) { /* PAE PDPTEs carry no permissions */
            table = e & PTE_ADDR_MASK;
            continue;
        }
        if (!entry_allows(e, access, wp))
            goto protection;
        bool leaf = level == 1 || (level <= 3 && (e & PTE_PS));
        if (!set_ad(ep, e, leaf && write ? PTE_A | PTE_D : PTE_A, writable))
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
        uint8_t *page = gfn_to_virt(v->dom, gpa >> PAGE_SHIFT, to_guest);
        if (!page)
            return -EFAULT;
        uint8_t *p = page + (gpa & (PAGE_SIZE - 1));
        /* A 2 MiB/1 GiB guest page may still split across our 4 KiB frames. */
        chunk = MIN(chunk, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
        if (to_guest)
            memcpy(p, b, chunk);
        else
            memcpy(b, p, chunk);
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

static int copy_phys(struct domain *d, void *buf, gpaddr_t gpa, size_t n, int mode)
{
    uint8_t *b = buf;
    while (n) {
        size_t chunk = MIN(n, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
        uint8_t *page = gfn_to_virt(d, gpa >> PAGE_SHIFT, mode != 0);
        if (!page)
            return -EFAULT;
        uint8_t *p = page + (gpa & (PAGE_SIZE - 1));
        if (mode == 0)
            memcpy(b, p, chunk);
        else if (mode == 1)
            memcpy(p, b, chunk);
        else
            memset(p, 0, chunk);
        if (b)
            b += chunk;
        gpa += chunk;
        n -= chunk;
    }
    return 0;
}

int copy_from_gpa(struct domain *d, void *dst, gpaddr_t src, size_t n)
{
    return copy_phys(d, dst, src, n, 0);
}

int copy_to_gpa(struct domain *d, gpaddr_t dst, const void *src, size_t n)
{
    return copy_phys(d, (void *)src, dst, n, 1);
}

int clear_gpa(struct domain *d, gpaddr_t dst, size_t n)
{
    return copy_phys(d, NULL, dst, n, 2);
}

int guest_range_check(struct vcpu *v, gvaddr_t va, size_t n, bool write)
{
    gvaddr_t end = va + n;
    if (end < va)
        return -EFAULT;
    for (gvaddr_t p = va & PAGE_MASK; p < end; p += PAGE_SIZE) {
        gpaddr_t gpa;
        if (guest_linear_to_gpa(v, p < va ? va : p, write, &gpa) ||
            !gfn_to_virt(v->dom, gpa >> PAGE_SHIFT, write))
            return -EFAULT;
    }
    return 0;
}
