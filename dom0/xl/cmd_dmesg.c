/* xl dmesg: the hypervisor's log ring (BCTL_READ_LOG), oldest byte first. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ctl.h"
#include "util.h"

int cmd_dmesg(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "c", 0, 0, &a);
    if (rc >= 0)
        return rc;
    if (args_has(&a, 'c')) {
        xl_err("dmesg -c: the hypervisor's log cannot be cleared");
        return 2;
    }
    char buf[4096];
    uint64_t pos = 0;
    /* The ring may grow while it is read; stop after one pass's worth
     * plus a little, so a chatty hypervisor cannot keep xl reading. */
    for (unsigned chunks = 0; chunks < 64; chunks++) {
        int n = ctl_read_log(&pos, buf, sizeof(buf));
        if (n < 0) {
            xl_err("cannot read the hypervisor's log: %s", ctl_strerror(n));
            return 1;
        }
        if (n == 0)
            break;
        fwrite(buf, 1, (size_t)n, stdout);
    }
    return 0;
}
