#include "control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom0/lib/log.h"

#include "conn.h"
#include "domain.h"
#include "dom0/lib/mem.h"
#include "quota.h"
#include "transaction.h"
#include "tree.h"
#include "watch.h"
#include "wire.h"

static int control_check(struct request *r, const char **args, unsigned nargs)
{
    char why[256];

    (void)args;
    (void)nargs;
    if (tree_check(why, sizeof(why)) < 0) {
        log_msg(LOG_LVL_ERR, "store check failed: %s", why);
        return EIO;
    }
    reply_ok(r);
    return 0;
}

static int control_print(struct request *r, const char **args, unsigned nargs)
{
    if (nargs < 1)
        return EINVAL;
    log_msg(LOG_LVL_INFO, "control: %s", args[0]);
    reply_ok(r);
    return 0;
}

static int control_log(struct request *r, const char **args, unsigned nargs)
{
    if (nargs < 1 || (strcmp(args[0], "on") && strcmp(args[0], "off")))
        return EINVAL;
    log_set_verbose(!strcmp(args[0], "on"));
    reply_ok(r);
    return 0;
}

/* "quota" lists the limits; "quota <domid>" what that domain uses. */
static int control_quota(struct request *r, const char **args, unsigned nargs)
{
    char buf[512];

    if (nargs >= 1) {
        char *end;
        unsigned long domid = strtoul(args[0], &end, 10);
        const struct domain *d;

        if (!*args[0] || *end || domid > 0xffff)
            return EINVAL;
        d = domain_find((unsigned)domid);
        if (!d)
            return ENOENT;
        snprintf(buf, sizeof(buf), "nodes %u\nwatches %u\ntransactions %u\noutstanding %u\n",
                 d->nodes, d->conn ? d->conn->nwatches : 0, d->conn ? d->conn->ntxns : 0,
                 d->conn ? d->conn->out_replies : 0);
        reply_string(r, buf);
        return 0;
    }
    snprintf(buf, sizeof(buf),
             "nodes %u\nnode-size %u\nwatches %u\ntransactions %u\npermissions %u\n"
             "path-max %u\noutstanding %u\ntransaction-nodes %u\noutput-queue %u\n",
             quota.nodes, quota.node_size, quota.watches, quota.transactions, quota.perms,
             quota.path_max, quota.outstanding, quota.trans_nodes, quota.output_queue);
    reply_string(r, buf);
    return 0;
}

/* Counters for tests and operators: memory must return to its baseline
 * once domains are released. */
static int control_stats(struct request *r, const char **args, unsigned nargs)
{
    struct mem_stats m;
    char buf[512];

    (void)args;
    (void)nargs;
    /* Connections closed while this client was being served are freed at
     * the end of the loop pass; free them now so the figures describe live
     * state. Safe here: the requesting connection is alive, so it is not
     * among those freed. */
    conn_reap();
    mem_get_stats(&m);
    snprintf(buf, sizeof(buf),
             "nodes %zu\ndomains %u\nintroduced %u\nconnections %u\nwatches %u\n"
             "transactions %u\nmem-blocks %zu\nmem-bytes %zu\n",
             tree_count(), domain_count(), domain_count_introduced(), conn_count(),
             watch_count_all(), txn_count_all(), m.blocks, m.bytes);
    reply_string(r, buf);
    return 0;
}

static int control_help(struct request *r, const char **args, unsigned nargs);

static const struct {
    const char *name;
    int (*fn)(struct request *r, const char **args, unsigned nargs);
} commands[] = {
    { "check", control_check },
    { "help", control_help },
    { "log", control_log },
    { "memreport", control_stats },
    { "print", control_print },
    { "quota", control_quota },
    { "stats", control_stats },
};

static int control_help(struct request *r, const char **args, unsigned nargs)
{
    char buf[256] = "";
    unsigned i;

    (void)args;
    (void)nargs;
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        strcat(buf, commands[i].name);
        strcat(buf, "\n");
    }
    reply_string(r, buf);
    return 0;
}

int control_handle(struct request *r)
{
    const char *vec[8];
    unsigned n = wire_strings(r, vec, 8), i;

    if (n < 1)
        return EINVAL;
    if (n > 8)
        n = 8;
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(vec[0], commands[i].name))
            return commands[i].fn(r, vec + 1, n - 1);
    return EINVAL;
}
