/* The save file format (see save_format.h, docs/save-format.md). */
#include "save_format.h"
#include "cfg_error.h"

#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <string.h>

#include "dom0/lib/write_all.h"

_Static_assert(sizeof(struct sf_header) == 64, "header layout");
_Static_assert(sizeof(struct sf_record) == 16, "record header layout");
_Static_assert(sizeof(struct sf_pages) % 8 == 0, "pages record layout");
_Static_assert(sizeof(struct sf_domain) % 8 == 0, "domain record layout");
_Static_assert(sizeof(struct sf_vcpu) % 8 == 0, "vCPU record layout");

static const uint8_t zeros[8];

static uint64_t pad8(uint64_t n)
{
    return (8 - (n & 7)) & 7;
}

void sf_writer_init(struct sf_writer *w, int fd)
{
    w->fd = fd;
    w->crc = 0;
    w->offset = 0;
}

static int put(struct sf_writer *w, const void *p, size_t n)
{
    if (!n)
        return 0;
    if (write_all(w->fd, p, n))
        return -errno;
    w->crc = lzma_crc64(p, n, w->crc);
    w->offset += n;
    return 0;
}

int sf_write_header(struct sf_writer *w, uint64_t saved_at)
{
    struct sf_header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, SF_MAGIC, sizeof(h.magic));
    h.version = SF_VERSION;
    h.header_size = sizeof(h);
    h.page_size = SF_PAGE_SIZE;
    h.vcpu_state_size = sizeof(struct basalt_vcpu_state);
    h.vcpu_state_version = BASALT_VCPU_STATE_VERSION;
    h.saved_at = saved_at;
    return put(w, &h, sizeof(h));
}

int sf_write_record(struct sf_writer *w, uint32_t type, const void *const *parts, const size_t *lens,
                    unsigned n)
{
    struct sf_record rec = { .type = type };
    for (unsigned i = 0; i < n; i++)
        rec.length += lens[i];
    int rc = put(w, &rec, sizeof(rec));
    for (unsigned i = 0; !rc && i < n; i++)
        rc = put(w, parts[i], lens[i]);
    return rc ? rc : put(w, zeros, pad8(rec.length));
}

int sf_write_end(struct sf_writer *w, uint64_t nr_pages)
{
    struct sf_record rec = { .type = SF_REC_END, .length = sizeof(struct sf_end) };
    struct sf_end end = { .crc64 = w->crc, .nr_pages = nr_pages };
    int rc = put(w, &rec, sizeof(rec));
    return rc ? rc : put(w, &end, sizeof(end));
}

int sf_page_bit(const uint64_t *bits, unsigned i)
{
    return (bits[i / 64] >> (i % 64)) & 1;
}

static int check_header(const uint8_t *buf, uint64_t len, char *err, size_t errlen)
{
    const struct sf_header *h = (const void *)buf;
    if (len < sizeof(h->magic) || memcmp(h->magic, SF_MAGIC, sizeof(h->magic)))
        return cfg_fail(err, errlen, "not a Basalt save file (no '%s' signature)", SF_MAGIC);
    if (len < sizeof(*h))
        return cfg_fail(err, errlen, "truncated: %llu bytes, shorter than its header",
                    (unsigned long long)len);
    if (h->version < SF_VERSION_MIN || h->version > SF_VERSION)
        return cfg_fail(err, errlen, "save file format version %u; this xl reads versions %u to %u",
                    h->version, SF_VERSION_MIN, SF_VERSION);
    if (h->header_size != sizeof(*h) || h->page_size != SF_PAGE_SIZE || h->flags)
        return cfg_fail(err, errlen, "header of an unknown layout (size %u, page size %u, flags 0x%x)",
                    h->header_size, h->page_size, h->flags);
    for (size_t i = 0; i < sizeof(h->reserved); i++)
        if (h->reserved[i])
            return cfg_fail(err, errlen, "header of an unknown layout (reserved bytes set)");
    if (h->vcpu_state_size != sizeof(struct basalt_vcpu_state) ||
        h->vcpu_state_version != BASALT_VCPU_STATE_VERSION)
        return cfg_fail(err, errlen,
                    "vCPU state version %u (%u bytes); this xl and hypervisor use version %u (%zu bytes)",
                    h->vcpu_state_version, h->vcpu_state_size, BASALT_VCPU_STATE_VERSION,
                    sizeof(struct basalt_vcpu_state));
    return 0;
}

/* Finds the end record, every record in bounds on the way; *end_rec is
 * its header. */
