/*
 * A xenstore watch on its own connection, spoken directly over xenstored's
 * unix socket, so that its file descriptor can be polled.
 *
 * Why not libxenstore: Debian's libxenstore.a (what a static xl links) is
 * built without its reader thread. Then xs_fileno() becomes readable only
 * when the caller itself reads the socket, and a watch event that arrives
 * while a request waits for its reply is taken for the reply: the request
 * fails with EINVAL and the connection is closed. A connection that only
 * watches, read here, has neither problem.
 */
#ifndef XL_XS_WATCH_H
#define XL_XS_WATCH_H

struct xs_watch_conn {
    int fd;
    unsigned char buf[16 + 4096];   /* one message: header and payload */
    unsigned have;
};

/* Connects and registers a watch on path. Returns 0, or -errno. */
int xs_watch_open(struct xs_watch_conn *w, const char *path, const char *token);

/* Reads what has arrived (never blocks). Returns the number of watch
 * events seen (0 if none), or -1 when the connection is gone. */
int xs_watch_drain(struct xs_watch_conn *w);

void xs_watch_close(struct xs_watch_conn *w);

#endif
