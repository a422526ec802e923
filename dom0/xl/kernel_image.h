/*
 * The guest kernel xl loads: an ELF file with the Xen PVH entry note
 * (lib/pvh_elf.h), or a bzImage whose XZ payload is such an ELF (what
 * Debian ships as /boot/vmlinuz-*). Also reads the initrd. Nothing here
 * talks to the hypervisor.
 */
#ifndef XL_KERNEL_IMAGE_H
#define XL_KERNEL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/pvh_elf.h"

/* Bounds on what xl reads into memory: a guest kernel or initrd must fit
 * below 4 GiB in the guest anyway, and Dom0 is small. */
#define KERNEL_FILE_MAX   (256ull << 20)
#define KERNEL_UNPACK_MAX (512ull << 20)
#define RAMDISK_FILE_MAX  (1ull << 30)

struct kernel_image {
    uint8_t *elf;               /* the ELF image (owned) */
    size_t elf_len;
    struct pvh_image info;      /* its segments and PVH entry */
    const char *format;         /* "ELF" or "bzImage (xz)" */
};

/*
 * Takes over buf (malloc'd, len bytes: the kernel file's contents) and
 * makes k from it; unpack_max bounds an unpacked bzImage payload.
 * Returns 0, or -1 with a reason in err (buf is freed either way).
 */
int kernel_image_from_buffer(uint8_t *buf, size_t len, size_t unpack_max,
                             struct kernel_image *k, char *err, size_t errlen);

/* Reads and parses the kernel at path. 0, or -1 with "PATH: reason" in err. */
int kernel_image_load(const char *path, struct kernel_image *k, char *err, size_t errlen);

void kernel_image_free(struct kernel_image *k);

#endif
