/* xenstored core: store operations, permissions, watches, transactions,
 * quotas, special nodes, domain teardown and the ring transport, driven
 * through the same request path the daemon uses. */
#include "dom0/xenstored/test_support.h"

#include "tests/lib/tap.h"

static char out[XENSTORE_PAYLOAD_MAX * 2];

/* Sends `n` strings joined by NULs (each terminated) and returns the reply
 * with NULs shown as '|'; errors come back as "!ENAME". */
static const char *callv(struct ts_conn *t, uint32_t type, uint32_t tx, int n, const char **s,
                         bool last_unterminated)
{
    char payload[XENSTORE_PAYLOAD_MAX];
    unsigned len = 0, rlen = 0, i;
    char reply[XENSTORE_PAYLOAD_MAX + 1];
    int rt;

    for (i = 0; i < (unsigned)n; i++) {
        size_t l = strlen(s[i]) + (last_unterminated && i == (unsigned)n - 1 ? 0 : 1);

        memcpy(payload + len, s[i], l);
        len += (unsigned)l;
    }
    rt = ts_req(t, type, tx, payload, len, reply, &rlen);
    if (rt < 0) {
        snprintf(out, sizeof(out), "!NOREPLY(%d)", rt);
        return out;
    }
    if (rt == XS_ERROR) {
        snprintf(out, sizeof(out), "!%s", reply);
        return out;
    }
    if ((uint32_t)rt != type) {
        snprintf(out, sizeof(out), "!TYPE%d", rt);
        return out;
    }
    for (i = 0; i < rlen; i++)
        out[i] = reply[i] ? reply[i] : '|';
    out[rlen] = '\0';
    return out;
}

static const char *call1(struct ts_conn *t, uint32_t type, uint32_t tx, const char *a)
{
    return callv(t, type, tx, 1, &a, false);
}

static const char *call2(struct ts_conn *t, uint32_t type, uint32_t tx, const char *a,
                         const char *b)
{
    const char *v[2] = { a, b };

    return callv(t, type, tx, 2, v, false);
}

static const char *wr(struct ts_conn *t, uint32_t tx, const char *path, const char *value)
{
    const char *v[2] = { path, value };

    return callv(t, XS_WRITE, tx, 2, v, true);
}

static const char *rd(struct ts_conn *t, uint32_t tx, const char *path)
{
    return call1(t, XS_READ, tx, path);
}

static const char *perms3(struct ts_conn *t, uint32_t tx, const char *path, const char *p1,
                          const char *p2)
{
    const char *v[3] = { path, p1, p2 };

    return callv(t, XS_SET_PERMS, tx, p2 ? 3 : 2, v, false);
}

#define EQ(name, expr, want)                                                              \
    do {                                                                                  \
        const char *got_ = (expr);                                                        \
        CHECK(name, !strcmp(got_, want), "got \"%s\", want \"%s\"", got_, want);          \
    } while (0)

static bool store_ok(void)
{
    char why[256];

    if (tree_check(why, sizeof(why)) == 0)
        return true;
    printf("# store check: %s\n", why);
    return false;
}

static void test_basic(void)
{
    struct ts_conn *s = ts_socket();

    EQ("write", wr(s, 0, "/a/b/c", "hello"), "OK|");
    EQ("read", rd(s, 0, "/a/b/c"), "hello");
    EQ("write creates parents empty", rd(s, 0, "/a/b"), "");
    EQ("directory", call1(s, XS_DIRECTORY, 0, "/a"), "b|");
    EQ("write empty value", wr(s, 0, "/a/e", ""), "OK|");
    EQ("children in creation order", call1(s, XS_DIRECTORY, 0, "/a"), "b|e|");
    EQ("mkdir new", call1(s, XS_MKDIR, 0, "/a/m/n"), "OK|");
    EQ("mkdir existing keeps value", (call1(s, XS_MKDIR, 0, "/a/b/c"), rd(s, 0, "/a/b/c")),
       "hello");
    EQ("read missing", rd(s, 0, "/a/zz"), "!ENOENT");
    EQ("rm missing with parent", call1(s, XS_RM, 0, "/a/zz"), "OK|");
    EQ("rm missing parent", call1(s, XS_RM, 0, "/a/zz/yy"), "!ENOENT");
    EQ("rm subtree", call1(s, XS_RM, 0, "/a/b"), "OK|");
    EQ("rm removes children", rd(s, 0, "/a/b/c"), "!ENOENT");
    EQ("rm updates parent", call1(s, XS_DIRECTORY, 0, "/a"), "e|m|");
    EQ("rm root refused", call1(s, XS_RM, 0, "/"), "!EINVAL");
    EQ("relative path on socket is dom0's", (wr(s, 0, "rel", "x"), rd(s, 0, "/local/domain/0/rel")),
       "x");
    EQ("binary value", (callv(s, XS_WRITE, 0, 2, (const char *[]){ "/bin", "a" }, false),
                        rd(s, 0, "/bin")),
       "a|");
    EQ("start-up nodes", call1(s, XS_DIRECTORY, 0, "/"), "tool|local|a|bin|");
    EQ("get domain path", call1(s, XS_GET_DOMAIN_PATH, 0, "7"), "/local/domain/7|");
    EQ("unknown type", call1(s, 999, 0, "x"), "!ENOSYS");
    EQ("reply type as request", call1(s, XS_ERROR, 0, "x"), "!ENOSYS");
    EQ("read needs one argument", call2(s, XS_READ, 0, "/a", "/b"), "!EINVAL");
    EQ("control check", call1(s, XS_CONTROL, 0, "check"), "OK|");
    EQ("control unknown", call1(s, XS_CONTROL, 0, "frobnicate"), "!EINVAL");
    CHECK("basic store consistent", store_ok(), "see above");
    call1(s, XS_RM, 0, "/a");
    call1(s, XS_RM, 0, "/bin");
    call1(s, XS_RM, 0, "/local/domain/0/rel");
    ts_free(s);
}

