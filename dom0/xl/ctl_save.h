/*
 * The control hypercall's save and restore commands (1.2,
 * docs/abi/control.md), and the HVM parameters a save records. Buffers
 * given to the hypervisor must come from ctl_save_buffer (hypercall
 * memory). Each returns 0 or -errno.
 */
#ifndef XL_CTL_SAVE_H
#define XL_CTL_SAVE_H

#include <stddef.h>
#include <stdint.h>
#include <xen/arch-x86/hvm/start_info.h>

#include "lib/basalt_ctl.h"

/* Hypercall memory (locked, reachable by the hypervisor); NULL if none. */
void *ctl_save_buffer(size_t size);
void ctl_save_buffer_free(void *p, size_t size);

/* BCTL_DOMAIN_READ of [gpa, gpa + size) into buf (hypercall memory):
 * present[] says which pages were RAM (copied). */
int ctl_domain_read(uint32_t domid, uint64_t gpa, void *buf, uint32_t size,
                    uint64_t present[BASALT_WRITE_MAX / 4096 / 64]);
/* BCTL_VCPU_GET_STATE / SET_STATE; s is hypercall memory. */
int ctl_vcpu_state(uint32_t domid, uint32_t vcpu, struct basalt_vcpu_state *s, int set);
/* BCTL_DOMAIN_GET_MEMMAP: up to *n entries into map; *n becomes the count. */
int ctl_get_memmap(uint32_t domid, struct hvm_memmap_table_entry *map, unsigned *n);
/* HVMOP_get_param on domid. */
int xen_hvm_get_param(uint32_t domid, uint32_t index, uint64_t *value);

#endif
