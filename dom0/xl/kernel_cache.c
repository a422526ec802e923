/* Unpacked kernels kept between runs of xl (see kernel_cache.h). */
#include "kernel_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel_image.h"
#include "read_file.h"

#define BLOCK 4096

static const char *cache_dir(void)
{
    const char *d = getenv("XL_KERNEL_CACHE");
    if (d && !strcmp(d, "off"))
        return NULL;
    return d && *d ? d : KERNEL_CACHE_DIR;
}

static int entry_path(const char *dir, const struct stat *st, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%llx-%llx-%llx-%lld.%09ld.elf", dir,
                     (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
                     (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
                     (long)st->st_mtim.tv_nsec);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int kernel_cache_get(const struct stat *st, size_t max, uint8_t **elf, size_t *len)
{
    const char *dir = cache_dir();
    char path[512], err[256];
    if (!dir || entry_path(dir, st, path, sizeof(path)) || access(path, R_OK))
        return -1;
    return read_file(path, max, elf, len, err, sizeof(err)) ? -1 : 0;
}

/* mkdir -p for the cache directory, root's only. */
static int make_dir(const char *dir)
{
    char p[512];
    if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0755) && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(p, 0700) && errno != EEXIST ? -1 : 0;
}

/* Writes the ELF with holes where it has whole blocks of zeros. */
static int write_sparse(int fd, const uint8_t *p, size_t len)
{
    static const uint8_t zeros[BLOCK];
    for (size_t at = 0; at < len;) {
        size_t n = len - at < BLOCK ? len - at : BLOCK;
        if (n == BLOCK && !memcmp(p + at, zeros, BLOCK)) {
            at += n;
            continue;
        }
        ssize_t w = pwrite(fd, p + at, n, (off_t)at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        at += (size_t)w;
    }
    return ftruncate(fd, (off_t)len);
}

/* Removes the oldest entries until at most `keep` are left. */
static void trim(const char *dir, unsigned keep)
{
    for (;;) {
        DIR *d = opendir(dir);
        if (!d)
            return;
        unsigned count = 0;
        char oldest[256] = "";
        struct timespec oldest_t = { 0, 0 };
        for (struct dirent *e; (e = readdir(d));) {
            size_t n = strlen(e->d_name);
            struct stat st;
            if (n < 4 || strcmp(e->d_name + n - 4, ".elf") || fstatat(dirfd(d), e->d_name, &st, 0))
                continue;
            count++;
            if (!oldest[0] || st.st_mtim.tv_sec < oldest_t.tv_sec ||
                (st.st_mtim.tv_sec == oldest_t.tv_sec && st.st_mtim.tv_nsec < oldest_t.tv_nsec)) {
                snprintf(oldest, sizeof(oldest), "%s", e->d_name);
                oldest_t = st.st_mtim;
            }
        }
        int done = count <= keep || !oldest[0] || unlinkat(dirfd(d), oldest, 0);
        closedir(d);
        if (done)
            return;
    }
}

void kernel_cache_put(const struct stat *st, const uint8_t *elf, size_t len)
{
    const char *dir = cache_dir();
    char path[512], tmp[560];
    if (!dir || entry_path(dir, st, path, sizeof(path)) || make_dir(dir))
        return;
    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    int rc = write_sparse(fd, elf, len);
    rc |= close(fd);
    if (rc || rename(tmp, path)) {
        unlink(tmp);
        return;
    }
    trim(dir, KERNEL_CACHE_ENTRIES);
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int kernel_image_load_cached(const char *path, struct kernel_image *k, char *err, size_t errlen)
{
    struct stat before, after;
    uint8_t *elf;
    size_t len;
    int known = !stat(path, &before) && S_ISREG(before.st_mode);
    if (known && !kernel_cache_get(&before, KERNEL_UNPACK_MAX, &elf, &len)) {
        /* A cache entry that is not a PVH ELF is ignored: unpacked again. */
        if (!kernel_image_from_buffer(elf, len, KERNEL_UNPACK_MAX, k, err, errlen)) {
            if (!strcmp(k->format, "ELF")) {
                k->format = "bzImage (xz), unpacked before";
                return 0;
            }
            kernel_image_free(k);
        }
    }
    if (kernel_image_load(path, k, err, errlen))
        return -1;
    if (known && !strcmp(k->format, "bzImage (xz)") && !stat(path, &after) &&
        same_file(&before, &after))
        kernel_cache_put(&before, k->elf, k->elf_len);
    return 0;
}