static void test_paths(void)
{
    struct ts_conn *s = ts_socket();
    char longp[XENSTORE_ABS_PATH_MAX + 16];

    EQ("double slash", wr(s, 0, "/a//b", "x"), "!EINVAL");
    EQ("trailing slash", wr(s, 0, "/a/", "x"), "!EINVAL");
    EQ("bad char", wr(s, 0, "/a b", "x"), "!EINVAL");
    EQ("special not a node", rd(s, 0, "@releaseDomain"), "!EINVAL");
    EQ("empty relative", rd(s, 0, ""), "!EINVAL");
    memset(longp, 'x', sizeof(longp));
    longp[0] = '/';
    longp[2049] = '\0';
    EQ("path over quota", rd(s, 0, longp), "!EINVAL");
    longp[2048] = '\0';
    EQ("path at quota", rd(s, 0, longp), "!ENOENT");
    ts_free(s);
}

static void test_perms(void)
{
    struct ts_conn *s = ts_socket(), *d5 = ts_domain(5), *d6 = ts_domain(6);

    wr(s, 0, "/local/domain/5/data", "five");
    perms3(s, 0, "/local/domain/5", "n0", "r5");
    perms3(s, 0, "/local/domain/5/data", "n5", NULL);
    wr(s, 0, "/local/domain/6/x", "six");
    perms3(s, 0, "/local/domain/6", "n0", "r6");
    perms3(s, 0, "/local/domain/6/x", "n6", NULL);

    EQ("domain reads own node relative", rd(d5, 0, "data"), "five");
    EQ("domain reads own node absolute", rd(d5, 0, "/local/domain/5/data"), "five");
    EQ("other domain refused", rd(d6, 0, "/local/domain/5/data"), "!EACCES");
    EQ("other domain's dir refused", call1(d6, XS_DIRECTORY, 0, "/local/domain/5"), "!EACCES");
    EQ("missing node below unreadable dir hides existence",
       rd(d6, 0, "/local/domain/5/nothing"), "!EACCES");
    EQ("missing node below own dir", rd(d5, 0, "nothing"), "!ENOENT");
    EQ("dom0-private node refused", rd(d5, 0, "/tool/xenstored"), "!EACCES");
    EQ("create below read-only dir refused", wr(d5, 0, "/local/domain/5/new", "x"), "!EACCES");
    EQ("create below own node", wr(d5, 0, "data/sub", "y"), "OK|");
    EQ("creator owns new node", call1(d5, XS_GET_PERMS, 0, "data/sub"), "n5|");
    EQ("domain may not give away its node", perms3(d5, 0, "data", "n6", NULL), "!EPERM");
    EQ("owner grants read", perms3(d5, 0, "data", "n5", "r6"), "OK|");
    EQ("grantee reads", rd(d6, 0, "/local/domain/5/data"), "five");
    EQ("grantee may not write", wr(d6, 0, "/local/domain/5/data", "z"), "!EACCES");
    EQ("non-owner may not set perms", perms3(d6, 0, "/local/domain/5/data", "n5", "b6"),
       "!EACCES");
    EQ("default access from first entry", perms3(d5, 0, "data", "r5", NULL), "OK|");
    EQ("default read", rd(d6, 0, "/local/domain/5/data"), "five");
    EQ("privileged ignores perms", rd(s, 0, "/local/domain/5/data"), "five");
    EQ("bad perm letter", perms3(s, 0, "/local/domain/5/data", "x5", NULL), "!EINVAL");
    EQ("bad perm domid", perms3(s, 0, "/local/domain/5/data", "r70000", NULL), "!EINVAL");
    EQ("get perms format", call1(s, XS_GET_PERMS, 0, "/local/domain/5"), "n0|r5|");
    EQ("unprivileged INTRODUCE refused", call1(d5, XS_INTRODUCE, 0, "9"), "!EACCES");
    EQ("unprivileged CONTROL refused", call1(d5, XS_CONTROL, 0, "check"), "!EACCES");

    /* SET_TARGET: 6 acts for 5 (a device model for its guest). */
    EQ("set target", call2(s, XS_SET_TARGET, 0, "6", "5"), "OK|");
    perms3(s, 0, "/local/domain/5/data", "n5", NULL);
    EQ("target reads owner's node", rd(d6, 0, "/local/domain/5/data"), "five");
    EQ("target writes owner's node", wr(d6, 0, "/local/domain/5/data", "5!"), "OK|");
    EQ("target of unknown domain", call2(s, XS_SET_TARGET, 0, "6", "77"), "!ENOENT");
    EQ("unknown domain gets no target", call2(s, XS_SET_TARGET, 0, "77", "5"), "!ENOENT");
    CHECK("refused SET_TARGET keeps the target", d6->c->target == 5, "target %d",
          d6->c->target);

    /* Releasing the target ends the targeting: a later domain with the
     * same id is not the target (xenstore.txt: SET_TARGET names
     * introduced domains). */
    EQ("release target", call1(s, XS_RELEASE, 0, "5"), "OK|");
    CHECK("release of the target clears it", d6->c->target == -1, "target %d", d6->c->target);
    EQ("target domain id reused",
       callv(s, XS_INTRODUCE, 0, 3, (const char *[]){ "5", "1", "3" }, false), "OK|");
    wr(s, 0, "/local/domain/5/data", "new five");
    perms3(s, 0, "/local/domain/5/data", "n5", NULL);
    EQ("former target's successor refused", rd(d6, 0, "/local/domain/5/data"), "!EACCES");
    EQ("former target's successor not writable",
       wr(d6, 0, "/local/domain/5/data", "x"), "!EACCES");
    EQ("release reused id", call1(s, XS_RELEASE, 0, "5"), "OK|");

    CHECK("perms store consistent", store_ok(), "see above");
    ts_free(d5);
    ts_free(d6);
    call1(s, XS_RM, 0, "/local/domain/5");
    call1(s, XS_RM, 0, "/local/domain/6");
    ts_free(s);
}

