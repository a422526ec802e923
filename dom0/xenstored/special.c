/* The special nodes @introduceDomain and @releaseDomain. They hold no
 * value and no children; only their permissions matter: they decide which
 * connections hear those events (privileged ones always do) and who may
 * change them. Dom0 owns both at start. */
#include "special.h"

#include <errno.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "dom0/lib/mem.h"
#include "perms.h"

struct special_node {
    const char *name;
    struct xs_permissions *perms;
    unsigned nperms;
};
static struct special_node specials[] = {
    { "@introduceDomain", NULL, 0 },
    { "@releaseDomain", NULL, 0 },
};
#define NSPECIALS (sizeof(specials) / sizeof(specials[0]))

static struct special_node *special_find(const char *name)
{
    unsigned i;

    for (i = 0; i < NSPECIALS; i++)
        if (!strcmp(specials[i].name, name))
            return &specials[i];
    return NULL;
}

static void special_replace(struct special_node *s, struct xs_permissions *p, unsigned n)
{
    domain_account_perms(p, n, +1);
    if (s->perms)
        domain_account_perms(s->perms, s->nperms, -1);
    mem_free(s->perms);
    s->perms = p;
    s->nperms = n;
}

void special_init(void)
{
    unsigned i;

    for (i = 0; i < NSPECIALS; i++) {
        struct xs_permissions *p = mem_zalloc(sizeof(*p));

        p->id = 0;
        p->perms = XS_PERM_NONE;
        special_replace(&specials[i], p, 1);
    }
}

void special_free(void)
{
    unsigned i;

    for (i = 0; i < NSPECIALS; i++) {
        if (specials[i].perms)
            domain_account_perms(specials[i].perms, specials[i].nperms, -1);
        mem_free(specials[i].perms);
        specials[i].perms = NULL;
        specials[i].nperms = 0;
    }
}

bool special_readable(const struct conn *c, const char *name)
{
    const struct special_node *s = special_find(name);

    return s && (perms_for(c, s->perms, s->nperms) & XS_PERM_READ);
}

const struct xs_permissions *special_get_perms(const char *name, unsigned *n)
{
    const struct special_node *s = special_find(name);

    if (!s)
        return NULL;
    *n = s->nperms;
    return s->perms;
}

int special_set_perms(struct conn *c, const char *name, struct xs_permissions *perms,
                      unsigned n)
{
    struct special_node *s = special_find(name);
    const unsigned need = XS_PERM_WRITE | XS_PERM_OWNER;

    if (!s)
        return EINVAL;
    if ((perms_for(c, s->perms, s->nperms) & need) != need)
        return EACCES;
    if (!conn_is_privileged(c) && perms[0].id != s->perms[0].id)
        return EPERM;
    special_replace(s, perms, n);
    return 0;
}

void special_forget_domain(unsigned domid)
{
    unsigned i;

    for (i = 0; i < NSPECIALS; i++) {
        struct special_node *sp = &specials[i];
        struct xs_permissions *p = mem_dup(sp->perms, sp->nperms * sizeof(*p));

        special_replace(sp, p, perms_remove_domain(p, sp->nperms, domid, priv_domid));
    }
}

void special_for_each(void (*fn)(const struct xs_permissions *p, unsigned n, void *arg),
                      void *arg)
{
    unsigned i;

    for (i = 0; i < NSPECIALS; i++)
        fn(specials[i].perms, specials[i].nperms, arg);
}
