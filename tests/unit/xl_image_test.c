/*
 * xl's kernel loading (dom0/xl/bzimage.c, xz_unpack.c, kernel_image.c,
 * read_file.c): PVH ELF kernels, bzImages with an XZ payload (with and
 * without the x86 BCJ filter), every kind of malformed image, and, when
 * `make -C images` has run, Debian's real bzImage against the vmlinux that
 * images/extract-vmlinux.sh unpacks from it.
 */
#include "tests/lib/tap.h"


#include "lib/pvh_elf.c"
#include "dom0/xl/bzimage.c"
#include "dom0/xl/xz_unpack.c"
#include "dom0/xl/read_file.c"
#include "dom0/xl/kernel_image.c"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[1024];

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

#define T_ENTRY 0x100010u
#define T_PADDR 0x100000u

/* A minimal PVH kernel: ELF64 with one PT_LOAD (code + BSS) and a PT_NOTE
 * holding Xen's PHYS32_ENTRY note. Returns its length. */
static size_t make_elf(uint8_t *b, size_t code_len)
{
    const size_t phoff = 64, note_off = phoff + 2 * 56, code_off = 0x200;
    memset(b, 0, code_off + code_len);
    memcpy(b, "\177ELF", 4);
    b[4] = 2; /* 64-bit */
    b[5] = 1; /* little-endian */
    b[6] = 1;
    put16(b + 16, 2);  /* ET_EXEC */
    put16(b + 18, 62); /* x86-64 */
    put32(b + 20, 1);
    put64(b + 32, phoff);
    put16(b + 52, 64);
    put16(b + 54, 56);
    put16(b + 56, 2);
    uint8_t *ph = b + phoff;
    put32(ph, 1); /* PT_LOAD */
    put64(ph + 8, code_off);
    put64(ph + 16, 0xffffffff80000000ull + T_PADDR);
    put64(ph + 24, T_PADDR);
    put64(ph + 32, code_len);
    put64(ph + 40, code_len + 0x3000);
    ph += 56;
    put32(ph, 4); /* PT_NOTE */
    put64(ph + 8, note_off);
    put64(ph + 32, 20);
    put64(ph + 40, 20);
    uint8_t *n = b + note_off;
    put32(n, 4);
    put32(n + 4, 4);
    put32(n + 8, 18); /* XEN_ELFNOTE_PHYS32_ENTRY */
    memcpy(n + 12, "Xen", 4);
    put32(n + 16, T_ENTRY);
    /* Code that looks like x86 (calls and jumps), so BCJ has work to do. */
    for (size_t i = 0; i < code_len; i++)
        b[code_off + i] = (uint8_t)(i % 7 == 0 ? 0xe8 : (i * 37) >> 3);
    return code_off + code_len;
}

static size_t xz_compress(const uint8_t *in, size_t len, uint8_t *out, size_t cap, int bcj)
{
    lzma_options_lzma opt;
    lzma_lzma_preset(&opt, 6);
    lzma_filter filters[3];
    int n = 0;
    if (bcj)
        filters[n++] = (lzma_filter){ LZMA_FILTER_X86, NULL };
    filters[n++] = (lzma_filter){ LZMA_FILTER_LZMA2, &opt };
    filters[n] = (lzma_filter){ LZMA_VLI_UNKNOWN, NULL };
    size_t pos = 0;
    if (lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, NULL, in, len, out, &pos, cap) !=
        LZMA_OK)
        return 0;
    return pos;
}

/* A bzImage around payload: setup_sects setup sectors (0 means 4), the
 * protected-mode code = 0x40 bytes of filler, then the payload, then the
 * 4-byte unpacked size the kernel build appends, then 16 trailing bytes. */
static size_t make_bzimage(uint8_t *b, const uint8_t *payload, size_t plen, uint32_t unpacked,
                           unsigned setup_sects)
{
    size_t pm = ((setup_sects ? setup_sects : 4) + 1) * 512;
    size_t poff = 0x40;
    memset(b, 0, pm + poff);
    b[0x1f1] = (uint8_t)setup_sects;
    put16(b + 0x1fe, 0xaa55);
    memcpy(b + 0x202, "HdrS", 4);
    put16(b + 0x206, 0x20f);
    b[0x211] = 1; /* LOADED_HIGH */
    put32(b + 0x248, (uint32_t)poff);
    put32(b + 0x24c, (uint32_t)(plen + 4));
    memcpy(b + pm + poff, payload, plen);
    put32(b + pm + poff + plen, unpacked);
    memset(b + pm + poff + plen + 4, 0xcc, 16);
    return pm + poff + plen + 4 + 16;
}

