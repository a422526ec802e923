#include "domain.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/xen.h>

#include "dom0/lib/domid.h"
#include "dom0/lib/log.h"
#include "dom0/lib/mem.h"

#include "console.h"
#include "options.h"
#include "store.h"

struct domain {
    struct domain *next;
    unsigned domid;
    char *conspath;             /* /local/domain/<id>/console */
    char token[16];             /* "dom<id>", the console watch's token */
    struct console con;
    /* The ring-ref and port last connected to (or found corrupt): a watch
     * firing with the same values changes nothing. */
    bool have_cfg;
    uint64_t ring_ref;
    unsigned port;
    bool broken;                /* ring indices were corrupt: not served */
    bool tty_written;
};

static struct domain *domains;

static struct domain *domain_find(unsigned domid)
{
    struct domain *d;

    for (d = domains; d; d = d->next)
        if (d->domid == domid)
            return d;
    return NULL;
}

static char *cons_key(const struct domain *d, const char *key)
{
    return mem_asprintf("%s/%s", d->conspath, key);
}

static void remove_tty(struct domain *d)
{
    char *path;
    int rc;

    if (!d->tty_written)
        return;
    path = cons_key(d, "tty");
    rc = store_rm(path);
    if (rc < 0)
        log_msg(LOG_LVL_WARN, "dom %u: cannot remove %s: %s", d->domid, path, strerror(-rc));
    mem_free(path);
    d->tty_written = false;
}

static int write_tty(struct domain *d)
{
    char *path = cons_key(d, "tty");
    int rc = store_write(path, d->con.pty.path);

    if (rc < 0)
        log_msg(LOG_LVL_ERR, "dom %u: cannot write %s: %s", d->domid, path, strerror(-rc));
    else
        d->tty_written = true;
    mem_free(path);
    return rc;
}

/* A toolstack that writes the console keys one by one (not in one
 * transaction, as libxl does) may write its empty `tty` after ours: put
 * the path back, or `xl console` would find nothing. Only a present key is
 * rewritten: a missing one may mean the toolstack is removing the domain,
 * and a write would re-create its directory. */
static void restore_tty(struct domain *d)
{
    char *path = cons_key(d, "tty");
    char *cur = store_read(path);

    if (cur && strcmp(cur, d->con.pty.path))
        write_tty(d);
    store_free(cur);
    mem_free(path);
}

/* Stops serving the console; the domain record (and its watch) stays. */
static void stop_console(struct domain *d, const char *why)
{
    if (d->con.connected || d->con.pty.master >= 0)
        log_msg(LOG_LVL_INFO, "dom %u: console closed (%s)", d->domid, why);
    console_disconnect(&d->con);
    remove_tty(d);
}

static void break_console(struct domain *d, int rc)
{
    if (rc == -EIO) {
        /* The pty failed, not the guest: offer a fresh one. */
        log_msg(LOG_LVL_WARN, "dom %u: pty %s failed, opening a new one", d->domid,
                d->con.pty.path);
        if (console_reopen_pty(&d->con) == 0 && write_tty(d) == 0)
            return;
        stop_console(d, "no pty");
        d->have_cfg = false;
        return;
    }
    {
        const struct xencons_interface *i = d->con.intf;

        log_msg(LOG_LVL_ERR,
                "dom %u: console ring indices corrupt (in %u/%u, out %u/%u cons/prod); "
                "console disabled until its ring-ref or port changes", d->domid,
                i ? i->in_cons : 0, i ? i->in_prod : 0, i ? i->out_cons : 0,
                i ? i->out_prod : 0);
    }
    stop_console(d, "corrupt ring");
    d->broken = true;
}

