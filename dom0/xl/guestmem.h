/*
 * Writing into a domain's memory from Dom0: its pages are mapped into xl
 * with libxenforeignmemory (privcmd's mmapbatch, which Basalt serves with
 * XENMEM_add_to_physmap_batch / XENMAPSPACE_gmfn_foreign), a chunk at a
 * time, and unmapped again so the domain's pages can be freed later.
 */
#ifndef XL_GUESTMEM_H
#define XL_GUESTMEM_H

#include <stddef.h>
#include <stdint.h>

int guestmem_open(void);
void guestmem_close(void);

/* Copies len bytes from src to domid's guest-physical address gpa.
 * Returns 0 or -errno. */
int guestmem_write(uint32_t domid, uint64_t gpa, const void *src, size_t len);

#endif
