/*
 * Guest-sized hypercalls are bounded per call (common/hypercalls/memory_op.c,
 * console_io.c): each call does a bounded amount of work and asks to be
 * re-executed with updated arguments, as Xen's continuations do, so a vCPU
 * can be preempted between calls; and a decrease flushes the domain's
 * translations once per batch, not once per page. The guest re-executing
 * VMMCALL is played by call() below.
 */
#include "tests/lib/tap.h"
#include "tests/unit/hv/host.h"

#include "hypervisor/common/hypercalls/memory_op.c"

#include <stdlib.h>
#include <xen/xen.h>

#define MAX_PAGES_PER_CALL 1024
#define MAX_BYTES_PER_CALL 16384
#define MAX_CHECKED_PER_CALL (8UL << 20) /* bytes of guest range checked (page walks) */

typedef long (*hypercall_t)(struct vcpu *, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

struct calls {
    unsigned int n;
    uint64_t most_pages, most_bytes, most_flushes, most_checked;
};

/* Runs a hypercall until it completes, as a guest would, noting the most
 * work one call did. */
static long call(hypercall_t fn, struct vcpu *v, uint64_t a[6], struct calls *c)
{
    for (;;) {
        hv_continued_mask = 0;
        uint64_t pages = v->dom->tot_pages, bytes = hv_console_bytes, checked = hv_range_checked;
        unsigned long flushes = hv_flushes;
        long rc = fn(v, a[1], a[2], a[3], a[4], a[5]);
        c->n++;
        uint64_t dp = pages > v->dom->tot_pages ? pages - v->dom->tot_pages : v->dom->tot_pages - pages;
        c->most_pages = MAX(c->most_pages, dp);
        c->most_bytes = MAX(c->most_bytes, hv_console_bytes - bytes);
        c->most_checked = MAX(c->most_checked, hv_range_checked - checked);
        c->most_flushes = MAX(c->most_flushes, (uint64_t)(hv_flushes - flushes));
        if (rc != HYPERCALL_RESTART || c->n > 100000)
            return rc;
        for (unsigned int i = 1; i <= 5; i++)
            if (hv_continued_mask & (1u << i))
                a[i] = hv_continued[i];
    }
}

int main(void)
{
    TAP_PLAN(11);
    hv_init();
    struct domain *d = hv_domain(1, 1, 16384);
    struct vcpu *v = d->vcpus[0];

    xen_pfn_t extents[16];
    for (unsigned int i = 0; i < 16; i++)
        extents[i] = 0x10000 + i * 512;
    struct xen_memory_reservation r = { .nr_extents = 16, .extent_order = 9, .domid = DOMID_SELF };
    set_xen_guest_handle(r.extent_start, extents);
    struct calls c = { 0 };
    long rc = call(do_memory_op, v, (uint64_t[6]){ 0, XENMEM_populate_physmap, (uintptr_t)&r }, &c);
    CHECK("populate of 16 2 MiB extents completes", rc == 16 && d->tot_pages == 8192, "rc %ld tot %lu", rc,
          d->tot_pages);
    CHECK("a bounded number of pages per call", c.most_pages <= MAX_PAGES_PER_CALL && c.n >= 8192 / MAX_PAGES_PER_CALL,
          "%lu pages in one call, %u calls", c.most_pages, c.n);

    c = (struct calls){ 0 };
    unsigned long flushes = hv_flushes;
    rc = call(do_memory_op, v, (uint64_t[6]){ 0, XENMEM_decrease_reservation, (uintptr_t)&r }, &c);
    CHECK("decrease of them completes", rc == 16 && d->tot_pages == 0, "rc %ld tot %lu", rc, d->tot_pages);
    CHECK("a bounded number of pages per call", c.most_pages <= MAX_PAGES_PER_CALL && c.n >= 8192 / MAX_PAGES_PER_CALL,
          "%lu pages in one call, %u calls", c.most_pages, c.n);
    CHECK("one flush per batch of pages, not per page", hv_flushes - flushes <= 8192 / 64 && c.most_flushes <= 16,
          "%lu flushes for 8192 pages, %lu in one call", hv_flushes - flushes, c.most_flushes);

    /* A bad extent list entry halfway stops there, with the count done. */
    extents[5] = 0x10000 + 7;
    r.extent_order = 0;
    c = (struct calls){ 0 };
    rc = call(do_memory_op, v, (uint64_t[6]){ 0, XENMEM_populate_physmap, (uintptr_t)&r }, &c);
    CHECK("a misaligned extent ends the operation with the count done", rc == 16 && d->tot_pages == 16,
          "rc %ld tot %lu", rc, d->tot_pages);

    /* console_io: 1 MiB, in bounded calls. */
    size_t big = 1 << 20;
    char *text = malloc(big);
    memset(text, 'x', big);
    c = (struct calls){ 0 };
    uint64_t before = hv_console_bytes;
    rc = call(do_console_io, v, (uint64_t[6]){ 0, CONSOLEIO_write, big, (uintptr_t)text }, &c);
    CHECK("a 1 MiB console write completes", rc == 0 && hv_console_bytes - before == big, "rc %ld wrote %lu", rc,
          hv_console_bytes - before);
    CHECK("a bounded number of bytes per call", c.most_bytes <= MAX_BYTES_PER_CALL, "%lu bytes in one call",
          c.most_bytes);
    /* 4 GiB (a guest could alias it onto a few pages): checked in bounded
     * calls, then printed in bounded calls. */
    before = hv_console_bytes;
    uint64_t checked0 = hv_range_checked;
    long first = do_console_io(v, CONSOLEIO_write, 0xffffffffULL, HV_BAD_GUEST_VA - 0x100000000ULL, 0, 0);
    CHECK("a 4 GiB write checks a bounded part per call, printing nothing yet", first == HYPERCALL_RESTART &&
          hv_range_checked - checked0 <= MAX_CHECKED_PER_CALL && hv_console_bytes == before,
          "rc %ld, checked %lu bytes", first, hv_range_checked - checked0);
    c = (struct calls){ 0 };
    before = hv_console_bytes;
    rc = call(do_console_io, v, (uint64_t[6]){ 0, CONSOLEIO_write, 12UL << 20, HV_BAD_GUEST_VA - (9UL << 20) }, &c);
    CHECK("a buffer that goes bad after 9 MiB prints nothing", rc == -EFAULT && hv_console_bytes == before &&
          c.n >= 3 && c.most_checked <= MAX_CHECKED_PER_CALL, "rc %ld, printed %lu in %u calls, %lu checked in one",
          rc, hv_console_bytes - before, c.n, c.most_checked);
    c = (struct calls){ 0 };
    rc = call(do_console_io, v, (uint64_t[6]){ 0, CONSOLEIO_write, 0xffffffffULL, HV_BAD_GUEST_VA }, &c);
    CHECK("a 4 GiB console write from a bad buffer fails at once", rc == -EFAULT && c.n == 1, "rc %ld after %u calls",
          rc, c.n);
    free(text);
    hv_destroy(d);
    TAP_EXIT();
}
