/*
 * The part of building a domain that needs no hypervisor: reading the
 * kernel and ramdisk and laying out guest memory. Done before the domain
 * is created, so a bad kernel or a domain too small for it creates
 * nothing.
 */
#ifndef XL_PREPARE_H
#define XL_PREPARE_H

#include <stddef.h>
#include <stdint.h>

#include "build_request.h"
#include "kernel_image.h"
#include "layout.h"

/* Which setting an error is about, for "FILE:LINE: reason". */
enum build_blame {
    BLAME_NONE,
    BLAME_KERNEL,
    BLAME_RAMDISK,
    BLAME_MEMORY,
    BLAME_CMDLINE,
    BLAME_VCPUS,
};

struct build_images {
    struct kernel_image kernel;
    uint8_t *ramdisk;
    size_t ramdisk_len;
    struct domu_layout layout;
};

/* Returns 0, or -1 with a reason in err and the setting to blame. */
int build_prepare(const struct build_request *r, struct build_images *im,
                  enum build_blame *blame, char *err, size_t errlen);
void build_images_free(struct build_images *im);

/* The xl.cfg keys a blame points at, most specific first, NULL-terminated. */
const char *const *build_blame_keys(enum build_blame blame);

#endif
