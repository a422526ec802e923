/* Connections over a domain's shared xenstore ring page. The guest owns
 * req_prod and rsp_cons and may scribble over anything at any time, so
 * every index is read once, checked, and never trusted twice; a bad index
 * stalls that connection (error field set) and nothing else. */
#ifndef XENSTORED_CONN_RING_H
#define XENSTORED_CONN_RING_H

struct conn;
struct domain;

struct conn *ring_conn_new(struct domain *d);
/* Empties both rings and clears the error indicator (INTRODUCE). */
void ring_reset(struct domain *d);
/* Serves a reconnect request if the guest made one (connection field). */
void ring_check_reconnect(struct domain *d);

#endif
