/* A small strict JSON parser (see json.h). */
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct json_parser {
    const char *s;
    size_t len, pos;
    char *err;
    size_t errlen;
    bool failed;
};

static void *parse_fail(struct json_parser *p, const char *what)
{
    if (!p->failed)
        snprintf(p->err, p->errlen, "%s at byte %zu", what, p->pos);
    p->failed = true;
    return NULL;
}

static void skip_blanks(struct json_parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static bool literal(struct json_parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
        return false;
    p->pos += n;
    return true;
}

static struct json *new_value(struct json_parser *p, enum json_type t)
{
    struct json *j = calloc(1, sizeof(*j));
    if (!j)
        return parse_fail(p, "out of memory");
    j->type = t;
    return j;
}

static int hex4(struct json_parser *p, unsigned *v)
{
    *v = 0;
    if (p->len - p->pos < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos++];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                          : 16;
        if (d == 16)
            return -1;
        *v = *v << 4 | d;
    }
    return 0;
}

static void put_utf8(char *out, size_t *o, unsigned cp)
{
    if (cp < 0x80) {
        out[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*o)++] = (char)(0xc0 | cp >> 6);
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*o)++] = (char)(0xe0 | cp >> 12);
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        out[(*o)++] = (char)(0xf0 | cp >> 18);
        out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    }
}

/* A string literal at p->pos (the opening quote). Escapes never make the
 * text longer than its source, so the source length bounds the buffer. */
static char *parse_string(struct json_parser *p)
{
    size_t start = ++p->pos, end = start;
    while (end < p->len && p->s[end] != '"')
        end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->len)
        return parse_fail(p, "unterminated string");
    char *out = malloc(end - start + 1);
    size_t o = 0;
    if (!out)
        return parse_fail(p, "out of memory");
    while (p->pos < end) {
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c < 0x20) {
            free(out);
            return parse_fail(p, "control character in string");
        }
        if (c != '\\') {
            out[o++] = (char)c;
            continue;
        }
        char e = p->s[p->pos++];
        unsigned cp;
        switch (e) {
        case '"': out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; break;
        case '/': out[o++] = '/'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u':
            if (hex4(p, &cp))
                goto bad;
            if (cp >= 0xd800 && cp < 0xdc00) {
                unsigned lo;
                if (p->pos + 6 > end || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                    goto bad;
                p->pos += 2;
                if (hex4(p, &lo) || lo < 0xdc00 || lo >= 0xe000)
                    goto bad;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                goto bad;
            }
            put_utf8(out, &o, cp);
            break;
        default:
            goto bad;
        }
    }
    out[o] = '\0';
    p->pos = end + 1;
    return out;
bad:
    free(out);
    return parse_fail(p, "bad escape in string");
}

static struct json *parse_number(struct json_parser *p)
{
    size_t start = p->pos;
    bool integer = true;
    if (p->pos < p->len && p->s[p->pos] == '-')
        p->pos++;
    if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
        return parse_fail(p, "bad number");
    if (p->s[p->pos] == '0')
        p->pos++;
    else
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '.') {
        integer = false;
        p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return parse_fail(p, "bad number");
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        integer = false;
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return parse_fail(p, "bad number");
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    char buf[64];
    size_t n = p->pos - start;
    if (n >= sizeof(buf))
        return parse_fail(p, "number too long");
    memcpy(buf, p->s + start, n);
    buf[n] = '\0';
    struct json *j = new_value(p, JSON_NUMBER);
    if (!j)
        return NULL;
    j->number = strtod(buf, NULL);
    if (integer) {
        char *end;
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        j->is_integer = *end == '\0' && errno == 0;
        j->integer = v;
    }
    return j;
}

static struct json *parse_value(struct json_parser *p, int depth);

