#include "quota.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xs_abi.h"

#include "dom0/lib/log.h"

struct quotas quota;

void quota_set_defaults(void)
{
    quota.nodes = 1000;
    quota.node_size = 2048;
    quota.watches = 128;
    quota.transactions = 10;
    quota.perms = 5;
    quota.path_max = XENSTORE_REL_PATH_MAX;
    quota.outstanding = 20;
    quota.trans_nodes = 1024;
    quota.output_queue = 1024 * 1024;
}

int quota_parse_number(const char *s, unsigned *out)
{
    char *end;
    unsigned long v;

    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > UINT_MAX)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int quota_parse(const char *arg, bool soft, char *why, unsigned whylen)
{
    static const struct {
        const char *name;
        unsigned *value;
    } names[] = {
        { "outstanding", &quota.outstanding },
        { "transaction-nodes", &quota.trans_nodes },
        { "output-queue", &quota.output_queue },
        { "nodes", &quota.nodes },
        { "node-size", &quota.node_size },
        { "watches", &quota.watches },
        { "transactions", &quota.transactions },
        { "permissions", &quota.perms },
        { "path-max", &quota.path_max },
    };
    const char *eq = strchr(arg, '=');
    size_t namelen;
    unsigned v, i;

    if (!eq || quota_parse_number(eq + 1, &v) < 0) {
        snprintf(why, whylen, "quota must be <name>=<number>: \"%s\"", arg);
        return -1;
    }
    namelen = (size_t)(eq - arg);
    /* Xen's memory quotas count bytes of every object a domain owns; this
     * daemon bounds the same resources with the counted limits above. */
    if (namelen == 6 && !strncmp(arg, "memory", 6)) {
        log_msg(LOG_LVL_INFO, "quota %s accepted for compatibility, not enforced", arg);
        return 0;
    }
    if (soft) {
        snprintf(why, whylen, "unknown soft quota \"%s\"", arg);
        return -1;
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i].name) == namelen && !strncmp(arg, names[i].name, namelen)) {
            *names[i].value = v;
            if (names[i].value == &quota.path_max && v > XENSTORE_REL_PATH_MAX)
                quota.path_max = XENSTORE_REL_PATH_MAX;
            return 0;
        }
    }
    snprintf(why, whylen, "unknown quota \"%s\"", arg);
    return -1;
}

bool quota_exceeded(unsigned limit, unsigned used, unsigned adding)
{
    return limit && (unsigned long long)used + adding > limit;
}