static uint8_t *dup_buf(const uint8_t *b, size_t len)
{
    uint8_t *d = malloc(len ? len : 1);
    memcpy(d, b, len);
    return d;
}

/* Loads a copy of b; returns the result and leaves k set on success. */
static int load(const uint8_t *b, size_t len, size_t max, struct kernel_image *k)
{
    err[0] = 0;
    return kernel_image_from_buffer(dup_buf(b, len), len, max, k, err, sizeof(err));
}

static int fails_with(const uint8_t *b, size_t len, const char *want)
{
    struct kernel_image k;
    if (!load(b, len, 64 << 20, &k)) {
        kernel_image_free(&k);
        snprintf(err, sizeof(err), "(accepted)");
        return 0;
    }
    return strstr(err, want) != NULL;
}

static uint8_t elf[0x10000], xz[0x20000], bz[0x40000], tmp[0x40000];

static void test_elf_and_bzimage(void)
{
    struct kernel_image k;
    size_t elf_len = make_elf(elf, 0x8000);

    CHECK("ELF kernel loads", !load(elf, elf_len, 64 << 20, &k), "%s", err);
    CHECK("ELF kernel: format, entry, segment", !strcmp(k.format, "ELF") &&
          k.info.entry == T_ENTRY && k.info.nr_segments == 1 &&
          k.info.seg[0].paddr == T_PADDR && k.info.seg[0].memsz == 0x8000 + 0x3000,
          "format %s entry %#x", k.format, k.info.entry);
    kernel_image_free(&k);

    for (int bcj = 0; bcj < 2; bcj++) {
        size_t xz_len = xz_compress(elf, elf_len, xz, sizeof(xz), bcj);
        size_t bz_len = make_bzimage(bz, xz, xz_len, (uint32_t)elf_len, 3);
        char name[64];
        snprintf(name, sizeof(name), "bzImage (xz%s) loads", bcj ? " + x86 BCJ" : "");
        int rc = load(bz, bz_len, 64 << 20, &k);
        CHECK(name, !rc, "%s", err);
        if (rc)
            continue;
        snprintf(name, sizeof(name), "bzImage (xz%s): the unpacked ELF is the original",
                 bcj ? " + x86 BCJ" : "");
        CHECK(name, !strcmp(k.format, "bzImage (xz)") && k.elf_len == elf_len &&
              !memcmp(k.elf, elf, elf_len) && k.info.entry == T_ENTRY,
              "len %zu vs %zu", k.elf_len, elf_len);
        kernel_image_free(&k);
    }

    /* setup_sects = 0 means 4 (boot.rst). */
    size_t xz_len = xz_compress(elf, elf_len, xz, sizeof(xz), 1);
    size_t bz_len = make_bzimage(bz, xz, xz_len, (uint32_t)elf_len, 0);
    CHECK("bzImage with setup_sects 0 (= 4) loads", !load(bz, bz_len, 64 << 20, &k), "%s", err);
    kernel_image_free(&k);

    /* A lying size hint (bigger than the bound) is only a hint. */
    bz_len = make_bzimage(bz, xz, xz_len, 0xfffffff0u, 3);
    CHECK("bzImage with a huge size hint loads", !load(bz, bz_len, 64 << 20, &k), "%s", err);
    kernel_image_free(&k);
    bz_len = make_bzimage(bz, xz, xz_len, 16, 3);
    CHECK("bzImage with a tiny size hint loads", !load(bz, bz_len, 64 << 20, &k), "%s", err);
    kernel_image_free(&k);

    struct bzimage_payload p;
    const char *why;
    bz_len = make_bzimage(bz, xz, xz_len, (uint32_t)elf_len, 3);
    CHECK("payload found where the header says", !bzimage_find_payload(bz, bz_len, &p, &why) &&
          p.offset == 4 * 512 + 0x40 && p.length == xz_len + 4 && p.comp == BZ_COMP_XZ &&
          p.size_hint == elf_len && p.protocol == 0x20f, "offset %zu length %zu", p.offset,
          p.length);

    CHECK("unpacked size above the bound is refused",
          load(bz, bz_len, 4096, &k) && strstr(err, "larger than"), "%s", err);
}