static int append(struct json_parser *p, struct json *parent, struct json *child, char *key)
{
    if ((parent->n & (parent->n - 1)) == 0) {
        size_t cap = parent->n ? parent->n * 2 : 4;
        struct json **items = realloc(parent->items, cap * sizeof(*items));
        if (!items)
            goto nomem;
        parent->items = items;
        if (parent->type == JSON_OBJECT) {
            char **keys = realloc(parent->keys, cap * sizeof(*keys));
            if (!keys)
                goto nomem;
            parent->keys = keys;
        }
    }
    parent->items[parent->n] = child;
    if (parent->type == JSON_OBJECT)
        parent->keys[parent->n] = key;
    parent->n++;
    return 0;
nomem:
    json_free(child);
    free(key);
    parse_fail(p, "out of memory");
    return -1;
}

static struct json *parse_container(struct json_parser *p, int depth, bool object)
{
    char close = object ? '}' : ']';
    struct json *j = new_value(p, object ? JSON_OBJECT : JSON_ARRAY);
    if (!j)
        return NULL;
    p->pos++;
    skip_blanks(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return j;
    }
    for (;;) {
        char *key = NULL;
        skip_blanks(p);
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                goto bad_key;
            if (!(key = parse_string(p)))
                goto out;
            skip_blanks(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                free(key);
                parse_fail(p, "expected ':'");
                goto out;
            }
            p->pos++;
        }
        struct json *child = parse_value(p, depth + 1);
        if (!child) {
            free(key);
            goto out;
        }
        if (append(p, j, child, key))
            goto out;
        skip_blanks(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return j;
        }
        parse_fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
        goto out;
    }
bad_key:
    parse_fail(p, "expected a member name");
out:
    json_free(j);
    return NULL;
}

static struct json *parse_value(struct json_parser *p, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return parse_fail(p, "nested too deep");
    skip_blanks(p);
    if (p->pos >= p->len)
        return parse_fail(p, "unexpected end");
    char c = p->s[p->pos];
    struct json *j;
    switch (c) {
    case '{':
        return parse_container(p, depth, true);
    case '[':
        return parse_container(p, depth, false);
    case '"': {
        char *s = parse_string(p);
        if (!s)
            return NULL;
        if (!(j = new_value(p, JSON_STRING))) {
            free(s);
            return NULL;
        }
        j->string = s;
        return j;
    }
    case 't':
    case 'f':
        if (!literal(p, c == 't' ? "true" : "false"))
            return parse_fail(p, "bad literal");
        if ((j = new_value(p, JSON_BOOL)))
            j->boolean = c == 't';
        return j;
    case 'n':
        if (!literal(p, "null"))
            return parse_fail(p, "bad literal");
        return new_value(p, JSON_NULL);
    default:
        return parse_number(p);
    }
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct json_parser p = { text, len, 0, err, errlen, false };
    struct json *j = parse_value(&p, 0);
    if (!j)
        return NULL;
    skip_blanks(&p);
    if (p.pos != p.len) {
        json_free(j);
        return parse_fail(&p, "text after the value");
    }
    return j;
}

void json_free(struct json *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++) {
        json_free(j->items[i]);
        if (j->keys)
            free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->string);
    free(j);
}

const struct json *json_get(const struct json *obj, const char *key)
{
    const struct json *found = NULL;
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key))
            found = obj->items[i];
    return found;
}

const char *json_get_string(const struct json *obj, const char *key)
{
    const struct json *v = json_get(obj, key);
    return v && v->type == JSON_STRING ? v->string : NULL;
}

long long json_get_int(const struct json *obj, const char *key, long long def)
{
    const struct json *v = json_get(obj, key);
    return v && v->type == JSON_NUMBER && v->is_integer ? v->integer : def;
}

int json_quote(const char *s, char *out, size_t len)
{
    size_t o = 0;
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (o + 1 >= len)                                                                          \
            return -1;                                                                             \
        out[o++] = (c);                                                                            \
    } while (0)
    PUT('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            PUT('\\');
            PUT((char)c);
        } else if (c < 0x20) {
            if (o + 7 >= len)
                return -1;
            o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
        } else {
            PUT((char)c);
        }
    }
    PUT('"');
#undef PUT
    out[o] = '\0';
    return 0;
}