static void test_watches(void)
{
    struct ts_conn *s = ts_socket(), *w = ts_socket(), *d5 = ts_domain(5);
    unsigned long n;

    EQ("watch", call2(w, XS_WATCH, 0, "/w", "tok"), "OK|");
    n = ts_drain_events(w);
    CHECK("watch fires once at once", n == 1 && !memcmp(w->last_event, "/w\0tok", 7),
          "n=%lu", n);
    EQ("duplicate watch", call2(w, XS_WATCH, 0, "/w", "tok"), "!EEXIST");
    ts_drain_events(w);
    wr(s, 0, "/w/a/b", "1");
    n = ts_drain_events(w);
    CHECK("write below fires", n == 1 && !strcmp(w->last_event, "/w/a/b"), "n=%lu %s", n,
          w->last_event);
    wr(s, 0, "/wx", "1");
    wr(s, 0, "/", "");
    CHECK("sibling and ancestor writes do not fire", ts_drain_events(w) == 0, "fired");
    EQ("watch descendant", call2(w, XS_WATCH, 0, "/w/a/b", "deep"), "OK|");
    ts_drain_events(w);
    wr(s, 0, "/w/a/b", "2");
    CHECK("write fires both watches", ts_drain_events(w) == 2, "not 2");
    call1(s, XS_RM, 0, "/w/a");
    n = ts_drain_events(w);
    CHECK("rm fires subtree watch and exact descendant watch", n == 2, "n=%lu", n);
    call1(s, XS_RM, 0, "/wx");
    EQ("unwatch", call2(w, XS_UNWATCH, 0, "/w/a/b", "deep"), "OK|");
    EQ("unwatch unknown", call2(w, XS_UNWATCH, 0, "/w/a/b", "deep"), "!ENOENT");
    wr(s, 0, "/w/a/b", "3");
    CHECK("unwatched no longer fires", ts_drain_events(w) == 1, "wrong count");
    ts_drain_events(w);
    EQ("set perms", perms3(s, 0, "/w/a/b", "n0", "r5"), "OK|");
    CHECK("perms change is an event", ts_drain_events(w) == 1, "no event");

    /* A domain hears only about nodes it can read. */
    wr(s, 0, "/local/domain/5/pub", "p");
    perms3(s, 0, "/local/domain/5", "n0", "r5");
    perms3(s, 0, "/local/domain/5/pub", "n5", NULL);
    wr(s, 0, "/secret/x", "s");
    EQ("domain watches relative", call2(d5, XS_WATCH, 0, "pub", "t5"), "OK|");
    EQ("domain watches private dir", call2(d5, XS_WATCH, 0, "/secret", "ts"), "OK|");
    ts_drain_events(d5);
    CHECK("initial events for both watches", d5->events == 2 &&
          !strcmp(d5->last_event, "/secret"), "events=%lu last %s", d5->events, d5->last_event);
    wr(s, 0, "/local/domain/5/pub/q", "1");
    ts_drain_events(d5);
    CHECK("relative event path", !strcmp(d5->last_event, "pub/q"), "got %s", d5->last_event);
    n = d5->events;
    wr(s, 0, "/secret/x", "t");
    ts_drain_events(d5);
    CHECK("unreadable change not reported", d5->events == n, "leaked event %s", d5->last_event);
    EQ("reset watches", call1(d5, XS_RESET_WATCHES, 0, ""), "OK|");
    CHECK("reset watches clears", d5->c->nwatches == 0, "still %u", d5->c->nwatches);

    EQ("watch bad path", call2(w, XS_WATCH, 0, "/bad//p", "x"), "!EINVAL");
    EQ("watch needs two strings", call1(w, XS_WATCH, 0, "/w"), "!EINVAL");
    ts_free(d5);
    call1(s, XS_RM, 0, "/w");
    call1(s, XS_RM, 0, "/secret");
    call1(s, XS_RM, 0, "/local/domain/5");
    ts_free(w);
    ts_free(s);
}

