/*
 * Writing into a domain's memory from Dom0: BCTL_DOMAIN_WRITE copies from
 * xl's buffer into the domain's RAM, a MiB per call (docs/abi/control.md).
 * Mapping each page into Dom0 instead (libxenforeignmemory: privcmd's
 * mmapbatch) costs a hypercall per page to map and another to unmap.
 */
#ifndef XL_GUESTMEM_H
#define XL_GUESTMEM_H

#include <stddef.h>
#include <stdint.h>

/* Copies len bytes from src to domid's guest-physical address gpa, which
 * must be the domain's RAM. Returns 0 or -errno. */
int guestmem_write(uint32_t domid, uint64_t gpa, const void *src, size_t len);

/* The same into memory the domain has just been given, which the
 * hypervisor zeroed: pages whose bytes in src are all zero are skipped (a
 * kernel's BSS is stored as zeros in its ELF file). */
int guestmem_write_fresh(uint32_t domid, uint64_t gpa, const void *src, size_t len);

#endif
