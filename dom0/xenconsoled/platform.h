/* Everything xenconsoled needs from the hypervisor, behind one small
 * interface: interdomain event channels and mapping a guest's console
 * page. Nothing else in the daemon touches the /dev/xen devices.
 *
 * platform_xen.c implements it with Debian's libxenevtchn, libxengnttab and
 * libxenforeignmemory (the production binary). platform_fake.c implements
 * it with files and datagram sockets for host tests (test binaries only).
 *
 * The policy "grant reference 0 first, the ring-ref GFN second" lives in
 * console.c, so both paths run on the fake platform too. */
#ifndef XENCONSOLED_PLATFORM_H
#define XENCONSOLED_PLATFORM_H

#include <stdint.h>

struct platform_page {
    void *addr;
    int how;            /* implementation's record of how it was mapped */
};

/* `arg` is implementation-specific (the fake platform's directory; NULL
 * for the real one). Returns 0 or -errno. */
int platform_open(const char *arg);
void platform_close(void);
/* Readable when platform_pending() has an event to report. */
int platform_event_fd(void);

/* Event channels. Local port numbers are >= 0; errors are -errno. */
int platform_bind_interdomain(unsigned domid, unsigned remote_port);
void platform_unbind(unsigned local_port);
void platform_notify(unsigned local_port);
/* One pending local port, left masked until platform_unmask(); -1 if none.
 * Call once per readable event fd (the real one may block otherwise). */
int platform_pending(void);
void platform_unmask(unsigned local_port);

/* Maps one page of domain `domid` read-write: the page its grant reference
 * `ref` grants us, or the page at its guest frame `gfn`. 0 or -errno. */
int platform_map_grant(unsigned domid, uint32_t ref, struct platform_page *page);
int platform_map_foreign(unsigned domid, uint64_t gfn, struct platform_page *page);
void platform_unmap(struct platform_page *page);

#endif
