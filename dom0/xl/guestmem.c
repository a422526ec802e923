/* Copying into a domain's memory through foreign mappings (see guestmem.h). */
#include "guestmem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenforeignmemory.h>

#include "util.h"

#define GM_PAGE 4096ull
/* Pages mapped at once: big enough to amortize the mapping hypercalls,
 * small enough not to use up Dom0's unpopulated address space. */
#define GM_CHUNK 1024

static xenforeignmemory_handle *gm_fmem;

int guestmem_open(void)
{
    if (gm_fmem)
        return 0;
    gm_fmem = xenforeignmemory_open(xl_logger(), 0);
    return gm_fmem ? 0 : -errno;
}

void guestmem_close(void)
{
    if (gm_fmem)
        xenforeignmemory_close(gm_fmem);
    gm_fmem = NULL;
}

int guestmem_write(uint32_t domid, uint64_t gpa, const void *src, size_t len)
{
    const uint8_t *from = src;
    xen_pfn_t gfns[GM_CHUNK];
    int errs[GM_CHUNK];
    int rc = guestmem_open();
    if (rc)
        return rc;
    while (len) {
        uint64_t first = gpa / GM_PAGE, off = gpa % GM_PAGE;
        uint64_t pages = (off + len + GM_PAGE - 1) / GM_PAGE;
        size_t n = pages < GM_CHUNK ? (size_t)pages : GM_CHUNK;
        for (size_t i = 0; i < n; i++)
            gfns[i] = first + i;
        uint8_t *map = xenforeignmemory_map(gm_fmem, domid, PROT_READ | PROT_WRITE, n, gfns, errs);
        if (!map)
            return -errno;
        for (size_t i = 0; i < n; i++)
            if (errs[i]) {
                xenforeignmemory_unmap(gm_fmem, map, n);
                return errs[i] < 0 ? errs[i] : -errs[i];
            }
        size_t chunk = n * GM_PAGE - off;
        if (chunk > len)
            chunk = len;
        memcpy(map + off, from, chunk);
        if (xenforeignmemory_unmap(gm_fmem, map, n))
            return -errno;
        from += chunk;
        gpa += chunk;
        len -= chunk;
    }
    return 0;
}
