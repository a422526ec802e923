/* Kernel, ramdisk and layout, before the domain exists (see prepare.h). */
#include "prepare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_cache.h"
#include "read_file.h"

int build_prepare(const struct build_request *r, struct build_images *im,
                  enum build_blame *blame, char *err, size_t errlen)
{
    memset(im, 0, sizeof(*im));
    *blame = BLAME_NONE;
    if (kernel_image_load_cached(r->kernel, &im->kernel, err, errlen)) {
        *blame = BLAME_KERNEL;
        return -1;
    }
    if (r->ramdisk && read_file(r->ramdisk, RAMDISK_FILE_MAX, &im->ramdisk, &im->ramdisk_len,
                                err, errlen)) {
        *blame = BLAME_RAMDISK;
        build_images_free(im);
        return -1;
    }
    if (r->ramdisk && !im->ramdisk_len) {
        snprintf(err, errlen, "%s: empty file", r->ramdisk);
        *blame = BLAME_RAMDISK;
        build_images_free(im);
        return -1;
    }
    struct layout_params p = {
        .mem_bytes = r->memory_mib << 20,
        .kernel = &im->kernel.info,
        .initrd_size = im->ramdisk_len,
        .cmdline = r->cmdline,
        .max_vcpus = r->max_vcpus,
        .vcpus = r->vcpus,
    };
    int rc = layout_compute(&p, &im->layout, err, errlen);
    if (rc) {
        *blame = rc == LAYOUT_ERR_CMDLINE ? BLAME_CMDLINE
               : rc == LAYOUT_ERR_VCPUS   ? BLAME_VCPUS
                                          : BLAME_MEMORY;
        build_images_free(im);
        return -1;
    }
    return 0;
}

void build_images_free(struct build_images *im)
{
    kernel_image_free(&im->kernel);
    free(im->ramdisk);
    im->ramdisk = NULL;
    im->ramdisk_len = 0;
}

const char *const *build_blame_keys(enum build_blame blame)
{
    static const char *const kernel[] = { "kernel", NULL };
    static const char *const ramdisk[] = { "ramdisk", NULL };
    static const char *const memory[] = { "memory", "maxmem", NULL };
    static const char *const cmdline[] = { "cmdline", "extra", "root", NULL };
    static const char *const vcpus[] = { "maxvcpus", "vcpus", NULL };
    static const char *const none[] = { NULL };
    switch (blame) {
    case BLAME_KERNEL: return kernel;
    case BLAME_RAMDISK: return ramdisk;
    case BLAME_MEMORY: return memory;
    case BLAME_CMDLINE: return cmdline;
    case BLAME_VCPUS: return vcpus;
    case BLAME_NONE: break;
    }
    return none;
}
