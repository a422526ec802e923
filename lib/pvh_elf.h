/*
 * Reading a PVH kernel image: an ELF file (32- or 64-bit) whose Xen note
 * PHYS32_ENTRY gives the 32-bit entry point. Segments load at their
 * physical addresses. Everything is bounds-checked: the image may be hostile.
 */
#ifndef LIB_PVH_ELF_H
#define LIB_PVH_ELF_H

#include "compat.h"

#define PVH_MAX_SEGMENTS 16

struct pvh_segment {
    uint64_t paddr;
    uint64_t offset;  /* in the file */
    uint64_t filesz;
    uint64_t memsz;
};

struct pvh_image {
    uint32_t entry;   /* PHYS32_ENTRY */
    unsigned int nr_segments;
    struct pvh_segment seg[PVH_MAX_SEGMENTS];
    uint64_t paddr_start, paddr_end; /* span of all segments */
};

/* Returns 0, or -1 with *err set to a static description. */
int pvh_elf_parse(const void *image, size_t len, struct pvh_image *out, const char **err);

/*
 * Loading a kernel whose file already sits in the memory it loads into (a
 * boot loader put it there): fills order[] with the segment indices by
 * descending load address and returns true if, copied in that order (each
 * with memmove, then its zero fill), no segment overwrites the file bytes
 * of one still to be copied. `file_at` is the file's address in that
 * memory. False: the file must be moved out of the way first.
 */
bool pvh_elf_in_place_order(const struct pvh_image *img, uint64_t file_at,
                            unsigned int order[PVH_MAX_SEGMENTS]);

/*
 * Loads the segments of a kernel whose file lies at `file_at`, in the
 * order pvh_elf_in_place_order() returned true for: each is moved to its
 * load address, then its zero fill written. Addresses are physical;
 * `phys_base` is where physical address 0 is mapped (the hypervisor's
 * direct map; a test's simulated memory).
 */
void pvh_elf_load_in_place(const struct pvh_image *img, uint64_t file_at,
                           const unsigned int order[PVH_MAX_SEGMENTS], uintptr_t phys_base);

#endif
