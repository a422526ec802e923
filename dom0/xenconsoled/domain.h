/* The domains xenconsoled knows, and the xenstore side of their consoles.
 *
 * Discovery (no hypervisor query is needed): on @introduceDomain every
 * /local/domain/<id> (id != 0) that xenstored reports introduced gets a
 * record and a watch on /local/domain/<id>/console; every firing of that
 * watch (re)reads type, ring-ref, port and limit and connects, reconnects
 * or disconnects. On @releaseDomain every record whose domain xenstored no
 * longer has introduced is torn down. The toolstack may write the console
 * keys before or after INTRODUCE (libxl writes them after).
 *
 * A connected console's pty path is written to .../console/tty, and that
 * key is removed again whenever the console stops being served (domain
 * gone, console node gone, corrupt ring, daemon exit). */
#ifndef XENCONSOLED_DOMAIN_H
#define XENCONSOLED_DOMAIN_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

void domains_scan(void);
void domains_check_released(void);
void domains_console_changed(unsigned domid);

/* Event channel `local_port` fired. */
void domains_event(int local_port, int64_t now_ms);

/* Before poll(): stops consoles whose rings went bad, then fills at most
 * `max` entries with the pty masters to watch; owners[i] gets the domid. */
size_t domains_poll_fill(struct pollfd *fds, unsigned *owners, size_t max);
size_t domains_poll_count(void);
void domains_pty_ready(unsigned domid, short revents);

/* Rate limiting: the earliest deadline (INT64_MAX: none) and the tick. */
int64_t domains_deadline(void);
void domains_tick(int64_t now_ms);

void domains_reopen_logs(void);
void domains_stats(unsigned *known, unsigned *served);
/* Stops every console (removing tty keys) and forgets every domain. */
void domains_free_all(void);

#endif