static size_t buffer_size(const struct domain *d)
{
    char *path = cons_key(d, "limit");
    uint64_t v = 0;

    /* libxl writes limit = 1048576; absent, 0 or garbage means the
     * default, and no value may make the buffer unbounded. */
    if (store_read_u64(path, UINT64_MAX, &v) < 0 || v == 0)
        v = CONSOLE_BUF_DEFAULT;
    mem_free(path);
    if (v < CONSOLE_BUF_MIN)
        v = CONSOLE_BUF_MIN;
    if (v > CONSOLE_BUF_MAX)
        v = CONSOLE_BUF_MAX;
    return (size_t)v;
}

static void open_log(struct domain *d)
{
    char *path, *name;

    if (!opts.log_guest || d->con.log.fd >= 0)
        return;
    path = mem_asprintf("/local/domain/%u/name", d->domid);
    name = store_read(path);
    guestlog_open(&d->con.log, opts.log_dir, name, d->domid);
    store_free(name);
    mem_free(path);
}

/* Reads the console keys: 1 when they describe a console for us, 0 when
 * not (absent, other type, incomplete), with the values in *gfn, *port. */
static int read_config(struct domain *d, uint64_t *gfn, unsigned *port)
{
    char *path = cons_key(d, "type");
    char *type = store_read(path);
    uint64_t p = 0;
    int ok = type && !strcmp(type, "xenconsoled");

    store_free(type);
    mem_free(path);
    if (!ok)
        return 0;
    path = cons_key(d, "ring-ref");
    ok = store_read_u64(path, UINT64_MAX, gfn) == 0;
    mem_free(path);
    path = cons_key(d, "port");
    ok = ok && store_read_u64(path, UINT32_MAX, &p) == 0 && p != 0;
    mem_free(path);
    *port = (unsigned)p;
    return ok;
}

static void update_console(struct domain *d)
{
    uint64_t gfn = 0;
    unsigned port = 0;
    bool had_pty = d->con.pty.master >= 0;
    int rc;

    if (!read_config(d, &gfn, &port)) {
        if (d->con.connected || d->broken)
            stop_console(d, "console keys gone");
        d->broken = false;
        d->have_cfg = false;
        return;
    }
    if (d->have_cfg && gfn == d->ring_ref && port == d->port && (d->con.connected || d->broken)) {
        if (d->con.connected)
            restore_tty(d);
        return;
    }
    d->broken = false;
    d->have_cfg = true;
    d->ring_ref = gfn;
    d->port = port;
    rc = console_connect(&d->con, gfn, port, buffer_size(d));
    if (rc < 0) {
        /* Retried when the console keys change again. */
        log_msg(LOG_LVL_WARN, "dom %u: cannot connect console (ring-ref %llu, port %u): %s",
                d->domid, (unsigned long long)gfn, port, strerror(-rc));
        stop_console(d, "connect failed");
        d->have_cfg = false;
        return;
    }
    if ((!had_pty || !d->tty_written) && write_tty(d) < 0) {
        stop_console(d, "tty not published");
        d->have_cfg = false;
        return;
    }
    open_log(d);
    log_msg(LOG_LVL_INFO, "dom %u: console on %s (ring %s %llu, port %u -> local %d)",
            d->domid, d->con.pty.path, d->con.by_grant ? "grant 0, ring-ref" : "by GFN",
            (unsigned long long)gfn, port, d->con.local_port);
    /* Output the guest wrote before we were there. */
    rc = console_kick(&d->con);
    if (rc < 0)
        break_console(d, rc);
}

static void domain_add(unsigned domid)
{
    struct domain *d = mem_zalloc(sizeof(*d));
    int rc;

    d->domid = domid;
    d->conspath = mem_asprintf("/local/domain/%u/console", domid);
    snprintf(d->token, sizeof(d->token), "dom%u", domid);
    console_init(&d->con, domid);
    d->next = domains;
    domains = d;
    log_msg(LOG_LVL_DEBUG, "dom %u: new domain", domid);
    /* A watch on a node that does not exist yet is fine: it fires when the
     * toolstack creates the console. */
    rc = store_watch(d->conspath, d->token);
    if (rc < 0)
        log_msg(LOG_LVL_WARN, "dom %u: cannot watch %s: %s", domid, d->conspath, strerror(-rc));
    update_console(d);
}

