/* The daemon's xenstore connection: a small client of the xenstore wire
 * protocol (xen/io/xs_wire.h) over the unix socket $XENSTORED_PATH, else
 * ${XENSTORED_RUNDIR-/var/run/xenstored}/socket, falling back to the
 * kernel's /dev/xen/xenbus (then /proc/xen/xenbus) — libxenstore's rules.
 *
 * Why not libxenstore: the production binary is static, and Debian's
 * libxenstore.a is Xen's non-threaded build (only the shared library gets
 * USE_PTHREAD). Without its reader thread nothing reads watch events in the
 * background, so xs_fileno() never becomes readable, and a reply preceded
 * by a watch event fails with EINVAL and closes the connection. Here every
 * message is demultiplexed: watch events are queued whenever they arrive,
 * replies are matched to requests by req_id.
 *
 * Requests are synchronous (the daemon is single-threaded) with a 30 s
 * limit; a lost or stuck connection makes the store "dead" and the daemon
 * exits, so its init system can restart it (a restart rebuilds everything
 * from xenstore and the rings). */
#ifndef XENCONSOLED_STORE_H
#define XENCONSOLED_STORE_H

#include <stdbool.h>
#include <stdint.h>

int store_open(void);
void store_close(void);
/* poll() it for input; also check store_has_events() before sleeping,
 * since requests queue the events that arrive while they wait. */
int store_fd(void);
/* Reads what has arrived without blocking. 0, or -EPIPE once dead. */
int store_pump(void);
bool store_has_events(void);
bool store_alive(void);

/* The value at `path`, NUL-terminated, or NULL with errno set (ENOENT,
 * EACCES, ...). Release with store_free(). */
char *store_read(const char *path);
void store_free(void *p);
/* A decimal value at `path` no larger than `max`: 0, -ENOENT, -EINVAL. */
int store_read_u64(const char *path, uint64_t max, uint64_t *out);
int store_write(const char *path, const char *value);
/* Removing a node that is already gone is not an error. */
int store_rm(const char *path);
/* The entries of directory `path` (one block: release with store_free()),
 * or NULL with errno set. */
char **store_list(const char *path, unsigned *n);

int store_watch(const char *path, const char *token);
void store_unwatch(const char *path, const char *token);
/* The next queued watch event: *path and *token point into the returned
 * block (release with store_free()). NULL when none is queued. */
void *store_next_event(const char **path, const char **token);

/* Whether xenstored has the domain introduced: the daemon's test of "this
 * domain still exists" (xenstored drops a domain on RELEASE or death).
 * Errors count as "still introduced": a failing connection must not tear
 * every console down. */
bool store_domain_introduced(unsigned domid);

#endif
