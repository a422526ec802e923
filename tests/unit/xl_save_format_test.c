/*
 * The save file format (dom0/xl/save_format.c): a file written with the
 * writer reads back whole; a file of another kind, another format version
 * or vCPU state layout, one cut short anywhere, one with a byte changed
 * anywhere, or one whose records disagree is refused with its reason.
 * (The configuration and disk records sit between the xenstore and the
 * vCPU records; a file of version 1, which has neither, still reads.) What
 * xl create keeps of a configuration (domain_userdata.c) reads back as a
 * configuration record.
 */
#include "dom0/xl/save_format.c"
#include "dom0/xl/cfg_error.c"
#include "dom0/xl/domain_userdata.c"
#include "dom0/xl/read_file.c"
#include "dom0/xl/uuid.c"
#include "dom0/lib/write_all.c"

#include <stdlib.h>
#include <unistd.h>

#include "tests/lib/tap.h"

#define VCPUS 2

static const char pairs[] = "target\0/img\0format\0raw";
static const char config[] = "/etc/xen/g.cfg\0name = \"guest\"\nmemory = 256\n\0memory=512\0vcpus=2";

/* A small file: 2 vCPUs, 3 chunks of pages (one with a zero page and a
 * hole); with devices, a configuration and a disk record. Returns its
 * bytes (malloc'd) and length. */
static uint8_t *make_file(size_t *len, int devices)
{
    char path[] = "/tmp/xl_save_format_testXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    unlink(path);
    struct sf_writer w;
    sf_writer_init(&w, fd);
    static struct sf_domain d;
    memset(&d, 0, sizeof(d));
    strcpy(d.name, "guest");
    d.max_vcpus = VCPUS;
    d.nr_memmap = 1;
    d.max_pages = 1000;
    d.tot_pages = 2 * SF_CHUNK_PAGES + 3;
    strcpy(d.on_poweroff, "destroy");
    strcpy(d.on_reboot, "restart");
    strcpy(d.on_crash, "destroy");
    const char keys[] = "control/feature-suspend\0001\0data/x\0y";
    const void *p1[] = { &d };
    size_t l1[] = { sizeof(d) };
    const void *p2[] = { keys };
    size_t l2[] = { sizeof(keys) };
    int rc = sf_write_header(&w, 1) || sf_write_record(&w, SF_REC_DOMAIN, p1, l1, 1) ||
             sf_write_record(&w, SF_REC_XENSTORE, p2, l2, 1);
    struct sf_disk disk = { .devid = 51728 };
    const void *p3[] = { &disk, pairs };
    size_t l3[] = { sizeof(disk), sizeof(pairs) };
    const void *p4[] = { config };
    size_t l4[] = { sizeof(config) };
    if (!rc && devices)
        rc = sf_write_record(&w, SF_REC_CONFIG, p4, l4, 1) || sf_write_record(&w, SF_REC_DISK, p3, l3, 2);
    static struct sf_vcpu v;
    for (unsigned i = 0; !rc && i < VCPUS; i++) {
        memset(&v, 0, sizeof(v));
        v.vcpu = i;
        v.state.rip = 0x1000 + i;
        const void *p[] = { &v };
        size_t l[] = { sizeof(v) };
        rc = sf_write_record(&w, SF_REC_VCPU, p, l, 1);
    }
    static uint8_t pages[SF_CHUNK_PAGES][SF_PAGE_SIZE];
    for (unsigned c = 0; !rc && c < 3; c++) {
        struct sf_pages p = { .gfn = c * 1000, .count = c == 2 ? 4 : SF_CHUNK_PAGES };
        const void *parts[1 + SF_CHUNK_PAGES];
        size_t lens[1 + SF_CHUNK_PAGES];
        unsigned n = 1;
        for (unsigned i = 0; i < p.count; i++) {
            if (c == 2 && i == 1)
                continue; /* a hole */
            p.present[i / 64] |= 1ull << (i % 64);
            if (c == 2 && i == 2) {
                p.zero[0] |= 1ull << 2;
                continue;
            }
            memset(pages[i], (int)(c * 7 + i), SF_PAGE_SIZE);
            parts[n] = pages[i];
            lens[n++] = SF_PAGE_SIZE;
        }
        parts[0] = &p;
        lens[0] = sizeof(p);
        rc = sf_write_record(&w, SF_REC_PAGES, parts, lens, n);
    }
    if (!rc)
        rc = sf_write_end(&w, d.tot_pages);
    uint8_t *buf = malloc(w.offset);
    if (rc || !buf || pread(fd, buf, w.offset, 0) != (ssize_t)w.offset) {
        free(buf);
        close(fd);
        return NULL;
    }
    close(fd);
    *len = w.offset;
    return buf;
}

