/*
 * The save file of `xl save` / `xl restore` (docs/save-format.md): a
 * header, then records (domain, xenstore, configuration, disks, one per
 * vCPU, pages, end), each
 * 8-byte aligned, the end record holding a CRC-64 of everything before
 * it. Writing streams to a file descriptor; reading checks a whole file in
 * memory (its structure, the checksum, then what each record says) before
 * anything is created from it. Pure: no hypervisor, unit-tested on the host.
 */
#ifndef XL_SAVE_FORMAT_H
#define XL_SAVE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <xen/arch-x86/hvm/start_info.h>

#include "lib/basalt_ctl.h"

#define SF_MAGIC "BASALTSV"
#define SF_VERSION 2            /* written; version 1 (no CONFIG or DISK records) is read too */
#define SF_VERSION_MIN 1
#define SF_PAGE_SIZE 4096u
#define SF_CHUNK_PAGES 256u    /* pages per PAGES record at most */
#define SF_MAX_MEMMAP 16
#define SF_ACTION_LEN 24
#define SF_MAX_VCPUS 64        /* BCTL_DOMAIN_CREATE's limit */
#define SF_MAX_DISKS 64
#define SF_MAX_OVERRIDES 256    /* KEY=VALUE operands of xl create (ARGS_MAX_OPERANDS) */

enum sf_record_type {
    SF_REC_DOMAIN = 1,
    SF_REC_XENSTORE = 2,
    SF_REC_VCPU = 3,
    SF_REC_PAGES = 4,
    SF_REC_END = 5,
    SF_REC_DISK = 6,           /* version 2: after XENSTORE and CONFIG, before the first VCPU */
    SF_REC_CONFIG = 7,         /* version 2: at most once, after XENSTORE */
};

struct sf_header {
    char magic[8];              /* SF_MAGIC, no NUL */
    uint32_t version;           /* SF_VERSION */
    uint32_t header_size;       /* sizeof(struct sf_header) */
    uint32_t page_size;         /* SF_PAGE_SIZE */
    uint32_t vcpu_state_size;   /* sizeof(struct basalt_vcpu_state) */
    uint32_t vcpu_state_version; /* BASALT_VCPU_STATE_VERSION */
    uint32_t flags;             /* 0 */
    uint64_t saved_at;          /* Unix time of the save */
    uint8_t reserved[24];       /* 0 */
};

struct sf_record {
    uint32_t type;              /* enum sf_record_type */
    uint32_t pad;               /* 0 */
    uint64_t length;            /* payload bytes, padding to 8 not included */
};

struct sf_domain {
    char name[BASALT_NAME_LEN]; /* NUL-terminated */
    uint8_t uuid[16];
    uint32_t max_vcpus;
    uint32_t weight, cap;
    uint32_t nr_memmap;
    uint64_t max_pages;         /* the hypervisor's limit */
    uint64_t tot_pages;         /* RAM pages saved */
    uint64_t static_max_kib, target_kib; /* memory/static-max, memory/target */
    uint64_t store_pfn, console_pfn;
    uint64_t vcpus_online;      /* cpu/N/availability = online, bit N */
    uint64_t start_time_sec;    /* /vm/UUID/start_time */
    uint32_t start_time_cs;
    uint32_t pad;
    char on_poweroff[SF_ACTION_LEN], on_reboot[SF_ACTION_LEN], on_crash[SF_ACTION_LEN];
    struct hvm_memmap_table_entry memmap[SF_MAX_MEMMAP];
};

/* Followed by the disk's record as the toolstack keeps it in xenstore
 * (/libxl/DOMID/device/vbd/DEVID): "key\0value\0" pairs. */
struct sf_disk {
    uint32_t devid;
    uint32_t pad;
};

struct sf_vcpu {
    uint32_t vcpu;
    uint32_t pad;
    uint64_t affinity;          /* hard affinity: physical CPUs */
    struct basalt_vcpu_state state;
};

/* Followed by SF_PAGE_SIZE bytes for each page that is present and not
 * zero, in page order. */
struct sf_pages {
    uint64_t gfn;               /* first page of the chunk */
    uint32_t count;             /* pages in the chunk, 1..SF_CHUNK_PAGES */
    uint32_t pad;
    uint64_t present[SF_CHUNK_PAGES / 64]; /* the domain's RAM */
    uint64_t zero[SF_CHUNK_PAGES / 64];    /* present pages that hold only zeros */
};

struct sf_end {
    uint64_t crc64;             /* lzma_crc64 of every byte before this record */
    uint64_t nr_pages;          /* present pages in all PAGES records */
};

/* Writing: records go out as they are made, the checksum follows them. */
struct sf_writer {
    int fd;
    uint64_t crc, offset;
};

void sf_writer_init(struct sf_writer *w, int fd);
/* Each returns 0 or -errno. */
int sf_write_header(struct sf_writer *w, uint64_t saved_at);
/* A record whose payload is the `n` parts given (sizes in lens). */
int sf_write_record(struct sf_writer *w, uint32_t type, const void *const *parts, const size_t *lens,
                    unsigned n);
int sf_write_end(struct sf_writer *w, uint64_t nr_pages);

/* A file read and checked. Pointers are into the caller's buffer. */
struct sf_file {
    const struct sf_header *header;
    const struct sf_domain *domain;
    const char *xenstore;       /* "path\0value\0" pairs, paths relative to the domain */
    uint64_t xenstore_len;
    const struct sf_vcpu *vcpu[SF_MAX_VCPUS];
    const struct sf_record *disk[SF_MAX_DISKS]; /* DISK records */
    unsigned n_disks;
    const char *config;         /* the CONFIG record's payload (NULL: none), see sf_config_split */
    uint64_t config_len;
    const uint8_t *first_pages, *end; /* the PAGES records: [first_pages, end) */
    uint64_t nr_pages;
};

/*
 * Checks buf (len bytes, 8-byte aligned) as a save file: the header (a
 * file of another kind, format version or vCPU state layout is named as
 * such), every record's place and length (a file cut short is "truncated"),
 * the checksum ("corrupted"), then the records' contents (one domain record
 * first, one per vCPU, pages in order within the domain's limit). Returns
 * 0 with f filled in, or -1 with a sentence in err.
 */
int sf_read(const void *buf, uint64_t len, struct sf_file *f, char *err, size_t errlen);

/*
 * The domain's configuration as xl create was given it (a CONFIG record,
 * and the file domain_userdata.c keeps): the configuration file's name,
 * its text, then each KEY=VALUE of the command line, each NUL-terminated.
 */
struct sf_config {
    const char *source;         /* the file's name, for messages */
    const char *text;
    size_t text_len;
    const char *overrides[SF_MAX_OVERRIDES];
    size_t n_overrides;
};

/* Splits such bytes; returns 0, or -1 if they are not of that form. */
int sf_config_split(const char *buf, uint64_t len, struct sf_config *c);

/* The PAGES records in order: *at starts at f->first_pages; returns 1 with
 * the chunk and its data (present, non-zero pages back to back), 0 at the
 * end. Only for a file sf_read accepted. */
int sf_next_pages(const struct sf_file *f, const uint8_t **at, const struct sf_pages **chunk,
                  const uint8_t **data);

/* Bit i of a chunk's bitmap (present, zero). */
int sf_page_bit(const uint64_t *bits, unsigned i);

#endif
