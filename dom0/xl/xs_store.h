/* xl's use of xenstored, through Debian's libxenstore. */
#ifndef XL_XS_STORE_H
#define XL_XS_STORE_H

#include <stdbool.h>

#include "xs_entries.h"

struct xs_handle;

/* Connects to xenstored; NULL (errno set) if it cannot. */
struct xs_handle *xsh_open(void);
void xsh_close(struct xs_handle *h);

/* Writes every entry with its permissions in one transaction, so a
 * watcher (xenconsoled, the guest) sees all of them or none. 0 or -errno. */
int xsh_write_entries(struct xs_handle *h, const struct xs_entry_list *l);

/* Removes a domain's entries (xs_cleanup_paths); missing ones are fine.
 * Returns 0, or the first -errno (after a message on stderr). */
int xsh_remove_domain(struct xs_handle *h, unsigned domid);

/* The value at path, NUL-terminated and malloc'd; NULL (errno set) if none. */
char *xsh_read(struct xs_handle *h, const char *path);
int xsh_write(struct xs_handle *h, const char *path, const char *value);

#endif
