/*
 * The xenstore entries xl writes for a new domain: what a stock Linux
 * guest reads (store and console, control/shutdown, memory, cpu/N), what
 * xenconsoled serves (the console directory), and the toolstack's own records (/vm,
 * /libxl). Following libxl (xen-facts.md 1.9). Built as a plain list so it
 * can be checked without a xenstored; xs_store.c writes it.
 */
#ifndef XL_XS_ENTRIES_H
#define XL_XS_ENTRIES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One permission: the first of a node's list names its owner, and its
 * letter is what every domain not listed gets. */
struct xs_perm {
    unsigned domid;
    char access;                /* 'n' none, 'r' read, 'w' write, 'b' both */
};

#define XS_ENTRY_MAX_PERMS 2

struct xs_entry {
    char *path;
    char *value;                /* NULL: a directory (mkdir) */
    struct xs_perm perms[XS_ENTRY_MAX_PERMS];
    unsigned nperms;
};

struct xs_entry_list {
    struct xs_entry *items;
    size_t count, cap;
};

/* Everything the entries say about a domain. */
struct xs_domain_desc {
    unsigned domid;
    const char *name;
    const uint8_t *uuid;        /* 16 bytes */
    unsigned max_vcpus, vcpus;  /* cpu/N/availability: online below vcpus */
    uint64_t static_max_kib;    /* memory/static-max */
    uint64_t target_kib;        /* memory/target */
    unsigned store_port, console_port;
    uint64_t store_gfn, console_gfn;
    unsigned backend_domid;     /* where xenstored and xenconsoled run: 0 */
    const char *type;           /* /libxl/N/type: "pvh" or "hvm" */
    bool hvm;                   /* an HVM guest: what hvmloader reads too */
    bool acpi;                  /* HVM: platform/acpi */
    uint64_t start_time_sec;    /* /vm/<uuid>/start_time = "SEC.CC" */
    unsigned start_time_cs;
    /* on_* actions (xl.cfg names), kept under /libxl/N for `xl shutdown -w`. */
    const char *on_poweroff, *on_reboot, *on_crash;
};

/* Appends one entry: its path from fmt, value (NULL: a directory), the
 * permissions (at most XS_ENTRY_MAX_PERMS). Returns 0, or -1 when out of
 * memory or the path is longer than XS_PATH_MAX (the list is unchanged). */
int xs_entry_add(struct xs_entry_list *l, const struct xs_perm *perms, unsigned nperms,
                 const char *value, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Builds the list. Returns 0, or -1 when out of memory (list freed). */
int xs_entries_build(const struct xs_domain_desc *d, struct xs_entry_list *out);
void xs_entries_free(struct xs_entry_list *list);

/* "/local/domain/N", "/vm/<uuid>", "/libxl/N", the console and qdisk
 * backend dirs, QEMU's device-model dir. */
#define XS_CLEANUP_MAX 6
#define XS_PATH_MAX 128

/*
 * The subtrees that removing domain domid deletes. vm_path is the value
 * of its /local/domain/N/vm (NULL if unreadable); it is used only if it
 * has the form "/vm/NAME" (one component), so a bad value can never make
 * xl remove anything else. Returns the number of paths (0 for Dom0 or the
 * backend domain itself, whose entries are never removed).
 */
unsigned xs_cleanup_paths(unsigned domid, unsigned backend_domid, const char *vm_path,
                          char paths[XS_CLEANUP_MAX][XS_PATH_MAX]);

#endif
