/*
 * Unpacked kernels, kept between runs of xl. Unpacking the XZ payload of
 * Debian's bzImage is most of what `xl create` spends (4.4 s of 6.6 under
 * QEMU TCG), and every create of the same kernel would repeat it: the
 * unpacked ELF is kept in KERNEL_CACHE_DIR (Dom0's RAM; its pages of
 * zeros, the kernel's BSS, are holes there), named after the kernel
 * file's device, inode, size and modification time, so a kernel that
 * changes is unpacked again. Entries are written under a temporary name
 * and renamed, so a reader never sees half of one; at most
 * KERNEL_CACHE_ENTRIES are kept, the oldest going first. The environment
 * variable XL_KERNEL_CACHE names another directory, or "off".
 */
#ifndef XL_KERNEL_CACHE_H
#define XL_KERNEL_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define KERNEL_CACHE_DIR "/var/cache/basalt/kernels"
#define KERNEL_CACHE_ENTRIES 4

/* The unpacked ELF for the kernel file st describes, in a malloc'd buffer
 * of at most max bytes: 0 if the cache has it, else -1. */
int kernel_cache_get(const struct stat *st, size_t max, uint8_t **elf, size_t *len);

/* Keeps elf for the kernel file st describes; failures only cost the next
 * create the unpacking. */
void kernel_cache_put(const struct stat *st, const uint8_t *elf, size_t len);

/* kernel_image_load (kernel_image.h) through the cache: an unpacked
 * payload is taken from it when it has one for the file, and put there
 * after unpacking (unless the file changed meanwhile). k->format then says
 * "bzImage (xz), unpacked before". */
struct kernel_image;
int kernel_image_load_cached(const char *path, struct kernel_image *k, char *err, size_t errlen);

#endif
