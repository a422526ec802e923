/*
 * BCTL_DOMAIN_WRITE (hypervisor/common/hypercalls/basalt_ctl_memory.c): the
 * toolstack's bytes land in the domain's RAM at the address given, across
 * page boundaries; a page that is not the domain's RAM, a buffer the caller
 * cannot read, an oversized or malformed request stop it with how much was
 * written; and every page reference it takes is dropped again.
 */
#include "tests/lib/tap.h"
#include "tests/unit/hv/host.h"

#include "hypervisor/common/hypercalls/basalt_ctl_memory.c"

#include <basalt/memory.h>
#include <stdlib.h>

#define GFN0 0x100UL /* four pages from here are RAM, the fifth is not */

static uint8_t *page_of(struct domain *d, gfn_t gfn)
{
    mfn_t mfn = p2m_lookup(d, gfn, NULL);
    return mfn == INVALID_MFN ? NULL : mfn_to_virt(mfn);
}

static long write(struct vcpu *v, struct domain *d, uint64_t gpa, const void *buf, uint32_t size,
                  uint32_t *done)
{
    struct basalt_mem_write w = { .gpa = gpa, .buffer = (uint64_t)(uintptr_t)buf, .size = size };
    long rc = basalt_ctl_domain_write(v, d, &w);
    *done = w.size;
    return rc;
}

static bool refs_clear(struct domain *d)
{
    for (gfn_t g = GFN0; g < GFN0 + 4; g++)
        if (mfn_to_page(p2m_lookup(d, g, NULL))->refs)
            return false;
    return true;
}

int main(void)
{
    TAP_PLAN(8);
    hv_init();
    struct domain *dom0 = hv_domain(0, 1, 1024);
    struct domain *d = hv_domain(1, 1, 1024);
    struct vcpu *v = dom0->vcpus[0];
    hv_as(v);
    SETUP("populate", domain_populate(d, GFN0, 4) == 0, "no memory");

    size_t n = 3 * PAGE_SIZE + 100;
    uint8_t *src = malloc(2 * BASALT_WRITE_MAX);
    for (size_t i = 0; i < 2 * BASALT_WRITE_MAX; i++)
        src[i] = (uint8_t)(i * 7 + 1);
    uint32_t done;
    long rc = write(v, d, (GFN0 << PAGE_SHIFT) + 50, src, (uint32_t)n, &done);
    bool same = true;
    for (size_t i = 0; i < n && same; i++) {
        size_t at = 50 + i;
        same = page_of(d, GFN0 + at / PAGE_SIZE)[at % PAGE_SIZE] == src[i];
    }
    uint8_t *first = page_of(d, GFN0), *last = page_of(d, GFN0 + 3);
    CHECK("bytes land at the address given, across pages, nothing around them",
          rc == 0 && done == n && same && first[49] == 0 && last[(50 + n) % PAGE_SIZE] == 0,
          "rc %ld, %u written", rc, done);

    rc = write(v, d, (GFN0 + 3) << PAGE_SHIFT, src, 2 * PAGE_SIZE, &done);
    CHECK("a page that is not the domain's RAM stops it, with how much was written",
          rc == -EINVAL && done == PAGE_SIZE && page_of(d, GFN0 + 4) == NULL, "rc %ld, %u written", rc,
          done);
    rc = write(v, d, GFN0 << PAGE_SHIFT, src, BASALT_WRITE_MAX + 1, &done);
    CHECK("more than BASALT_WRITE_MAX is refused", rc == -EINVAL && done == 0, "rc %ld", rc);
    struct basalt_mem_write w = { .gpa = GFN0 << PAGE_SHIFT, .buffer = (uintptr_t)src, .size = 8, .pad = 1 };
    rc = basalt_ctl_domain_write(v, d, &w);
    CHECK("a non-zero pad is refused", rc == -EINVAL, "rc %ld", rc);
    rc = write(v, d, ~0ULL - 10, src, 100, &done);
    CHECK("an address range that wraps is refused", rc == -EINVAL && done == 0, "rc %ld", rc);
    memset(first, 0xaa, PAGE_SIZE);
    rc = write(v, d, GFN0 << PAGE_SHIFT, (void *)HV_BAD_GUEST_VA, 16, &done);
    CHECK("a buffer the caller cannot read is -EFAULT, nothing written", rc == -EFAULT && done == 0 &&
          first[0] == 0xaa, "rc %ld, %u written", rc, done);
    rc = write(v, d, GFN0 << PAGE_SHIFT, src, 0, &done);
    CHECK("an empty write does nothing", rc == 0 && done == 0 && first[0] == 0xaa, "rc %ld", rc);
    CHECK("every page reference taken is dropped", refs_clear(d), "a page still has a reference");

    free(src);
    hv_destroy(d);
    hv_destroy(dom0);
    TAP_EXIT();
}