static uint32_t tx_start(struct ts_conn *t)
{
    const char *r = call1(t, XS_TRANSACTION_START, 0, "");

    return r[0] == '!' ? 0 : (uint32_t)strtoul(r, NULL, 10);
}

static void test_transactions(void)
{
    struct ts_conn *s = ts_socket(), *o = ts_socket(), *w = ts_socket();
    uint32_t tx, tx2;

    wr(s, 0, "/t/x", "0");
    call2(w, XS_WATCH, 0, "/t", "tw");
    ts_drain_events(w);
    tx = tx_start(s);
    CHECK("transaction id", tx != 0, "no id");
    EQ("write in tx", wr(s, tx, "/t/x", "1"), "OK|");
    EQ("read own write", rd(s, tx, "/t/x"), "1");
    EQ("outside sees old value", rd(o, 0, "/t/x"), "0");
    CHECK("no event before commit", ts_drain_events(w) == 0, "event leaked");
    EQ("commit", call1(s, XS_TRANSACTION_END, tx, "T"), "OK|");
    EQ("committed", rd(o, 0, "/t/x"), "1");
    CHECK("event on commit", ts_drain_events(w) == 1 && !strcmp(w->last_event, "/t/x"),
          "no event");
    EQ("ended tx is gone", rd(s, tx, "/t/x"), "!ENOENT");

    tx = tx_start(s);
    wr(s, tx, "/t/x", "2");
    rd(s, tx, "/t/x");
    wr(o, 0, "/t/x", "other");
    EQ("conflict", call1(s, XS_TRANSACTION_END, tx, "T"), "!EAGAIN");
    EQ("conflict leaves outside value", rd(o, 0, "/t/x"), "other");

    tx = tx_start(s);
    rd(s, tx, "/t/new");
    wr(o, 0, "/t/new", "n");
    wr(s, tx, "/t/y", "y");
    EQ("creation of a node read as missing conflicts", call1(s, XS_TRANSACTION_END, tx, "T"),
       "!EAGAIN");
    EQ("failed tx changed nothing", rd(o, 0, "/t/y"), "!ENOENT");

    tx = tx_start(s);
    wr(s, tx, "/t/z", "z");
    wr(o, 0, "/elsewhere", "e");
    EQ("unrelated write does not conflict", call1(s, XS_TRANSACTION_END, tx, "T"), "OK|");

    tx = tx_start(s);
    wr(s, tx, "/t/abort", "a");
    EQ("abort", call1(s, XS_TRANSACTION_END, tx, "F"), "OK|");
    EQ("aborted write gone", rd(o, 0, "/t/abort"), "!ENOENT");

    tx = tx_start(s);
    call1(s, XS_RM, tx, "/t");
    EQ("rm in tx hides", rd(s, tx, "/t/x"), "!ENOENT");
    EQ("rm in tx not visible outside", rd(o, 0, "/t/x"), "other");
    ts_drain_events(w);
    EQ("commit rm", call1(s, XS_TRANSACTION_END, tx, "T"), "OK|");
    CHECK("rm committed events", ts_drain_events(w) >= 1, "none");
    EQ("rm committed", rd(o, 0, "/t"), "!ENOENT");

    tx = tx_start(s);
    tx2 = tx_start(s);
    CHECK("two transactions", tx && tx2 && tx != tx2, "ids %u %u", tx, tx2);
    EQ("no nested start", call1(s, XS_TRANSACTION_START, tx, ""), "!EBUSY");
    EQ("bad end arg", call1(s, XS_TRANSACTION_END, tx, "X"), "!EINVAL");
    EQ("end without tx", call1(s, XS_TRANSACTION_END, 0, "T"), "!ENOENT");
    EQ("unknown tx id", rd(s, 12345, "/"), "!ENOENT");
    EQ("directory part in tx", call2(s, XS_DIRECTORY_PART, tx, "/tool", "0"),
       call2(s, XS_DIRECTORY_PART, 0, "/tool", "0"));
    call1(s, XS_TRANSACTION_END, tx, "F");
    call1(s, XS_TRANSACTION_END, tx2, "F");
    CHECK("transactions freed", s->c->ntxns == 0, "%u left", s->c->ntxns);
    call1(s, XS_RM, 0, "/elsewhere");
    CHECK("tx store consistent", store_ok(), "see above");
    ts_free(w);
    ts_free(o);
    ts_free(s);
}

