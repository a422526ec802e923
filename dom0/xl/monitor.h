/*
 * The per-domain monitor that `xl create` leaves behind (in the
 * background, or in the foreground with -F), as Xen's xl does: it waits
 * for the domain to shut down and carries out on_poweroff, on_reboot,
 * on_watchdog, on_crash and on_soft_reset.
 */
#ifndef XL_MONITOR_H
#define XL_MONITOR_H

#include <stdint.h>

#include "build_request.h"

/* How often the domain is checked even when no event came. */
#define MONITOR_POLL_MS 2000

/*
 * Watches domid until it is gone or left shut down (preserve). A restart
 * builds the domain again from r (a new id, the same name and UUID).
 * Messages go to stderr. Returns 0, or 1 if a restart failed.
 */
int monitor_run(struct build_request *r, uint32_t domid);

/* monitor_run for domid in a background process of its own session,
 * logging to /var/log/xen/xl-NAME.log (cmd_create.c). Returns the pid of
 * the child that forks it (reap it: it exits at once), or -1. */
#include <sys/types.h>
pid_t monitor_spawn(struct build_request *r, uint32_t domid);
/* The action r prescribes for a SHUTDOWN_* reason. */
enum shutdown_action monitor_action(const struct build_request *r, uint32_t reason);

#endif