static int walk(const uint8_t *buf, uint64_t len, const uint8_t **end_rec, char *err, size_t errlen)
{
    uint64_t at = sizeof(struct sf_header);
    /* Version 1 knew the first five record types only. */
    uint32_t last_type = ((const struct sf_header *)buf)->version == 1 ? SF_REC_END : SF_REC_CONFIG;
    for (;;) {
        if (len - at < sizeof(struct sf_record))
            return cfg_fail(err, errlen,
                        "truncated: the file ends at byte %llu without its end record",
                        (unsigned long long)len);
        const struct sf_record *r = (const void *)(buf + at);
        if (r->type < SF_REC_DOMAIN || r->type > last_type || r->pad)
            return cfg_fail(err, errlen, "corrupted: unknown record type %u at byte %llu", r->type,
                        (unsigned long long)at);
        uint64_t room = len - at - sizeof(*r);
        if (r->length > room || pad8(r->length) > room - r->length)
            return cfg_fail(err, errlen,
                        "truncated: a record at byte %llu needs %llu bytes, the file has %llu more",
                        (unsigned long long)at, (unsigned long long)r->length,
                        (unsigned long long)room);
        if (r->type == SF_REC_END) {
            if (r->length != sizeof(struct sf_end))
                return cfg_fail(err, errlen, "corrupted: end record of %llu bytes",
                            (unsigned long long)r->length);
            if (room != r->length)
                return cfg_fail(err, errlen, "corrupted: %llu bytes after the end record",
                            (unsigned long long)(room - r->length));
            *end_rec = buf + at;
            return 0;
        }
        at += sizeof(*r) + r->length + pad8(r->length);
    }
}

static int check_domain(const struct sf_record *r, struct sf_file *f, char *err, size_t errlen)
{
    const struct sf_domain *d = (const void *)(r + 1);
    if (r->length != sizeof(*d))
        return cfg_fail(err, errlen, "domain record of %llu bytes, not %zu",
                    (unsigned long long)r->length, sizeof(*d));
    if (!memchr(d->name, 0, sizeof(d->name)) || !d->name[0])
        return cfg_fail(err, errlen, "domain record without a name");
    if (d->max_vcpus < 1 || d->max_vcpus > SF_MAX_VCPUS || d->nr_memmap < 1 ||
        d->nr_memmap > SF_MAX_MEMMAP || d->tot_pages > d->max_pages ||
        !memchr(d->on_poweroff, 0, SF_ACTION_LEN) || !memchr(d->on_reboot, 0, SF_ACTION_LEN) ||
        !memchr(d->on_crash, 0, SF_ACTION_LEN))
        return cfg_fail(err, errlen, "domain record of domain '%s' out of range", d->name);
    f->domain = d;
    return 0;
}

static int check_vcpu(const struct sf_record *r, struct sf_file *f, char *err, size_t errlen)
{
    const struct sf_vcpu *v = (const void *)(r + 1);
    if (r->length != sizeof(*v))
        return cfg_fail(err, errlen, "vCPU record of %llu bytes, not %zu", (unsigned long long)r->length,
                    sizeof(*v));
    if (v->vcpu >= f->domain->max_vcpus || f->vcpu[v->vcpu])
        return cfg_fail(err, errlen, "vCPU record for vCPU %u: out of range or twice", v->vcpu);
    f->vcpu[v->vcpu] = v;
    return 0;
}

static int check_pages(const struct sf_record *r, uint64_t *next_gfn, struct sf_file *f, char *err,
                       size_t errlen)
{
    const struct sf_pages *p = (const void *)(r + 1);
    if (r->length < sizeof(*p) || !p->count || p->count > SF_CHUNK_PAGES || p->pad ||
        p->gfn < *next_gfn || p->gfn + p->count < p->gfn)
        return cfg_fail(err, errlen, "page record at gfn 0x%llx: bad header or out of order",
                    (unsigned long long)(r->length < sizeof(*p) ? 0 : p->gfn));
    uint64_t data_pages = 0, present = 0;
    for (unsigned i = 0; i < SF_CHUNK_PAGES; i++) {
        int pr = sf_page_bit(p->present, i), z = sf_page_bit(p->zero, i);
        if ((i >= p->count && (pr || z)) || (z && !pr))
            return cfg_fail(err, errlen, "page record at gfn 0x%llx: inconsistent bitmaps",
                        (unsigned long long)p->gfn);
        present += pr;
        data_pages += pr && !z;
    }
    if (r->length != sizeof(*p) + data_pages * SF_PAGE_SIZE)
        return cfg_fail(err, errlen, "page record at gfn 0x%llx: %llu bytes for %llu pages of data",
                    (unsigned long long)p->gfn, (unsigned long long)r->length,
                    (unsigned long long)data_pages);
    *next_gfn = p->gfn + p->count;
    f->nr_pages += present;
    return 0;
}

/* Where a record type stands in the file's order. */
static unsigned rank(uint32_t type)
{
    switch (type) {
    case 0: return 0; /* before the first record */
    case SF_REC_DOMAIN: return 1;
    case SF_REC_XENSTORE: return 2;
    case SF_REC_CONFIG: return 3;
    case SF_REC_DISK: return 4;
    case SF_REC_VCPU: return 5;
    case SF_REC_PAGES: return 6;
    default: return 7;
    }
}

