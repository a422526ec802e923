/* The pseudo-terminal a console is offered on. `xl console` and any other
 * client open the slave by the path xenconsoled publishes in xenstore. */
#ifndef XENCONSOLED_PTY_H
#define XENCONSOLED_PTY_H

struct pty {
    int master;         /* ours: guest output in, keyboard input out */
    int slave;          /* kept open by us, see pty.c */
    char path[64];      /* e.g. /dev/pts/3 */
};

#define PTY_INIT { .master = -1, .slave = -1, .path = "" }

/* Returns 0 or -errno; on failure nothing is left open. */
int pty_open(struct pty *p);
void pty_close(struct pty *p);

#endif
