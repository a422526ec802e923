/* Domains as xenstored knows them: introduced domains with a ring
 * connection, and any domain that owns nodes or appears in permissions (so
 * that its nodes and grants can be cleaned up when it dies). domain.c keeps
 * the records, their accounting, teardown and VIRQ_DOM_EXC handling;
 * domain_request.c serves the domain-management requests. */
#ifndef XENSTORED_DOMAIN_H
#define XENSTORED_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <xenstore_lib.h>

#include "platform.h"

struct conn;
struct request;

struct domain {
    struct domain *next;
    unsigned domid;
    bool introduced;
    bool shutdown_seen;   /* @releaseDomain already fired for a shutdown */
    bool tearing_down;
    struct conn *conn;
    struct platform_ring ring;
    int local_port;       /* -1 when unbound */
    unsigned remote_port;
    unsigned nodes;       /* nodes owned (entry 0 of their permissions) */
    unsigned refs;        /* other permission entries naming the domain */
};

/* Set from the command line. */
extern bool keep_orphans;

/* Brings up domain support on an open platform: binds VIRQ_DOM_EXC and
 * introduces Dom0's local ring if there is one. Returns 0 or -errno. */
int domain_init(void);
/* Releases rings and ports without firing watches (daemon exit). */
void domain_shutdown(void);
/* Frees what remains once the store is gone. */
void domain_free_all(void);

bool domain_platform_active(void);
void domain_handle_event(int local_port);
/* VIRQ_DOM_EXC: asks the platform about every known domain. */
void domain_check_all(void);

struct domain *domain_find(unsigned domid);
/* Finds or creates the record for domid. */
struct domain *domain_get(unsigned domid);
/* Frees a record nothing refers to any more. */
void domain_maybe_free(struct domain *d);
/* Disconnects a domain, removes its nodes and its permission entries, and
 * (if it was introduced and `fire`) fires @releaseDomain. */
void domain_teardown(struct domain *d, bool fire);
unsigned domain_owned_nodes(unsigned domid);
unsigned domain_count(void);
unsigned domain_count_introduced(void);
/* Keeps node ownership and permission references counted (tree.c). */
void domain_account_perms(const struct xs_permissions *p, unsigned n, int delta);
int domain_check_accounting(char *why, size_t whylen);
/* Attaches an existing connection as domid's (tests, fuzzing). */
struct domain *domain_attach_conn(unsigned domid, struct conn *c);
/* Tears a domain down as if it had died. */
int domain_destroy(unsigned domid);

/* domain_request.c */
int domain_req_introduce(struct request *r);
int domain_req_release(struct request *r);
int domain_req_resume(struct request *r);
int domain_req_set_target(struct request *r);
int domain_req_is_introduced(struct request *r);
int domain_req_get_path(struct request *r);

#endif
