#include "perms.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "dom0/lib/mem.h"

static int perm_parse_one(const char *s, struct xs_permissions *out)
{
    unsigned long id = 0;
    const char *d;

    switch (s[0]) {
    case 'n': out->perms = XS_PERM_NONE; break;
    case 'r': out->perms = XS_PERM_READ; break;
    case 'w': out->perms = XS_PERM_WRITE; break;
    case 'b': out->perms = XS_PERM_READ | XS_PERM_WRITE; break;
    default: return EINVAL;
    }
    if (!s[1] || strlen(s + 1) > 5)
        return EINVAL;
    for (d = s + 1; *d; d++) {
        if (*d < '0' || *d > '9')
            return EINVAL;
        id = id * 10 + (unsigned long)(*d - '0');
    }
    if (id > 0xffff)
        return EINVAL;
    out->id = (unsigned)id;
    return 0;
}

int perms_parse(const char *strings, unsigned count, struct xs_permissions **out)
{
    struct xs_permissions *p = mem_zalloc(count * sizeof(*p));
    unsigned i;

    for (i = 0; i < count; i++) {
        if (perm_parse_one(strings, &p[i])) {
            mem_free(p);
            return EINVAL;
        }
        strings += strlen(strings) + 1;
    }
    *out = p;
    return 0;
}

char *perms_format(const struct xs_permissions *p, unsigned n, unsigned *len)
{
    char *buf = mem_zalloc(n * 8 + 1);
    unsigned i, off = 0;

    for (i = 0; i < n; i++) {
        char c;

        switch (p[i].perms & (XS_PERM_READ | XS_PERM_WRITE)) {
        case XS_PERM_READ: c = 'r'; break;
        case XS_PERM_WRITE: c = 'w'; break;
        case XS_PERM_READ | XS_PERM_WRITE: c = 'b'; break;
        default: c = 'n'; break;
        }
        off += (unsigned)snprintf(buf + off, 8, "%c%u", c, p[i].id & 0xffff) + 1;
    }
    *len = off;
    return buf;
}

unsigned perms_for(const struct conn *c, const struct xs_permissions *p, unsigned n)
{
    const unsigned all = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;
    unsigned i;

    if (!c || conn_is_privileged(c))
        return all;
    if (!n)
        return 0;
    if (p[0].id == c->domid || (c->target >= 0 && p[0].id == (unsigned)c->target))
        return all;
    for (i = 1; i < n; i++)
        if (p[i].id == c->domid || (c->target >= 0 && p[i].id == (unsigned)c->target))
            return p[i].perms & (XS_PERM_READ | XS_PERM_WRITE);
    return p[0].perms & (XS_PERM_READ | XS_PERM_WRITE);
}

unsigned perms_remove_domain(struct xs_permissions *p, unsigned n, unsigned domid,
                             unsigned new_owner)
{
    unsigned i, out = 1;

    if (p[0].id == domid)
        p[0].id = new_owner;
    for (i = 1; i < n; i++)
        if (p[i].id != domid)
            p[out++] = p[i];
    return out;
}
