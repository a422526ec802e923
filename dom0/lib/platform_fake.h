/* For a daemon's platform_fake.c (test binaries only): the plumbing of a
 * platform without Xen that lib/platform_fake.c provides besides
 * lib/platform.h. Everything lives in one directory, platform_open()'s
 * argument, which the test plays the guests in:
 *
 *   evtchn              datagram socket the daemon reads; what the
 *                       datagrams say is up to each daemon's
 *                       platform_pending() (read them with fake_recv())
 *   guest-<domid>.sock  if a test binds it, the daemon's notifications to
 *                       that domain arrive there as "notify <remote port>"
 *   bindfail-<domid>    if present, binding that domain's ports fails
 *
 * Pages are files of FAKE_PAGE bytes in the directory, mmapped shared.
 * Masking is not modelled: every datagram is one event. */
#ifndef DOM0_LIB_PLATFORM_FAKE_H
#define DOM0_LIB_PLATFORM_FAKE_H

#include <stddef.h>

#include "platform.h"

#define FAKE_PAGE 4096

/* "<directory>/<name>", the name formatted from `fmt`. 0, or -1 when the
 * platform is not open (there is no directory). */
int fake_path(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A local port standing for a virtual IRQ: the port, or -ENOSPC. */
int fake_bind_virq(void);
/* One datagram from the evtchn socket, NUL-terminated: its length, or -1
 * when none is waiting. */
int fake_recv(char *buf, size_t len);
/* The local port bound to domain `domid`'s port `remote_port`, or the
 * first one bound to any of its ports; -1 if none. */
int fake_find_port(unsigned domid, unsigned remote_port);
int fake_find_domain_port(unsigned domid);
/* The first local port standing for a virtual IRQ, or -1. */
int fake_find_virq(void);

/* Maps the file `path` (at least FAKE_PAGE bytes) as a page. 0 or -errno. */
int fake_map_page(const char *path, void **addr);
void fake_unmap_page(void *addr);

#endif
