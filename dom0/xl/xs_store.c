/* xenstore access with libxenstore (see xs_store.h). */
#include "xs_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

/* A transaction conflicts only when someone else writes the same nodes at
 * the same moment; a few retries are plenty. */
#define TRANSACTION_TRIES 10

struct xs_handle *xsh_open(void)
{
    return xs_open(0);
}

void xsh_close(struct xs_handle *h)
{
    if (h)
        xs_close(h);
}

static int put_entry(struct xs_handle *h, xs_transaction_t t, const struct xs_entry *e)
{
    struct xs_permissions perms[XS_ENTRY_MAX_PERMS];
    bool ok = e->value ? xs_write(h, t, e->path, e->value, strlen(e->value))
                       : xs_mkdir(h, t, e->path);
    if (!ok)
        return -errno;
    for (unsigned i = 0; i < e->nperms; i++) {
        perms[i].id = e->perms[i].domid;
        switch (e->perms[i].access) {
        case 'r': perms[i].perms = XS_PERM_READ; break;
        case 'w': perms[i].perms = XS_PERM_WRITE; break;
        case 'b': perms[i].perms = XS_PERM_READ | XS_PERM_WRITE; break;
        default: perms[i].perms = XS_PERM_NONE; break;
        }
    }
    if (e->nperms && !xs_set_permissions(h, t, e->path, perms, e->nperms))
        return -errno;
    return 0;
}

int xsh_write_entries(struct xs_handle *h, const struct xs_entry_list *l)
{
    for (int attempt = 0; attempt < TRANSACTION_TRIES; attempt++) {
        xs_transaction_t t = xs_transaction_start(h);
        if (t == XBT_NULL)
            return -errno;
        int rc = 0;
        for (size_t i = 0; i < l->count && !rc; i++)
            rc = put_entry(h, t, &l->items[i]);
        if (rc) {
            xs_transaction_end(h, t, true);
            return rc;
        }
        if (xs_transaction_end(h, t, false))
            return 0;
        if (errno != EAGAIN)
            return -errno;
    }
    return -EAGAIN;
}

int xsh_remove_domain(struct xs_handle *h, unsigned domid)
{
    char path[64], paths[XS_CLEANUP_MAX][XS_PATH_MAX];
    snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
    char *vm = xsh_read(h, path);
    unsigned n = xs_cleanup_paths(domid, 0, vm, paths);
    int rc = 0;
    free(vm);
    for (unsigned i = 0; i < n; i++)
        if (!xs_rm(h, XBT_NULL, paths[i]) && errno != ENOENT && !rc) {
            rc = -errno;
            fprintf(stderr, "xl: cannot remove %s: %s\n", paths[i], strerror(errno));
        }
    return rc;
}

char *xsh_read(struct xs_handle *h, const char *path)
{
    unsigned len;
    char *v = xs_read(h, XBT_NULL, path, &len);
    /* libxenstore NUL-terminates what it returns. */
    return v;
}

int xsh_write(struct xs_handle *h, const char *path, const char *value)
{
    return xs_write(h, XBT_NULL, path, value, strlen(value)) ? 0 : -errno;
}