static void test_malformed(void)
{
    size_t elf_len = make_elf(elf, 0x8000);
    size_t xz_len = xz_compress(elf, elf_len, xz, sizeof(xz), 1);
    size_t bz_len = make_bzimage(bz, xz, xz_len, (uint32_t)elf_len, 3);

    CHECK("empty file refused", fails_with(bz, 0, "neither an ELF file nor a bzImage"), "%s", err);
    CHECK("random bytes refused", fails_with((const uint8_t *)"hello world, not a kernel", 25,
                                             "neither"), "%s", err);

    memcpy(tmp, bz, bz_len);
    put16(tmp + 0x1fe, 0x1234);
    CHECK("bad boot flag refused", fails_with(tmp, bz_len, "boot flag"), "%s", err);

    memcpy(tmp, bz, bz_len);
    put16(tmp + 0x206, 0x207);
    CHECK("boot protocol 2.07 refused", fails_with(tmp, bz_len, "older than 2.08"), "%s", err);

    memcpy(tmp, bz, bz_len);
    tmp[0x211] = 0;
    CHECK("zImage refused", fails_with(tmp, bz_len, "zImage"), "%s", err);

    memcpy(tmp, bz, bz_len);
    put32(tmp + 0x24c, (uint32_t)bz_len);
    CHECK("payload length past the end refused", fails_with(tmp, bz_len, "outside the file"),
          "%s", err);
    memcpy(tmp, bz, bz_len);
    put32(tmp + 0x248, 0xfffffff0u);
    CHECK("payload offset past the end refused", fails_with(tmp, bz_len, "outside the file"),
          "%s", err);
    memcpy(tmp, bz, bz_len);
    put32(tmp + 0x24c, 0);
    CHECK("empty payload refused", fails_with(tmp, bz_len, "outside the file"), "%s", err);
    memcpy(tmp, bz, bz_len);
    tmp[0x1f1] = 0xff;
    CHECK("setup_sects past the end refused", fails_with(tmp, bz_len, "outside the file"),
          "%s", err);

    static const struct {
        const char *name;
        uint8_t magic[4];
    } others[] = {
        { "gzip", { 0x1f, 0x8b, 8, 0 } },
        { "zstd", { 0x28, 0xb5, 0x2f, 0xfd } },
        { "lz4", { 0x02, 0x21, 0x4c, 0x18 } },
        { "bzip2", { 'B', 'Z', 'h', '9' } },
        { "lzo", { 0x89, 'L', 'Z', 'O' } },
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        memcpy(tmp, bz, bz_len);
        memcpy(tmp + 4 * 512 + 0x40, others[i].magic, 4);
        char name[64];
        snprintf(name, sizeof(name), "%s payload refused by name", others[i].name);
        CHECK(name, fails_with(tmp, bz_len, others[i].name) && strstr(err, "only xz"), "%s", err);
    }

    /* Damage inside the compressed data: the CRC32 or the decoder notices. */
    memcpy(tmp, bz, bz_len);
    tmp[4 * 512 + 0x40 + xz_len / 2] ^= 0x55;
    CHECK("corrupt XZ data refused", fails_with(tmp, bz_len, "bzImage payload:"), "%s", err);
    memcpy(tmp, bz, bz_len);
    put32(tmp + 0x24c, (uint32_t)(xz_len / 2));
    CHECK("truncated XZ stream refused", fails_with(tmp, bz_len, "truncated XZ data"), "%s", err);

    /* A payload that unpacks to something other than a PVH ELF. */
    static const uint8_t text[] = "this is not an ELF file, just some text to compress";
    size_t l = xz_compress(text, sizeof(text), xz, sizeof(xz), 0);
    size_t n = make_bzimage(tmp, xz, l, sizeof(text), 3);
    CHECK("payload that is not ELF refused", fails_with(tmp, n, "bzImage payload: not an ELF"),
          "%s", err);
    uint8_t no_note[0x9000];
    memcpy(no_note, elf, elf_len);
    put32(no_note + 64 + 56, 0); /* the PT_NOTE becomes PT_NULL */
    l = xz_compress(no_note, elf_len, xz, sizeof(xz), 0);
    n = make_bzimage(tmp, xz, l, (uint32_t)elf_len, 3);
    CHECK("payload without the PVH note refused", fails_with(tmp, n, "PHYS32_ENTRY"), "%s", err);
    CHECK("ELF without the PVH note refused", fails_with(no_note, elf_len, "PHYS32_ENTRY"),
          "%s", err);

    /* Every prefix of a good image that cuts into its payload fails
     * cleanly (no crash, no leak); the 16 bytes after the payload are
     * not part of it. */
    size_t accepted = 0;
    for (size_t cut = 0; cut < bz_len - 16; cut += 7) {
        struct kernel_image k;
        if (!load(bz, cut, 64 << 20, &k)) {
            accepted++;
            kernel_image_free(&k);
        }
    }
    CHECK("every truncated bzImage is refused", accepted == 0, "%zu accepted", accepted);
    accepted = 0;
    for (size_t cut = 0; cut < elf_len; cut += 3) {
        struct kernel_image k;
        if (!load(elf, cut, 64 << 20, &k)) {
            accepted++;
            kernel_image_free(&k);
        }
    }
    /* An ELF cut inside its code is still refused: the segment's file
     * image lies outside the file. */
    CHECK("every truncated ELF is refused", accepted == 0, "%zu accepted", accepted);
}

