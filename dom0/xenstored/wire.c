#include "wire.h"

#include <string.h>

#include "conn.h"

const char *wire_type_name(uint32_t type)
{
    static const char *const names[XS_TYPE_COUNT] = {
        [XS_CONTROL] = "CONTROL",
        [XS_DIRECTORY] = "DIRECTORY",
        [XS_READ] = "READ",
        [XS_GET_PERMS] = "GET_PERMS",
        [XS_WATCH] = "WATCH",
        [XS_UNWATCH] = "UNWATCH",
        [XS_TRANSACTION_START] = "TRANSACTION_START",
        [XS_TRANSACTION_END] = "TRANSACTION_END",
        [XS_INTRODUCE] = "INTRODUCE",
        [XS_RELEASE] = "RELEASE",
        [XS_GET_DOMAIN_PATH] = "GET_DOMAIN_PATH",
        [XS_WRITE] = "WRITE",
        [XS_MKDIR] = "MKDIR",
        [XS_RM] = "RM",
        [XS_SET_PERMS] = "SET_PERMS",
        [XS_WATCH_EVENT] = "WATCH_EVENT",
        [XS_ERROR] = "ERROR",
        [XS_IS_DOMAIN_INTRODUCED] = "IS_DOMAIN_INTRODUCED",
        [XS_RESUME] = "RESUME",
        [XS_SET_TARGET] = "SET_TARGET",
        [XS_RESET_WATCHES] = "RESET_WATCHES",
        [XS_DIRECTORY_PART] = "DIRECTORY_PART",
    };

    if (type < XS_TYPE_COUNT && names[type])
        return names[type];
    return "UNKNOWN";
}

const char *wire_error_name(int err)
{
    unsigned i;

    for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (xsd_errors[i].errnum == err)
            return xsd_errors[i].errstring;
    return xsd_errors[0].errstring;
}

unsigned wire_count_strings(const struct request *r)
{
    unsigned i, n = 0;

    for (i = 0; i < r->hdr.len; i++)
        if (r->body[i] == '\0')
            n++;
    return n;
}

unsigned wire_strings(const struct request *r, const char **vec, unsigned max)
{
    unsigned i, n = 0, start = 0;

    for (i = 0; i < r->hdr.len; i++) {
        if (r->body[i] != '\0')
            continue;
        if (n < max)
            vec[n] = r->body + start;
        n++;
        start = i + 1;
    }
    return n;
}

const char *wire_onearg(const struct request *r)
{
    if (!r->hdr.len || memchr(r->body, '\0', r->hdr.len) != r->body + r->hdr.len - 1)
        return NULL;
    return r->body;
}

static void wire_reply(struct request *r, uint32_t type, const void *data, unsigned len)
{
    conn_queue_reply(r->conn, type, r->hdr.req_id, r->hdr.tx_id, data, len);
}

void reply_data(struct request *r, const void *data, unsigned len)
{
    if (len > XENSTORE_PAYLOAD_MAX) {
        reply_error(r, E2BIG);
        return;
    }
    wire_reply(r, r->hdr.type, data, len);
}

void reply_string(struct request *r, const char *s)
{
    reply_data(r, s, (unsigned)strlen(s) + 1);
}

void reply_ok(struct request *r)
{
    reply_string(r, "OK");
}

void reply_error(struct request *r, int err)
{
    const char *name = wire_error_name(err);

    wire_reply(r, XS_ERROR, name, (unsigned)strlen(name) + 1);
}

void wire_send_event(struct conn *c, const char *path, const char *token)
{
    conn_queue_event(c, path, token);
}
