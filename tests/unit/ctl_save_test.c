/*
 * The control hypercall's save and restore commands
 * (hypervisor/common/hypercalls/basalt_ctl_save.c): BCTL_DOMAIN_READ copies
 * exactly the domain's RAM pages and says which they were, takes and drops
 * its page references, refuses malformed ranges; vCPU states are read only
 * from a suspended domain and set only while one is being built (the first
 * set masks every event channel, and records which vCPUs start); a
 * checkpoint's resume is only for a suspended domain; the memory map comes
 * back as set.
 */
#include "tests/lib/tap.h"
#include "tests/unit/hv/host.h"

#include "hypervisor/common/hypercalls/basalt_ctl_save.c"

#include <basalt/memory.h>
#include <basalt/shared_info.h>
#include <stdlib.h>

#define GFN0 0x200UL /* pages 0, 1 and 3 from here are RAM, 2 is a hole */

static long read_range(struct vcpu *v, struct domain *d, uint64_t gpa, void *buf, uint32_t size,
                       uint64_t *present)
{
    struct basalt_mem_read r = { .gpa = gpa, .buffer = (uint64_t)(uintptr_t)buf, .size = size };
    long rc = basalt_ctl_domain_read(v, d, &r);
    *present = r.present[0];
    return rc;
}