static void domain_remove(struct domain *d)
{
    struct domain **pp;

    for (pp = &domains; *pp; pp = &(*pp)->next) {
        if (*pp == d) {
            *pp = d->next;
            break;
        }
    }
    store_unwatch(d->conspath, d->token);
    stop_console(d, "domain gone");
    log_msg(LOG_LVL_DEBUG, "dom %u: forgotten", d->domid);
    mem_free(d->conspath);
    mem_free(d);
}

/* The domid of a /local/domain entry; -1 if not a DomU. */
static long domu_id(const char *name)
{
    uint32_t v;

    return domid_parse(name, &v) && v > 0 && v < DOMID_FIRST_RESERVED ? (long)v : -1;
}

void domains_scan(void)
{
    unsigned n = 0, i;
    char **list = store_list("/local/domain", &n);

    for (i = 0; list && i < n; i++) {
        long domid = domu_id(list[i]);

        if (domid < 0 || domain_find((unsigned)domid))
            continue;
        if (store_domain_introduced((unsigned)domid))
            domain_add((unsigned)domid);
    }
    store_free(list);
}

void domains_check_released(void)
{
    struct domain *d = domains, *next;

    for (; d; d = next) {
        next = d->next;
        if (!store_domain_introduced(d->domid))
            domain_remove(d);
    }
}

void domains_console_changed(unsigned domid)
{
    struct domain *d = domain_find(domid);

    /* Events may still arrive for a domain just removed. */
    if (d)
        update_console(d);
}

void domains_event(int local_port, int64_t now_ms)
{
    struct domain *d;
    int rc;

    for (d = domains; d; d = d->next) {
        if (d->con.connected && d->con.local_port == local_port) {
            rc = console_event(&d->con, now_ms);
            if (rc < 0)
                break_console(d, rc);
            return;
        }
    }
    /* A port we already unbound: nothing to do. */
}

size_t domains_poll_count(void)
{
    struct domain *d;
    size_t n = 0;

    for (d = domains; d; d = d->next)
        n++;
    return n;
}

size_t domains_poll_fill(struct pollfd *fds, unsigned *owners, size_t max)
{
    struct domain *d;
    size_t n = 0;

    for (d = domains; d; d = d->next) {
        short ev;

        if (console_check(&d->con) < 0)
            break_console(d, -EPROTO);
        ev = console_poll_events(&d->con);
        if (!ev || n == max)
            continue;
        fds[n] = (struct pollfd){ .fd = d->con.pty.master, .events = ev };
        owners[n++] = d->domid;
    }
    return n;
}

void domains_pty_ready(unsigned domid, short revents)
{
    struct domain *d = domain_find(domid);
    int rc;

    if (!d || !revents)
        return;
    rc = console_pty_ready(&d->con, revents);
    if (rc < 0)
        break_console(d, rc);
}

int64_t domains_deadline(void)
{
    struct domain *d;
    int64_t t = INT64_MAX, dl;

    for (d = domains; d; d = d->next) {
        dl = console_deadline(&d->con);
        if (dl < t)
            t = dl;
    }
    return t;
}

void domains_tick(int64_t now_ms)
{
    struct domain *d;
    int rc;

    for (d = domains; d; d = d->next) {
        rc = console_tick(&d->con, now_ms);
        if (rc < 0)
            break_console(d, rc);
    }
}

void domains_reopen_logs(void)
{
    struct domain *d;

    for (d = domains; d; d = d->next)
        guestlog_reopen(&d->con.log);
}

void domains_stats(unsigned *known, unsigned *served)
{
    struct domain *d;

    *known = *served = 0;
    for (d = domains; d; d = d->next) {
        (*known)++;
        if (d->con.connected)
            (*served)++;
    }
}

void domains_free_all(void)
{
    while (domains)
        domain_remove(domains);
}
