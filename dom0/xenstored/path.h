/* Xenstore path syntax: validation, relative-path resolution, and the
 * parent/child relations used by permissions and watches. */
#ifndef XENSTORED_PATH_H
#define XENSTORED_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* An absolute node path a client may name ("/..." only; '@' names are not nodes). */
bool path_is_valid(const char *path);
/* "@introduceDomain" and friends: watch-only names. */
bool path_is_special(const char *path);
/* Resolves a client path: relative paths are below /local/domain/<domid>.
 * Absolute and '@' paths are copied. Returns an allocated string. */
char *path_canonical(unsigned domid, const char *path);
/* Allocated parent path; "/" for top-level nodes; NULL for "/". */
char *path_parent(const char *path);
/* Last component; "" for "/". Points into `path`. */
const char *path_basename(const char *path);
/* Allocated "<dir>/<name>" (no doubled slash below "/"). */
char *path_child(const char *dir, const char *name);
/* True when `child` equals `parent` or lies below it. */
bool path_is_below(const char *child, const char *parent);
/* Length of the domain home "/local/domain/<domid>" that starts `path`, or 0. */
size_t path_domain_home_len(const char *path);

#endif