int main(void)
{
    TAP_PLAN(9);
    hv_init();
    struct domain *dom0 = hv_domain(0, 1, 1024);
    struct domain *d = hv_domain(1, 2, 1024);
    struct vcpu *v = dom0->vcpus[0];
    hv_as(v);
    SETUP("populate", domain_populate(d, GFN0, 2) == 0 && domain_populate(d, GFN0 + 3, 1) == 0, "no memory");
    for (unsigned i = 0; i < 4; i++) {
        mfn_t m = p2m_lookup(d, GFN0 + i, NULL);
        if (m != INVALID_MFN)
            memset(mfn_to_virt(m), 0x10 + i, PAGE_SIZE);
    }

    uint8_t *buf = malloc(BASALT_WRITE_MAX);
    memset(buf, 0xee, BASALT_WRITE_MAX);
    uint64_t present = 0;
    long rc = read_range(v, d, GFN0 << PAGE_SHIFT, buf, 4 * PAGE_SIZE, &present);
    bool refs = true;
    for (unsigned i = 0; i < 4; i++)
        if (i != 2)
            refs &= mfn_to_page(p2m_lookup(d, GFN0 + i, NULL))->refs == 0;
    CHECK("a read copies the RAM pages to their offsets, marks them, leaves the hole's bytes",
          rc == 0 && present == 0xb && buf[0] == 0x10 && buf[PAGE_SIZE] == 0x11 &&
          buf[2 * PAGE_SIZE] == 0xee && buf[4 * PAGE_SIZE - 1] == 0x13, "rc %ld, present 0x%llx", rc,
          (unsigned long long)present);
    CHECK("... and drops every page reference it took", refs, "a reference is left");
    struct basalt_mem_read bad[] = {
        { .gpa = (GFN0 << PAGE_SHIFT) + 8, .buffer = (uintptr_t)buf, .size = PAGE_SIZE },
        { .gpa = GFN0 << PAGE_SHIFT, .buffer = (uintptr_t)buf, .size = 100 },
        { .gpa = GFN0 << PAGE_SHIFT, .buffer = (uintptr_t)buf, .size = BASALT_WRITE_MAX + PAGE_SIZE },
        { .gpa = GFN0 << PAGE_SHIFT, .buffer = (uintptr_t)buf, .size = PAGE_SIZE, .pad = 1 },
        { .gpa = ~0ULL & ~(uint64_t)(PAGE_SIZE - 1), .buffer = (uintptr_t)buf, .size = 2 * PAGE_SIZE },
    };
    bool all_refused = true;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        all_refused &= basalt_ctl_domain_read(v, d, &bad[i]) == -EINVAL;
    CHECK("unaligned, oversized, padded and wrapping reads are refused", all_refused, "one was accepted");

    struct basalt_vcpu_state *st = calloc(1, sizeof(*st));
    struct basalt_vcpu_state_buf sb = { .vcpu = 0, .size = sizeof(*st), .buffer = (uintptr_t)st };
    rc = basalt_ctl_vcpu_state(v, d, &sb, false);
    long rc_resume = basalt_ctl_domain_resume(d);
    CHECK("a running domain's vCPU state cannot be read, nor the domain resumed",
          rc == -EINVAL && rc_resume == -EINVAL, "get %ld, resume %ld", rc, rc_resume);

    d->state = DOMAIN_SHUTDOWN;
    d->shutdown_reason = SHUTDOWN_suspend;
    struct basalt_vcpu_state_buf wrong = sb;
    wrong.size--;
    struct basalt_vcpu_state_buf missing = sb;
    missing.vcpu = 2;
    long rc_size = basalt_ctl_vcpu_state(v, d, &wrong, false);
    long rc_missing = basalt_ctl_vcpu_state(v, d, &missing, false);
    rc = basalt_ctl_vcpu_state(v, d, &sb, false);
    long rc_set = basalt_ctl_vcpu_state(v, d, &sb, true);
    CHECK("a suspended domain's state is read; a wrong size, a missing vCPU, a set are refused",
          rc == 0 && rc_size == -EINVAL && rc_missing == -ENOENT && rc_set == -EINVAL,
          "get %ld, size %ld, missing %ld, set %ld", rc, rc_size, rc_missing, rc_set);
    rc = basalt_ctl_domain_resume(d);
    CHECK("a suspended domain resumes (a checkpoint)", rc == 0 && d->state == DOMAIN_RUNNING, "rc %ld", rc);

    struct domain *n = hv_domain(2, 2, 1024);
    n->state = DOMAIN_BUILDING;
    st->flags = BASALT_VCPU_UP;
    rc = basalt_ctl_vcpu_state(v, n, &sb, true);
    st->flags = 0;
    sb.vcpu = 1;
    long rc1 = basalt_ctl_vcpu_state(v, n, &sb, true);
    bool masked = true;
    for (size_t i = 0; i < ARRAY_SIZE(n->shared_info->evtchn_mask); i++)
        masked &= n->shared_info->evtchn_mask[i] == ~0UL;
    CHECK("states set while building: vCPU 0 starts, vCPU 1 stays down, every event channel masked",
          rc == 0 && rc1 == 0 && n->restored && n->restored_up == 1 && masked,
          "rc %ld/%ld, up 0x%llx, masked %d", rc, rc1, (unsigned long long)n->restored_up, masked);
    n->entry_set = true;
    rc = basalt_ctl_vcpu_state(v, n, &sb, true);
    CHECK("... and not after an entry point was set", rc == -EINVAL, "rc %ld", rc);

    struct hvm_memmap_table_entry map[2] = { { 0, 0xa0000, XEN_HVM_MEMMAP_TYPE_RAM, 0 },
                                             { 0x100000, 0x1000000, XEN_HVM_MEMMAP_TYPE_RAM, 0 } };
    struct hvm_memmap_table_entry *out = calloc(2, sizeof(*out));
    struct basalt_memmap small = { .nr_entries = 1, .entries = (uintptr_t)out };
    struct basalt_memmap enough = { .nr_entries = 2, .entries = (uintptr_t)out };
    SETUP("memmap", domain_set_memmap(n, map, 2) == 0, "refused");
    long rc_small = basalt_ctl_get_memmap(v, n, &small);
    rc = basalt_ctl_get_memmap(v, n, &enough);
    CHECK("the memory map comes back as set; too little room is refused",
          rc_small == -EINVAL && rc == 0 && enough.nr_entries == 2 && !memcmp(out, map, sizeof(map)),
          "small %ld, rc %ld, %u entries", rc_small, rc, enough.nr_entries);
    free(out);
    free(st);
    free(buf);
    TAP_EXIT();
}