static void test_directory_part(void)
{
    struct ts_conn *s = ts_socket();
    char name[64], payload[XENSTORE_PAYLOAD_MAX + 1];
    unsigned i, off = 0, rlen, total = 0, got = 0;
    int rt;

    for (i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "/big/child-with-a-longish-name-%03u", i);
        wr(s, 0, name, "");
        total += (unsigned)strlen(name + 5) + 1;
    }
    EQ("too big for DIRECTORY", call1(s, XS_DIRECTORY, 0, "/big"), "!E2BIG");
    for (;;) {
        char arg[32], req[64];
        unsigned len;
        const char *p;

        snprintf(arg, sizeof(arg), "%u", off);
        len = (unsigned)snprintf(req, sizeof(req), "/big%c%s", 0, arg) + 1;
        rt = ts_req(s, XS_DIRECTORY_PART, 0, req, len, payload, &rlen);
        if (rt != XS_DIRECTORY_PART)
            break;
        p = payload + strlen(payload) + 1;   /* skip generation */
        if (p >= payload + rlen || !*p)
            break;
        while (p < payload + rlen && *p) {
            got++;
            off += (unsigned)strlen(p) + 1;
            p += strlen(p) + 1;
        }
        if (p < payload + rlen)
            break;   /* trailing empty string: list complete */
    }
    CHECK("directory part returns every child", got == 300 && off == total,
          "got %u children, %u of %u bytes", got, off, total);
    call1(s, XS_RM, 0, "/big");
    ts_free(s);
}

static void test_quotas(void)
{
    struct ts_conn *s = ts_socket(), *d5 = ts_domain(5);
    char path[64], value[2100];
    unsigned i;
    const char *r = "OK|";

    wr(s, 0, "/local/domain/5", "");
    perms3(s, 0, "/local/domain/5", "n5", NULL);
    quota.nodes = 20;
    for (i = 0; i < 30 && r[0] != '!'; i++) {
        snprintf(path, sizeof(path), "n%u", i);
        r = wr(d5, 0, path, "v");
    }
    CHECK("node quota stops creation", !strcmp(r, "!ENOSPC") && domain_owned_nodes(5) == 20,
          "r=%s owned=%u", r, domain_owned_nodes(5));
    /* Nodes Dom0 creates below a domain's node still belong to the domain
     * (they inherit the parent's owner), but Dom0 is not refused. */
    EQ("dom0 exempt from node quota", wr(s, 0, "/local/domain/5/dom0made/a/b", "x"), "OK|");
    CHECK("inherited owner charged", domain_owned_nodes(5) == 23, "owned %u",
          domain_owned_nodes(5));
    call1(s, XS_RM, 0, "/local/domain/5/dom0made");
    EQ("existing nodes still writable", wr(d5, 0, "n0", "again"), "OK|");
    call1(d5, XS_RM, 0, "n1");
    EQ("freed quota reusable", wr(d5, 0, "fresh", "v"), "OK|");
    quota.nodes = 1000;

    memset(value, 'v', sizeof(value));
    value[2047] = '\0';
    EQ("node size quota", wr(d5, 0, "big", value), "!ENOSPC");
    value[1000] = '\0';
    EQ("node under size quota", wr(d5, 0, "big", value), "OK|");
    value[1000] = 'v';
    EQ("dom0 exempt from size quota", wr(s, 0, "/local/domain/5/big", value), "OK|");

    EQ("perms quota", callv(d5, XS_SET_PERMS, 0, 7,
                            (const char *[]){ "n0", "n5", "r1", "r2", "r3", "r4", "r6" }, false),
       "!ENOSPC");
    EQ("perms at quota", callv(d5, XS_SET_PERMS, 0, 6,
                               (const char *[]){ "n0", "n5", "r1", "r2", "r3", "r4" }, false),
       "OK|");

    quota.watches = 3;
    for (i = 0, r = "OK|"; i < 5 && r[0] != '!'; i++) {
        snprintf(path, sizeof(path), "tok%u", i);
        r = call2(d5, XS_WATCH, 0, "n0", path);
    }
    CHECK("watch quota", !strcmp(r, "!E2BIG") && d5->c->nwatches == 3, "r=%s n=%u", r,
          d5->c->nwatches);
    quota.watches = 128;

    quota.transactions = 2;
    tx_start(d5);
    tx_start(d5);
    EQ("transaction quota", call1(d5, XS_TRANSACTION_START, 0, ""), "!ENOSPC");
    quota.transactions = 10;
    txn_abort_all(d5->c);

    quota.trans_nodes = 5;
    {
        uint32_t tx = tx_start(d5);

        for (i = 0; i < 10; i++) {
            snprintf(path, sizeof(path), "tn%u", i);
            wr(d5, tx, path, "x");
        }
        EQ("transaction node quota fails commit", call1(d5, XS_TRANSACTION_END, tx, "T"),
           "!ENOSPC");
    }
    quota.trans_nodes = 1024;

    CHECK("quota store consistent", store_ok(), "see above");
    ts_free(d5);
    call1(s, XS_RM, 0, "/local/domain/5");
    ts_free(s);
}

