/*
 * The HVM domain builder in Dom0, as libxl builds a type = "hvm" guest
 * with qemu-xen and SeaBIOS: an HVM domain laid out as lib/hvm_layout.h
 * says, Xen's hvmloader loaded at its ELF addresses and entered through
 * its 32-bit entry with SeaBIOS as its "firmware" module, the HVM
 * parameters and xenstore entries hvmloader and QEMU read, then Debian's
 * QEMU started as the domain's device model (qemu_dm_args.c) and waited
 * for before vCPU 0 runs. Any failure tears down what was made (QEMU
 * included) and says which step failed.
 */
#ifndef XL_BUILD_HVM_H
#define XL_BUILD_HVM_H

#include <stddef.h>
#include <stdint.h>

#include "build_request.h"

struct xs_handle;

/* Debian's files (xen-utils-4.17, seabios), where libxl finds them. */
#define BUILD_HVM_LOADER "/usr/lib/xen-4.17/boot/hvmloader"
#define BUILD_HVM_SEABIOS "/usr/share/seabios/bios-256k.bin"
#define BUILD_HVM_FILE_MAX (4u << 20)

/* Pages of an HVM domain beyond its RAM that the hypervisor's limit must
 * allow: the special pages, QEMU's VRAM and option ROMs, hvmloader's
 * tables (libxl's LIBXL_MAXMEM_CONSTANT, 1 MiB, and one more for the
 * ROMs). */
#define BUILD_HVM_EXTRA_KIB ((BUILD_HVM_VIDEORAM_MIB + 2) * 1024 + 8 * 4)

int build_hvm(const struct build_request *r, struct xs_handle *xs, uint32_t *domid, char *err,
              size_t errlen);

#endif
