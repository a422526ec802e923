/* Copying into a domain's memory with BCTL_DOMAIN_WRITE (see guestmem.h). */
#include "guestmem.h"

#include <string.h>

#include "ctl.h"

#define GUEST_PAGE_SIZE 4096ull

int guestmem_write(uint32_t domid, uint64_t gpa, const void *src, size_t len)
{
    const uint8_t *from = src;
    while (len) {
        struct basalt_ctl op;
        size_t n = len < BASALT_WRITE_MAX ? len : BASALT_WRITE_MAX;
        memset(&op, 0, sizeof(op));
        op.cmd = BCTL_DOMAIN_WRITE;
        op.domid = domid;
        op.u.write.gpa = gpa;
        op.u.write.buffer = (uint64_t)(uintptr_t)from;
        op.u.write.size = (uint32_t)n;
        int rc = ctl_call(&op);
        if (rc)
            return rc;
        from += n;
        gpa += n;
        len -= n;
    }
    return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
    static const uint8_t zeros[GUEST_PAGE_SIZE];
    return !memcmp(p, zeros, n);
}

int guestmem_write_fresh(uint32_t domid, uint64_t gpa, const void *src, size_t len)
{
    const uint8_t *base = src;
    size_t at = 0, run = 0; /* a run of bytes to write starts at `run` */
    while (at < len) {
        /* Up to the next page boundary in the guest. */
        size_t n = GUEST_PAGE_SIZE - ((gpa + at) % GUEST_PAGE_SIZE);
        if (n > len - at)
            n = len - at;
        if (all_zero(base + at, n)) {
            if (at > run) {
                int rc = guestmem_write(domid, gpa + run, base + run, at - run);
                if (rc)
                    return rc;
            }
            run = at + n;
        }
        at += n;
    }
    return at > run ? guestmem_write(domid, gpa + run, base + run, at - run) : 0;
}