static int stuck_write(struct conn *c, const void *buf, unsigned len, unsigned *err)
{
    (void)c;
    (void)buf;
    (void)len;
    (void)err;
    return 0;
}

static const struct conn_ops stuck_ring_ops = {
    .kind = "stuck-ring", .read = ts_read, .write = stuck_write,
    .drop_events_on_overflow = true,
};
static bool stuck_socket_freed;

static void stuck_socket_release(struct conn *c)
{
    (void)c;
    stuck_socket_freed = true;
}

static const struct conn_ops stuck_socket_ops = {
    .kind = "stuck-socket", .read = ts_read, .write = stuck_write,
    .release = stuck_socket_release,
};

/* Clients that never read: the daemon stops serving them (replies) and
 * bounds what it queues for them (events). */
static void test_flow_control(void)
{
    struct ts_conn *s = ts_socket();
    struct conn *stuck = conn_new(&stuck_ring_ops, 7), *ss;
    struct xsd_sockmsg h = { .type = XS_READ, .len = 2 };
    char msg[64], p[32];
    unsigned i;
    int err = 0;

    domain_attach_conn(7, stuck);
    quota.outstanding = 4;
    memcpy(msg, &h, sizeof(h));
    memcpy(msg + sizeof(h), "/\0", 2);
    for (i = 0; i < 10; i++)
        conn_input_bytes(stuck, msg, sizeof(h) + 2);
    CHECK("non-reading domain stops being served", stuck->out_replies == 4,
          "%u replies queued", stuck->out_replies);
    quota.outstanding = 20;

    quota.output_queue = 4096;
    wr(s, 0, "/flood", "");
    perms3(s, 0, "/flood", "n0", "r7");
    watch_add(stuck, "/", "all", &err);
    {
        unsigned before = stuck->out_count;

        wr(s, 0, "/flood/dup", "1");
        wr(s, 0, "/flood/dup", "2");
        CHECK("identical pending events are merged", stuck->out_count == before + 1,
              "%u queued", stuck->out_count - before);
    }
    for (i = 0; i < 200; i++) {
        snprintf(p, sizeof(p), "/flood/%u", i);
        wr(s, 0, p, "x");
    }
    CHECK("ring connection drops events past the cap",
          stuck->out_bytes <= quota.output_queue && !stuck->dead && stuck->dropped_events > 0,
          "bytes %zu dead %d dropped %lu", stuck->out_bytes, stuck->dead, stuck->dropped_events);

    ss = conn_new(&stuck_socket_ops, 0);
    watch_add(ss, "/", "all", &err);
    for (i = 0; i < 200; i++) {
        snprintf(p, sizeof(p), "/flood/%u", i);
        wr(s, 0, p, "y");
    }
    CHECK("socket connection closed past the cap", stuck_socket_freed, "still open, %zu bytes",
          ss->out_bytes);
    quota.output_queue = 1024 * 1024;
    call1(s, XS_RM, 0, "/flood");
    domain_destroy(7);
    conn_reap();
    ts_free(s);
}

static void test_malformed(void)
{
    struct ts_conn *bad = ts_socket(), *good = ts_socket();
    struct xsd_sockmsg h = { .type = XS_READ, .len = XENSTORE_PAYLOAD_MAX + 1 };
    struct conn *bc = bad->c;
    struct ts_conn *d9 = ts_domain(9);

    ts_send_raw(bad, &h, sizeof(h));
    CHECK("oversized message closes the socket", bad->c == NULL || bc->dead, "still open");
    EQ("other client unaffected", rd(good, 0, "/tool/xenstored"), "");
    ts_send_raw(d9, &h, sizeof(h));
    CHECK("oversized message stalls a domain connection", d9->c && d9->c->stalled,
          "not stalled");
    EQ("stalled domain gets no reply", rd(d9, 0, "/tool"), "!NOREPLY(-1)");
    ts_free(bad);
    ts_free(d9);
    ts_free(good);
}