static void test_read_file(void)
{
    uint8_t *buf;
    size_t len;
    char path[] = "/tmp/xl_image_test.XXXXXX";
    int fd = mkstemp(path);
    SETUP("temporary file", fd >= 0, "mkstemp: %s", strerror(errno));
    if (fd < 0)
        return;
    SETUP("write the temporary file", write(fd, "abcdef", 6) == 6, "write: %s", strerror(errno));
    close(fd);
    CHECK("read_file reads a file", !read_file(path, 100, &buf, &len, err, sizeof(err)) &&
          len == 6 && !memcmp(buf, "abcdef", 6), "%s", err);
    free(buf);
    CHECK("read_file bounds the size",
          read_file(path, 5, &buf, &len, err, sizeof(err)) && strstr(err, "too large") &&
          !buf, "%s", err);
    unlink(path);
    CHECK("read_file: missing file", read_file(path, 100, &buf, &len, err, sizeof(err)) &&
          strstr(err, "No such file"), "%s", err);
    CHECK("read_file: a directory", read_file("/tmp", 100, &buf, &len, err, sizeof(err)) &&
          strstr(err, "not a regular file"), "%s", err);
    struct kernel_image k;
    CHECK("kernel_image_load names the file",
          kernel_image_load("/nonexistent/vmlinuz", &k, err, sizeof(err)) &&
          !strncmp(err, "/nonexistent/vmlinuz: ", 22), "%s", err);
}

/* $(BUILD)/images, found from this program's path $(BUILD)/tests/unit/NAME. */
static int images_dir(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return -1;
    exe[n] = 0;
    for (int i = 0; i < 3; i++) {
        char *slash = strrchr(exe, '/');
        if (!slash)
            return -1;
        *slash = 0;
    }
    return snprintf(out, len, "%s/images", exe) < (int)len ? 0 : -1;
}

static void test_debian_bzimage(void)
{
    char dir[PATH_MAX + 16], bzpath[PATH_MAX + 32], elfpath[PATH_MAX + 32];
    /* The kernel make test builds: without it these checks fail, they
     * are not skipped. */
    if (images_dir(dir, sizeof(dir))) {
        SETUP("Debian kernel images", 0, "cannot find the build directory");
        return;
    }
    snprintf(bzpath, sizeof(bzpath), "%s/vmlinuz", dir);
    snprintf(elfpath, sizeof(elfpath), "%s/vmlinux", dir);
    if (access(bzpath, R_OK) || access(elfpath, R_OK)) {
        SETUP("Debian kernel images", 0, "no %s or %s (make images)", bzpath, elfpath);
        return;
    }
    struct kernel_image k, v;
    int rc = kernel_image_load(bzpath, &k, err, sizeof(err));
    CHECK("Debian bzImage loads", !rc, "%s", err);
    if (rc)
        return;
    rc = kernel_image_load(elfpath, &v, err, sizeof(err));
    CHECK("Debian vmlinux loads", !rc, "%s", err);
    if (rc) {
        kernel_image_free(&k);
        return;
    }
    /* extract-vmlinux.sh cuts the relocation data after the ELF; the
     * unpacked payload is the same ELF with that data behind it. */
    CHECK("bzImage payload is the extracted vmlinux",
          k.elf_len >= v.elf_len && !memcmp(k.elf, v.elf, v.elf_len),
          "payload %zu bytes, vmlinux %zu", k.elf_len, v.elf_len);
    int same = k.info.entry == v.info.entry && k.info.nr_segments == v.info.nr_segments &&
               !memcmp(k.info.seg, v.info.seg, sizeof(k.info.seg[0]) * k.info.nr_segments);
    CHECK("bzImage and vmlinux give the same PVH image", same, "entry %#x vs %#x",
          k.info.entry, v.info.entry);
    CHECK("Debian kernel loads at 16 MiB with its entry inside",
          k.info.paddr_start == 0x1000000 && k.info.entry > k.info.paddr_start &&
          k.info.entry < k.info.paddr_end, "start %#llx entry %#x",
          (unsigned long long)k.info.paddr_start, k.info.entry);
    kernel_image_free(&k);
    kernel_image_free(&v);
}

int main(void)
{
    TAP_PLAN(42);
    test_elf_and_bzimage();
    test_malformed();
    test_read_file();
    test_debian_bzimage();
    TAP_EXIT();
}
