/* The part of the platform interface that xenstored and xenconsoled share:
 * opening the hypervisor interfaces, and event channels. Each daemon's own
 * platform.h includes this and adds what only it needs (how it maps its
 * pages, domain state, ...).
 *
 * platform_xen.c implements it on Debian's stable Xen libraries (the
 * production binaries, libbasalt-dom0.a); platform_fake.c implements it
 * for the test binaries (libbasalt-dom0-fake.a) except platform_pending(),
 * whose messages each daemon's fake platform defines. */
#ifndef DOM0_LIB_PLATFORM_H
#define DOM0_LIB_PLATFORM_H

/* `arg` is implementation-specific (the fake platform's directory; NULL
 * for the real one). Returns 0 or -errno. */
int platform_open(const char *arg);
void platform_close(void);
/* Readable when platform_pending() has something to report. */
int platform_event_fd(void);

/* Event channels. Local port numbers are >= 0; errors are -errno. */
int platform_bind_interdomain(unsigned domid, unsigned remote_port);
void platform_unbind(unsigned local_port);
void platform_notify(unsigned local_port);
/* One pending local port, left masked until platform_unmask(); -1 if none.
 * Call once per readable event fd (the real one may block otherwise). */
int platform_pending(void);
void platform_unmask(unsigned local_port);

#endif
