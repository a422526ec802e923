/* The unix socket Dom0's tools (libxenstore) connect to. Socket clients
 * are privileged: the socket is mode 0600 in a root-owned directory. */
#ifndef XENSTORED_CONN_SOCKET_H
#define XENSTORED_CONN_SOCKET_H

#include <stddef.h>

/* Returns the listening fd or -errno (-EADDRINUSE if a daemon answers). */
int socket_listen(const char *path);
/* Accepts every pending client. */
void socket_accept(int listen_fd);

#endif
