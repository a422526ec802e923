/* Fuzzes xenstored's framing and request handling with arbitrary byte
 * streams from two clients at once: a privileged tools socket and an
 * unprivileged domain (domid 5), interleaved in random-sized chunks.
 *
 * Input: records of [selector][length][bytes]. Selector bit 0 picks the
 * client; selector 0xff instead kills domain 5 (as VIRQ_DOM_EXC would) and
 * brings it back, 0xfe reports it shut down.
 *
 * Invariants checked:
 *  - after every input the store is structurally sound and its accounting
 *    exact (tree_check), and once everything is torn down no allocation is
 *    left;
 *  - every message the daemon sent is well formed (length, type, error
 *    names, watch events of two strings);
 *  - around every chunk domain 5 sends: it receives no secret value it
 *    could not read, and it changes no secret node that neither it nor its
 *    ancestors let it write. The secret is new for every input so the
 *    fuzzer cannot learn it and write it from the privileged side;
 *  - domain 5 acts for no domain but itself and its SET_TARGET target, and
 *    that target is an introduced domain (RELEASE of the target ends it).
 *    The privileged client may INTRODUCE other domains and SET_TARGET 5 to
 *    one of them, which xenstore.txt allows; then domain 5 has the target's
 *    rights too, and may read the secret of /local/domain/6 if 6 is it. */
#include "dom0/xenstored/test_support.h"

#include <stdint.h>
#include <stdlib.h>

static char secret[40];
static const char *const secret_paths[] = { "/secret/key", "/local/domain/6/private" };
#define NSECRETS (sizeof(secret_paths) / sizeof(secret_paths[0]))

static void new_secret(void)
{
    static uint64_t counter = 0x9e3779b97f4a7c15ULL;

    counter = counter * 6364136223846793005ULL + 1442695040888963407ULL;
    snprintf(secret, sizeof(secret), "s3cr3t-%016llx", (unsigned long long)counter);
}

static void seed_store(void)
{
    struct xs_permissions p[2];
    unsigned len = (unsigned)strlen(secret);

    store_write(NULL, NULL, "/secret/key", secret, len);
    store_write(NULL, NULL, "/local/domain/6/private", secret, len);
    p[0] = (struct xs_permissions){ .id = 6, .perms = XS_PERM_NONE };
    store_set_perms(NULL, NULL, "/local/domain/6/private", mem_dup(p, sizeof(p[0])), 1);
    store_mkdir(NULL, NULL, "/local/domain/5/data");
    p[0] = (struct xs_permissions){ .id = 0, .perms = XS_PERM_NONE };
    p[1] = (struct xs_permissions){ .id = 5, .perms = XS_PERM_READ };
    store_set_perms(NULL, NULL, "/local/domain/5", mem_dup(p, sizeof(p)), 2);
    p[0] = (struct xs_permissions){ .id = 5, .perms = XS_PERM_NONE };
    store_set_perms(NULL, NULL, "/local/domain/5/data", mem_dup(p, sizeof(p[0])), 1);
}

static int known_error(const char *s, unsigned len)
{
    unsigned i;

    for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (strlen(xsd_errors[i].errstring) + 1 == len && !memcmp(s, xsd_errors[i].errstring, len))
            return 1;
    return 0;
}

static void check_output(const struct ts_conn *t)
{
    size_t off = 0;

    while (off + sizeof(struct xsd_sockmsg) <= t->outlen) {
        struct xsd_sockmsg h;
        const char *p;
        unsigned nuls = 0, i;

        memcpy(&h, t->out + off, sizeof(h));
        if (h.len > XENSTORE_PAYLOAD_MAX || h.type >= XS_TYPE_COUNT)
            abort();
        if (off + sizeof(h) + h.len > t->outlen)
            abort();   /* the daemon only ever writes whole messages here */
        p = t->out + off + sizeof(h);
        if (h.type == XS_ERROR && !known_error(p, h.len))
            abort();
        if (h.type == XS_WATCH_EVENT) {
            for (i = 0; i < h.len; i++)
                nuls += p[i] == '\0';
            if (nuls != 2 || h.len < 3 || p[h.len - 1] != '\0' || h.req_id || h.tx_id)
                abort();
        }
        off += sizeof(h) + h.len;
    }
}

/* Independent of perms.c, so a bug there cannot hide itself: what the
 * permission rules of xenstore.txt give unprivileged domain `domid`, which
 * also acts for domain `target` (SET_TARGET; -1: none) as its owner and
 * with every grant made to it. */
static bool oracle_names(unsigned id, unsigned domid, int target)
{
    return id == domid || (target >= 0 && id == (unsigned)target);
}

