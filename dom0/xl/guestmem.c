/* Copying into a domain's memory through foreign mappings (see guestmem.h). */
#include "guestmem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenforeignmemory.h>

#include "util.h"

#define GUEST_PAGE_SIZE 4096ull
/* Pages mapped at once: big enough to amortize the mapping hypercalls,
 * small enough not to use up Dom0's unpopulated address space. */
#define MAP_CHUNK_PAGES 1024

static xenforeignmemory_handle *fmem;

int guestmem_open(void)
{
    if (fmem)
        return 0;
    fmem = xenforeignmemory_open(xl_logger(), 0);
    return fmem ? 0 : -errno;
}

void guestmem_close(void)
{
    if (fmem)
        xenforeignmemory_close(fmem);
    fmem = NULL;
}

int guestmem_write(uint32_t domid, uint64_t gpa, const void *src, size_t len)
{
    const uint8_t *from = src;
    xen_pfn_t gfns[MAP_CHUNK_PAGES];
    int errs[MAP_CHUNK_PAGES];
    int rc = guestmem_open();
    if (rc)
        return rc;
    while (len) {
        uint64_t first = gpa / GUEST_PAGE_SIZE, off = gpa % GUEST_PAGE_SIZE;
        uint64_t pages = (off + len + GUEST_PAGE_SIZE - 1) / GUEST_PAGE_SIZE;
        size_t n = pages < MAP_CHUNK_PAGES ? (size_t)pages : MAP_CHUNK_PAGES;
        for (size_t i = 0; i < n; i++)
            gfns[i] = first + i;
        uint8_t *map = xenforeignmemory_map(fmem, domid, PROT_READ | PROT_WRITE, n, gfns, errs);
        if (!map)
            return -errno;
        for (size_t i = 0; i < n; i++)
            if (errs[i]) {
                xenforeignmemory_unmap(fmem, map, n);
                return errs[i] < 0 ? errs[i] : -errs[i];
            }
        size_t chunk = n * GUEST_PAGE_SIZE - off;
        if (chunk > len)
            chunk = len;
        memcpy(map + off, from, chunk);
        if (xenforeignmemory_unmap(fmem, map, n))
            return -errno;
        from += chunk;
        gpa += chunk;
        len -= chunk;
    }
    return 0;
}
