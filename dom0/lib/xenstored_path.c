/* xenstored's socket path (see xenstored_path.h). */
#include "xenstored_path.h"

#include <stdio.h>
#include <stdlib.h>

const char *xenstored_socket_path(char *buf, size_t len)
{
    const char *path = getenv("XENSTORED_PATH"), *rundir = getenv("XENSTORED_RUNDIR");
    int n;

    if (path)
        n = snprintf(buf, len, "%s", path);
    else
        n = snprintf(buf, len, "%s/socket", rundir ? rundir : "/var/run/xenstored");
    return n >= 0 && (size_t)n < len ? buf : NULL;
}