static unsigned oracle_access(unsigned domid, int target, const struct xs_permissions *p,
                              unsigned n)
{
    unsigned i;

    if (!n)
        return 0;
    if (oracle_names(p[0].id, domid, target))
        return XS_PERM_READ | XS_PERM_WRITE;
    for (i = 1; i < n; i++)
        if (oracle_names(p[i].id, domid, target))
            return p[i].perms & (XS_PERM_READ | XS_PERM_WRITE);
    return p[0].perms & (XS_PERM_READ | XS_PERM_WRITE);
}

struct secret_state {
    bool exists;
    uint64_t gen;
    bool dom_may_write;   /* the node or an ancestor is writable by the domain */
    bool dom_may_read;
};

static void secret_snapshot(unsigned domid, int target, struct secret_state *st)
{
    unsigned i;

    for (i = 0; i < NSECRETS; i++) {
        const struct node *n = tree_lookup(secret_paths[i]);
        char *p = mem_strdup(secret_paths[i]);

        st[i].exists = n != NULL;
        st[i].gen = n ? n->gen : 0;
        st[i].dom_may_read = n && (oracle_access(domid, target, n->perms, n->nperms) & XS_PERM_READ);
        st[i].dom_may_write = false;
        while (p) {
            const struct node *a = tree_lookup(p);
            char *up = path_parent(p);

            if (a && (oracle_access(domid, target, a->perms, a->nperms) & XS_PERM_WRITE))
                st[i].dom_may_write = true;
            mem_free(p);
            p = up;
        }
    }
}

/* Feeds one chunk from domain 5 and checks it learned or changed nothing
 * it had no right to. */
static void domain_chunk(struct ts_conn *dom, const uint8_t *data, size_t len)
{
    struct secret_state before[NSECRETS];
    size_t mark = dom->outlen;
    bool may_read = false;
    unsigned i;

    if (!dom->c) {
        ts_send_raw(dom, data, (unsigned)len);
        return;
    }
    /* SET_TARGET needs both domains introduced, and releasing the target
     * takes the target away: a domain that reuses the id gets nothing. */
    if (dom->c->target >= 0) {
        const struct domain *t = domain_find((unsigned)dom->c->target);

        if (!t || !t->introduced)
            abort();
    }
    secret_snapshot(5, dom->c->target, before);
    for (i = 0; i < NSECRETS; i++)
        may_read |= before[i].dom_may_read;
    ts_send_raw(dom, data, (unsigned)len);
    if (!may_read && dom->outlen > mark &&
        memmem(dom->out + mark, dom->outlen - mark, secret, strlen(secret)))
        abort();
    for (i = 0; i < NSECRETS; i++) {
        const struct node *n = tree_lookup(secret_paths[i]);

        if (before[i].exists && !before[i].dom_may_write && (!n || n->gen != before[i].gen))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ts_conn *priv, *dom;
    char why[256];
    size_t blocks;

    new_secret();
    ts_start();
    priv = ts_socket();
    dom = ts_domain(5);
    seed_store();

    while (size >= 2) {
        uint8_t sel = data[0];
        size_t len = data[1];

        data += 2;
        size -= 2;
        if (len > size)
            len = size;
        if (sel == 0xff) {
            check_output(dom);
            ts_free(dom);
            /* Domain 5 dies as VIRQ_DOM_EXC reports it: also when the
             * privileged client released it and introduced it again on a
             * ring, which ts_free() does not know of. A new domain 5 must
             * not find that ring connection still attached. */
            ts_set_state(5, DOMAIN_STATE_GONE);
            domain_check_all();
            ts_set_state(5, DOMAIN_STATE_ALIVE);
            dom = ts_domain(5);
        } else if (sel == 0xfe) {
            ts_set_state(5, DOMAIN_STATE_SHUTDOWN);
            domain_check_all();
            ts_set_state(5, DOMAIN_STATE_ALIVE);
        } else if (sel & 1) {
            domain_chunk(dom, data, len);
        } else {
            ts_send_raw(priv, data, (unsigned)len);
        }
        data += len;
        size -= len;
    }
    ts_pump();

    if (tree_check(why, sizeof(why)) < 0) {
        fprintf(stderr, "store check: %s\n", why);
        abort();
    }
    check_output(priv);
    check_output(dom);
    ts_free(dom);
    ts_free(priv);
    blocks = ts_stop();
    if (blocks) {
        fprintf(stderr, "%zu blocks leaked\n", blocks);
        abort();
    }
    ts_nstates = 0;
    return 0;
}