static int refused(const uint8_t *buf, size_t len, const char *reason, char *err, size_t errlen)
{
    struct sf_file f;
    /* A copy of exactly len bytes, so reading past it is caught. */
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, buf, len);
    int rc = sf_read(copy, len, &f, err, errlen);
    free(copy);
    return rc == -1 && strstr(err, reason) != NULL;
}

/* The file as of format version 1, its checksum made right. */
static void make_version_1(uint8_t *buf, size_t len)
{
    ((struct sf_header *)buf)->version = 1;
    struct sf_end *end = (struct sf_end *)(buf + len - sizeof(struct sf_end));
    end->crc64 = lzma_crc64(buf, len - sizeof(struct sf_end) - sizeof(struct sf_record), 0);
}

int main(void)
{
    TAP_PLAN(14);
    size_t len;
    uint8_t *buf = make_file(&len, 1);
    if (!buf) {
        TAP_FAIL("writing a save file", "%s", strerror(errno));
        return 1;
    }
    char err[256] = "";
    struct sf_file f;
    int rc = sf_read(buf, len, &f, err, sizeof(err));
    CHECK("a written file reads back: domain, keys, vCPUs, page count", rc == 0 && f.domain &&
          !strcmp(f.domain->name, "guest") && f.vcpu[1] && f.vcpu[1]->state.rip == 0x1001 &&
          f.nr_pages == 2 * SF_CHUNK_PAGES + 3 && f.xenstore_len == 35, "%s (xenstore %llu bytes)", err, (unsigned long long)f.xenstore_len);

    const uint8_t *at = f.first_pages, *data;
    const struct sf_pages *p;
    unsigned chunks = 0, ok = 1;
    while (!rc && sf_next_pages(&f, &at, &p, &data)) {
        unsigned first = 0;
        while (first < p->count && (!sf_page_bit(p->present, first) || sf_page_bit(p->zero, first)))
            first++;
        ok &= data[0] == (uint8_t)(chunks * 7 + first) && p->gfn == chunks * 1000;
        chunks++;
    }
    CHECK("its page chunks come back in order with their data", chunks == 3 && ok, "%u chunks", chunks);
    const struct sf_disk *dk = f.n_disks == 1 ? (const void *)(f.disk[0] + 1) : NULL;
    CHECK("its disk record comes back with the disk's keys",
          dk && dk->devid == 51728 && !strcmp((const char *)(dk + 1), "target") &&
          f.disk[0]->length == sizeof(*dk) + sizeof(pairs), "%u disks", f.n_disks);
    struct sf_config sc;
    int split = f.config ? sf_config_split(f.config, f.config_len, &sc) : -1;
    CHECK("its configuration comes back: the file's name, its text, the command line's settings",
          !split && !strcmp(sc.source, "/etc/xen/g.cfg") && sc.text_len == 28 &&
          !strncmp(sc.text, "name = \"guest\"\n", 15) && sc.n_overrides == 2 &&
          sc.overrides[1] && !strcmp(sc.overrides[1], "vcpus=2"), "split %d", split);

    char cfg_path[] = "/tmp/xl_save_format_cfgXXXXXX", *kept = NULL;
    const char *ov[] = { "memory=512", "name=\"b\"" };
    static const char cfg_text[] = "name = \"a\"\nvcpus = 2\n";
    int cfd = mkstemp(cfg_path);
    size_t kept_len = 0;
    int made = cfd >= 0 && write(cfd, cfg_text, sizeof(cfg_text) - 1) == sizeof(cfg_text) - 1 &&
               !userdata_config_make(cfg_path, ov, 2, &kept, &kept_len, err, sizeof(err));
    struct sf_config kc;
    CHECK("what xl create keeps of a configuration reads back as a configuration record",
          made && !sf_config_split(kept, kept_len, &kc) && !strcmp(kc.source, cfg_path) &&
          kc.text_len == sizeof(cfg_text) - 1 && !memcmp(kc.text, cfg_text, kc.text_len) &&
          kc.n_overrides == 2 && !strcmp(kc.overrides[1], "name=\"b\""), "%s", err);
    if (cfd >= 0) {
        close(cfd);
        unlink(cfg_path);
    }
    free(kept);

    size_t len1;
    uint8_t *v1 = make_file(&len1, 0);
    make_version_1(v1, len1);
    struct sf_file f1;
    rc = sf_read(v1, len1, &f1, err, sizeof(err));
    CHECK("a file of format version 1 (no configuration, no disks) still reads",
          rc == 0 && !f1.config && !f1.n_disks && f1.nr_pages == 2 * SF_CHUNK_PAGES + 3, "%s", err);
    free(v1);

    uint8_t *bad = malloc(len);
    memcpy(bad, buf, len);
    memcpy(bad, "ELF\177XXXX", 8);
    CHECK("another kind of file is refused as such", refused(bad, len, "not a Basalt save file", err, sizeof(err)),
          "%s", err);
    memcpy(bad, buf, len);
    bad[8] = 3;
    CHECK("another format version is refused, naming it", refused(bad, len, "format version 3", err, sizeof(err)),
          "%s", err);
    memcpy(bad, buf, len);
    make_version_1(bad, len);
    CHECK("a version-1 file with a record of version 2 is refused",
          refused(bad, len, "unknown record type 7", err, sizeof(err)), "%s", err);
    memcpy(bad, buf, len);
    ((struct sf_header *)bad)->vcpu_state_size += 8;
    CHECK("another vCPU state layout is refused", refused(bad, len, "vCPU state version", err, sizeof(err)),
          "%s", err);

    unsigned cut_ok = 1, cuts = 0;
    for (size_t n = 0; n < len; n += n < 256 ? 1 : 997, cuts++)
        if (!refused(buf, n, n < 8 ? "not a Basalt" : "truncated", err, sizeof(err))) {
            cut_ok = 0;
            TAP_FAIL("cut", "at %zu: %s", n, err);
            break;
        }
    CHECK("a file cut short anywhere is refused as truncated", cut_ok, "after %u cuts", cuts);

    unsigned flip_ok = 1;
    for (size_t i = sizeof(struct sf_header); i < len; i += 613) {
        memcpy(bad, buf, len);
        bad[i] ^= 0x10;
        struct sf_file g;
        if (sf_read(bad, len, &g, err, sizeof(err)) != -1) {
            flip_ok = 0;
            TAP_FAIL("flip", "byte %zu changed, accepted", i);
            break;
        }
    }
    CHECK("a file with any one byte changed is refused", flip_ok, "see above");
    memcpy(bad, buf, len);
    bad[len / 2] ^= 1;
    CHECK("a changed page byte is caught by the checksum", refused(bad, len, "checksum", err, sizeof(err)),
          "%s", err);

    /* A record that disagrees with the domain record, checksum made right:
     * a writer's bug must not become a domain. */
    memcpy(bad, buf, len);
    struct sf_domain *d = (struct sf_domain *)(bad + sizeof(struct sf_header) + sizeof(struct sf_record));
    d->tot_pages += 1;
    d->max_pages += 1;
    struct sf_end *end = (struct sf_end *)(bad + len - sizeof(struct sf_end));
    end->crc64 = lzma_crc64(bad, len - sizeof(struct sf_end) - sizeof(struct sf_record), 0);
    CHECK("a page count that disagrees with the domain record is refused",
          refused(bad, len, "pages of memory in the file", err, sizeof(err)), "%s", err);
    free(bad);
    free(buf);
    TAP_EXIT();
}
