/* A client connection, whatever carries it (unix socket, a domain's ring,
 * or a test transport): framing of incoming requests, the queue of replies
 * and watch events, and the per-connection state (watches, transactions).
 *
 * Flow control: a connection stops being read while it has too many
 * undelivered replies or queued bytes, so a client that does not read
 * cannot make the daemon buffer without bound. Watch events beyond the cap
 * are dropped for rings (a domain cannot reconnect) and close sockets. */
#ifndef XENSTORED_CONN_H
#define XENSTORED_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xs_abi.h"

struct conn;
struct domain;
struct txn;
struct watch;

struct conn_ops {
    const char *kind;
    /* Bytes moved, 0 when nothing can move now, -1 when the transport is
     * broken (then *err gets an XENSTORE_ERROR_* code). */
    int (*read)(struct conn *c, void *buf, unsigned len, unsigned *err);
    int (*write)(struct conn *c, const void *buf, unsigned len, unsigned *err);
    /* The connection is unusable: sockets are closed, rings are stalled
     * until the guest asks to reconnect. */
    void (*fail)(struct conn *c, unsigned err);
    /* Frees transport state when the connection is freed. */
    void (*release)(struct conn *c);
    /* Drop watch events on overflow instead of closing the connection. */
    bool drop_events_on_overflow;
};

struct outmsg {
    struct outmsg *next;
    bool is_reply;
    unsigned len;   /* header + payload */
    unsigned sent;
    char data[];
};

struct conn {
    struct conn *next;
    unsigned id;
    unsigned domid;      /* 0 for sockets: they are privileged tools */
    int target;          /* SET_TARGET domid, or -1 */
    struct domain *domain;
    const struct conn_ops *ops;
    void *transport;
    int fd;              /* socket connections; -1 otherwise */

    struct xsd_sockmsg in_hdr;
    unsigned in_used;
    bool in_have_hdr;
    char in_buf[XENSTORE_PAYLOAD_MAX + 1];

    struct outmsg *out_head, *out_tail;
    size_t out_bytes;
    unsigned out_count;
    unsigned out_replies;
    unsigned long dropped_events;

    struct watch *watches;
    unsigned nwatches;
    struct txn *txns;
    unsigned ntxns;
    uint32_t next_txid;

    unsigned long requests;  /* handled so far */

    bool dead;     /* closed; freed by conn_reap() */
    bool stalled;  /* ring error; ignored until the guest reconnects */
};

extern struct conn *conn_list;

struct conn *conn_new(const struct conn_ops *ops, unsigned domid);
bool conn_is_privileged(const struct conn *c);
/* Drops pending input and output, watches and transactions. */
void conn_reset(struct conn *c);
/* Closes the connection; the struct is freed later by conn_reap() so that
 * loops over conn_list stay valid. */
void conn_kill(struct conn *c, const char *why);
/* Marks the connection unusable through its transport's policy. */
void conn_fail(struct conn *c, unsigned err, const char *why);
void conn_reap(void);
void conn_free_all(void);
unsigned conn_count(void);

bool conn_wants_input(const struct conn *c);
bool conn_has_output(const struct conn *c);
/* Moves bytes both ways and handles complete requests, at most
 * CONN_REQUEST_BUDGET of them; returns true if it stopped with work left
 * (the caller must come back without waiting for an event). */
#define CONN_REQUEST_BUDGET 64
bool conn_service(struct conn *c);
void conn_flush(struct conn *c);
/* Feeds bytes that arrived by other means (tests, fuzzing). */
void conn_input_bytes(struct conn *c, const void *data, unsigned len);

void conn_queue_reply(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                      const void *data, unsigned len);
void conn_queue_event(struct conn *c, const char *path, const char *token);

/* Set by the daemon; connections from these domains are privileged. */
extern unsigned priv_domid;

#endif