static void test_specials(void)
{
    struct ts_conn *s = ts_socket(), *d5 = ts_domain(5);
    unsigned long before;

    EQ("priv watches release", call2(s, XS_WATCH, 0, "@releaseDomain", "rel"), "OK|");
    EQ("priv watches one domain", call2(s, XS_WATCH, 0, "@releaseDomain/6", "rel6"), "OK|");
    EQ("priv watches introduce", call2(s, XS_WATCH, 0, "@introduceDomain", "intro"), "OK|");
    EQ("domain watch on special", call2(d5, XS_WATCH, 0, "@releaseDomain", "d5rel"), "OK|");
    ts_drain_events(s);
    ts_drain_events(d5);
    EQ("special perms", call1(s, XS_GET_PERMS, 0, "@releaseDomain"), "n0|");
    EQ("unprivileged may not read special perms", call1(d5, XS_GET_PERMS, 0, "@releaseDomain"),
       "!EACCES");

    {
        struct ts_conn *d6 = ts_domain(6);

        before = s->events;
        ts_free(d6);   /* tears domain 6 down */
        ts_drain_events(s);
        CHECK("release fires @releaseDomain and its domid form", s->events - before == 2,
              "%lu events", s->events - before);
        CHECK("domain without permission not told", ts_drain_events(d5) == 0, "told");
    }
    EQ("grant special read", perms3(s, 0, "@releaseDomain", "n0", "r5"), "OK|");
    {
        struct ts_conn *d7 = ts_domain(7);

        ts_free(d7);
        CHECK("granted domain told", ts_drain_events(d5) == 1 &&
              !strcmp(d5->last_event, "@releaseDomain"), "not told");
    }
    EQ("unknown special", perms3(s, 0, "@nonsense", "n0", NULL), "!EINVAL");
    ts_free(d5);
    EQ("released domain removed from special perms", call1(s, XS_GET_PERMS, 0, "@releaseDomain"),
       "n0|");
    ts_free(s);
}

/* Guest side of a ring page. */
static void guest_send(struct xenstore_domain_interface *intf, uint32_t type, const char *payload,
                       unsigned len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = 1, .len = len };
    char buf[sizeof(h) + 64];
    unsigned i;

    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), payload, len);
    for (i = 0; i < sizeof(h) + len; i++)
        intf->req[MASK_XENSTORE_IDX(intf->req_prod + i)] = buf[i];
    intf->req_prod += (uint32_t)(sizeof(h) + len);
}

static unsigned guest_recv(struct xenstore_domain_interface *intf, char *buf, unsigned max)
{
    unsigned n = 0;

    while (intf->rsp_cons != intf->rsp_prod && n < max)
        buf[n++] = intf->rsp[MASK_XENSTORE_IDX(intf->rsp_cons++)];
    return n;
}