static int check_disk(const struct sf_record *r, struct sf_file *f, char *err, size_t errlen)
{
    const struct sf_disk *d = (const void *)(r + 1);
    if (r->length < sizeof(*d) || d->pad || f->n_disks == SF_MAX_DISKS ||
        (r->length > sizeof(*d) && ((const char *)(r + 1))[r->length - 1]))
        return cfg_fail(err, errlen, "disk record at byte %llu out of range",
                    (unsigned long long)((const uint8_t *)r - (const uint8_t *)f->header));
    f->disk[f->n_disks++] = r;
    return 0;
}

int sf_config_split(const char *buf, uint64_t len, struct sf_config *c)
{
    memset(c, 0, sizeof(*c));
    if (!len || buf[len - 1])
        return -1;
    const char *end = buf + len, *text = buf + strlen(buf) + 1;
    if (text >= end)
        return -1;
    c->source = buf;
    c->text = text;
    c->text_len = strlen(text);
    for (const char *o = text + c->text_len + 1; o < end; o += strlen(o) + 1) {
        if (c->n_overrides == SF_MAX_OVERRIDES)
            return -1;
        c->overrides[c->n_overrides++] = o;
    }
    return 0;
}

static int check_config(const struct sf_record *r, struct sf_file *f, char *err, size_t errlen)
{
    struct sf_config c;
    if (f->config || sf_config_split((const char *)(r + 1), r->length, &c))
        return cfg_fail(err, errlen, "configuration record twice, or not of its form");
    f->config = (const char *)(r + 1);
    f->config_len = r->length;
    return 0;
}

int sf_read(const void *buf_, uint64_t len, struct sf_file *f, char *err, size_t errlen)
{
    const uint8_t *buf = buf_;
    const uint8_t *end_rec = NULL;
    memset(f, 0, sizeof(*f));
    if (check_header(buf, len, err, errlen) || walk(buf, len, &end_rec, err, errlen))
        return -1;
    const struct sf_end *end = (const void *)(end_rec + sizeof(struct sf_record));
    if (lzma_crc64(buf, (size_t)(end_rec - buf), 0) != end->crc64)
        return cfg_fail(err, errlen, "corrupted: the checksum does not match the contents");

    f->header = (const void *)buf;
    f->end = end_rec;
    uint64_t next_gfn = 0;
    const uint8_t *at = buf + sizeof(struct sf_header);
    uint32_t last = 0;
    while (at < end_rec) {
        const struct sf_record *r = (const void *)at;
        if (r->type == SF_REC_DOMAIN ? last != 0 : !f->domain)
            return cfg_fail(err, errlen, "the domain record is not the first, or comes twice");
        if (rank(r->type) < rank(last) || (r->type == SF_REC_XENSTORE && last == SF_REC_XENSTORE))
            return cfg_fail(err, errlen, "records out of order (type %u after %u)", r->type, last);
        int rc = 0;
        switch (r->type) {
        case SF_REC_DOMAIN:
            rc = check_domain(r, f, err, errlen);
            break;
        case SF_REC_XENSTORE:
            f->xenstore = (const char *)(r + 1);
            f->xenstore_len = r->length;
            if (r->length && f->xenstore[r->length - 1])
                rc = cfg_fail(err, errlen, "xenstore record not NUL-terminated");
            break;
        case SF_REC_DISK:
            rc = check_disk(r, f, err, errlen);
            break;
        case SF_REC_CONFIG:
            rc = check_config(r, f, err, errlen);
            break;
        case SF_REC_VCPU:
            rc = check_vcpu(r, f, err, errlen);
            break;
        case SF_REC_PAGES:
            if (!f->first_pages)
                f->first_pages = at;
            rc = check_pages(r, &next_gfn, f, err, errlen);
            break;
        }
        if (rc)
            return rc;
        last = r->type;
        at += sizeof(*r) + r->length + pad8(r->length);
    }
    if (!f->domain)
        return cfg_fail(err, errlen, "no domain record");
    for (unsigned i = 0; i < f->domain->max_vcpus; i++)
        if (!f->vcpu[i])
            return cfg_fail(err, errlen, "no state for vCPU %u of %u", i, f->domain->max_vcpus);
    if (f->nr_pages != end->nr_pages || f->nr_pages != f->domain->tot_pages || !f->nr_pages)
        return cfg_fail(err, errlen, "%llu pages of memory in the file, %llu recorded",
                    (unsigned long long)f->nr_pages, (unsigned long long)f->domain->tot_pages);
    if (!f->first_pages)
        f->first_pages = end_rec;
    return 0;
}

int sf_next_pages(const struct sf_file *f, const uint8_t **at, const struct sf_pages **chunk,
                  const uint8_t **data)
{
    if (*at >= f->end)
        return 0;
    const struct sf_record *r = (const void *)*at;
    *chunk = (const void *)(r + 1);
    *data = (const uint8_t *)(*chunk + 1);
    *at += sizeof(*r) + r->length + pad8(r->length);
    return 1;
}
