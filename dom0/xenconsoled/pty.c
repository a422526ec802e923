#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

int pty_open(struct pty *p)
{
    struct termios t;
    int err;

    p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p->master < 0)
        return -errno;
    if (grantpt(p->master) < 0 || unlockpt(p->master) < 0 ||
        ptsname_r(p->master, p->path, sizeof(p->path)) != 0)
        goto fail;
    /* We hold the slave open for the console's lifetime, as Xen's daemon
     * does: when the last slave fd closes Linux hangs the master up
     * (POLLHUP forever, reads fail with EIO), so a client that detaches
     * would otherwise make us spin or lose the pty. With it open, output
     * simply queues in the kernel until a reader comes, and then
     * master writes return EAGAIN. */
    p->slave = open(p->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p->slave < 0)
        goto fail;
    /* Raw, both ways: no echo (an echo would bounce the guest's output back
     * into its keyboard ring), no line editing, no CR/LF translation, no
     * signals; bytes pass through unchanged. */
    if (tcgetattr(p->slave, &t) < 0)
        goto fail;
    cfmakeraw(&t);
    if (tcsetattr(p->slave, TCSANOW, &t) < 0)
        goto fail;
    if (fcntl(p->master, F_SETFL, O_NONBLOCK) < 0)
        goto fail;
    return 0;

fail:
    err = errno;
    pty_close(p);
    return -err;
}

void pty_close(struct pty *p)
{
    if (p->slave >= 0)
        close(p->slave);
    if (p->master >= 0)
        close(p->master);
    p->slave = -1;
    p->master = -1;
    p->path[0] = '\0';
}