static void test_ring_domains(void)
{
    struct ts_conn *s = ts_socket();
    struct domain *d;
    struct xenstore_domain_interface *intf;
    char buf[256];
    unsigned n, i;
    struct mem_stats before, after;

    EQ("introduce", callv(s, XS_INTRODUCE, 0, 3, (const char *[]){ "12", "4660", "3" }, false),
       "OK|");
    d = domain_find(12);
    CHECK("introduced domain has a ring", d && d->introduced && d->ring.intf && d->conn,
          "no ring");
    intf = d->ring.intf;
    CHECK("features advertised", intf->server_features ==
          (XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR), "features %u",
          intf->server_features);
    EQ("is introduced", call1(s, XS_IS_DOMAIN_INTRODUCED, 0, "12"), "T|");
    EQ("not introduced", call1(s, XS_IS_DOMAIN_INTRODUCED, 0, "13"), "F|");
    wr(s, 0, "/local/domain/12/name", "guest");
    perms3(s, 0, "/local/domain/12", "n0", "r12");
    perms3(s, 0, "/local/domain/12/name", "n0", "r12");

    /* Requests that wrap around the ring. */
    for (i = 0; i < 100; i++) {
        guest_send(intf, XS_READ, "name", 5);
        conn_service(d->conn);
        n = guest_recv(intf, buf, sizeof(buf));
        if (n != sizeof(struct xsd_sockmsg) + 5 || memcmp(buf + sizeof(struct xsd_sockmsg), "guest", 5))
            break;
    }
    CHECK("ring request/response, wrapping", i == 100, "failed at %u (n=%u)", i, n);

    intf->req_prod = intf->req_cons + 5000;
    conn_service(d->conn);
    CHECK("bad ring index stalls the connection", d->conn->stalled &&
          intf->error == XENSTORE_ERROR_RINGIDX, "error %u", intf->error);
    EQ("daemon still serves others", rd(s, 0, "/local/domain/12/name"), "guest");

    intf->connection = XENSTORE_RECONNECT;
    ring_check_reconnect(d);
    CHECK("reconnect resets the ring", !d->conn->stalled && intf->connection == XENSTORE_CONNECTED &&
          intf->error == 0 && intf->req_prod == 0 && intf->rsp_prod == 0, "not reset");
    guest_send(intf, XS_READ, "name", 5);
    conn_service(d->conn);
    n = guest_recv(intf, buf, sizeof(buf));
    CHECK("works after reconnect", n == sizeof(struct xsd_sockmsg) + 5, "n=%u", n);

    ts_map_fail = 1;
    EQ("introduce with unmappable ring", callv(s, XS_INTRODUCE, 0, 3,
                                               (const char *[]){ "14", "1", "3" }, false),
       "!ENOENT");
    ts_map_fail = 0;
    CHECK("failed introduce leaves nothing", !domain_find(14) && ts_rings_mapped == 1,
          "rings %u", ts_rings_mapped);
    EQ("introduce domid 0 refused", callv(s, XS_INTRODUCE, 0, 3,
                                          (const char *[]){ "0", "1", "3" }, false), "!EINVAL");
    EQ("introduce port 0 refused", callv(s, XS_INTRODUCE, 0, 3,
                                         (const char *[]){ "15", "1", "0" }, false), "!EINVAL");

    /* Domain death through VIRQ_DOM_EXC. */
    call2(s, XS_WATCH, 0, "@releaseDomain", "r");
    ts_drain_events(s);
    ts_set_state(12, DOMAIN_STATE_SHUTDOWN);
    domain_check_all();
    CHECK("shutdown fires @releaseDomain once per form", ts_drain_events(s) == 1, "wrong");
    domain_check_all();
    CHECK("shutdown not reported twice", ts_drain_events(s) == 0, "reported again");
    EQ("resume", call1(s, XS_RESUME, 0, "12"), "OK|");
    ts_set_state(12, DOMAIN_STATE_DYING);
    domain_check_all();
    CHECK("dying domain torn down", !domain_find(12) && ts_rings_mapped == 0, "still there");
    CHECK("teardown fires @releaseDomain", ts_drain_events(s) >= 1, "no event");
    EQ("nodes it could only read stay", rd(s, 0, "/local/domain/12/name"), "guest");
    EQ("its read grant is gone", call1(s, XS_GET_PERMS, 0, "/local/domain/12"), "n0|");
    ts_set_state(12, DOMAIN_STATE_ALIVE);
    call1(s, XS_RM, 0, "/local/domain/12");

    /* Twenty lifecycles leave memory where it was. */
    mem_get_stats(&before);
    for (i = 0; i < 20; i++) {
        struct domain *dd;

        callv(s, XS_INTRODUCE, 0, 3, (const char *[]){ "20", "1", "5" }, false);
        wr(s, 0, "/local/domain/20", "");
        perms3(s, 0, "/local/domain/20", "n20", NULL);
        dd = domain_find(20);
        guest_send(dd->ring.intf, XS_WRITE, "data\0x", 6);
        conn_service(dd->conn);
        guest_send(dd->ring.intf, XS_WATCH, "data\0t", 7);
        conn_service(dd->conn);
        guest_send(dd->ring.intf, XS_TRANSACTION_START, "", 1);
        conn_service(dd->conn);
        if (i % 2)
            call1(s, XS_RELEASE, 0, "20");
        else {
            ts_set_state(20, DOMAIN_STATE_GONE);
            domain_check_all();
            ts_set_state(20, DOMAIN_STATE_ALIVE);
        }
        conn_reap();
    }
    mem_get_stats(&after);
    CHECK("20 introduce/release cycles leave memory flat",
          after.blocks == before.blocks && after.bytes == before.bytes,
          "blocks %zu -> %zu, bytes %zu -> %zu", before.blocks, after.blocks, before.bytes,
          after.bytes);
    EQ("owned domain home removed", rd(s, 0, "/local/domain/20"), "!ENOENT");
    EQ("release unknown", call1(s, XS_RELEASE, 0, "20"), "!ENOENT");
    EQ("release dom0 refused", call1(s, XS_RELEASE, 0, "0"), "!EINVAL");
    CHECK("ring store consistent", store_ok(), "see above");
    ts_free(s);
}

int main(void)
{
    TAP_PLAN(183);
    struct mem_stats m;
    size_t left;

    ts_start();
    mem_get_stats(&m);
    test_basic();
    test_paths();
    test_perms();
    test_watches();
    test_transactions();
    test_directory_part();
    test_quotas();
    test_flow_control();
    test_malformed();
    test_specials();
    test_ring_domains();
    CHECK("final store consistent", store_ok(), "see above");
    left = ts_stop();
    CHECK("everything freed at shutdown", left == 0, "%zu blocks left", left);
    TAP_EXIT();
}
