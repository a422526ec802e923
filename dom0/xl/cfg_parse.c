/*
 * Recursive-descent parser for xl.cfg, over the tokens of cfg_lex.c.
 * The grammar is libxlu's (see cfg_parse.h); the error messages are
 * our own and name what was expected.
 */
#include "cfg_parse.h"
#include "cfg_error.h"
#include "cfg_lex.h"

#include <stdlib.h>
#include <string.h>

struct cfg_parser {
    struct cfg_lexer lx;
    struct cfg_token tok;       /* one token of lookahead */
    struct cfg_settings *set;
    const char *source;
    char *err;
    size_t errlen;
};

static int parser_advance(struct cfg_parser *p)
{
    cfg_token_release(&p->tok);
    return cfg_lex_next(&p->lx, &p->tok, p->err, p->errlen);
}

/* Newlines are allowed after '[' and around list items. */
static int parser_skip_newlines(struct cfg_parser *p)
{
    while (p->tok.kind == CFG_TOK_NEWLINE)
        if (parser_advance(p))
            return -1;
    return 0;
}

/*
 * The setting's name and the current token, printable, for messages.
 * Call sites fill w and pass w.key / w.found in one argument list: the
 * arrays decay to addresses, so evaluation order does not matter.
 */
struct parser_words {
    char key[CFG_QUOTE_BUF];
    char found[CFG_QUOTE_BUF + 16];
};

static struct parser_words *parser_words(const struct cfg_parser *p, const char *key,
                                         struct parser_words *w)
{
    cfg_quote(key ? key : "", w->key, sizeof(w->key));
    cfg_token_describe(&p->tok, w->found, sizeof(w->found));
    return w;
}

static int parser_nomem(struct cfg_parser *p)
{
    cfg_error_at(p->err, p->errlen, p->source, p->tok.line, "out of memory");
    return -1;
}

/* A list went on with a token that does not belong there: expected says
 * what would have. At the end of the input the list was never closed. */
static void parser_list_error(struct cfg_parser *p, const char *key, const char *expected)
{
    struct parser_words w;

    if (p->tok.kind == CFG_TOK_EOF)
        cfg_error_at(p->err, p->errlen, p->source, p->tok.line,
                     "unterminated list for '%s' (missing ']'), found %s",
                     parser_words(p, key, &w)->key, w.found);
    else
        cfg_error_at(p->err, p->errlen, p->source, p->tok.line,
                     "expected %s in the list for '%s', found %s", expected,
                     parser_words(p, key, &w)->key, w.found);
}

static struct cfg_value *parser_value(struct cfg_parser *p, const char *key,
                                      unsigned depth);

static struct cfg_value *parser_list(struct cfg_parser *p, const char *key,
                                     unsigned depth)
{
    struct cfg_value *list;
    unsigned open_line = p->tok.line;

    if (depth >= CFG_MAX_LIST_DEPTH) {
        cfg_error_at(p->err, p->errlen, p->source, p->tok.line,
                     "lists are nested more than %d deep", CFG_MAX_LIST_DEPTH);
        return NULL;
    }
    list = cfg_value_new_list(open_line);
    if (!list) {
        parser_nomem(p);
        return NULL;
    }
    if (parser_advance(p) || parser_skip_newlines(p))
        goto fail;
    while (p->tok.kind != CFG_TOK_RBRACKET) {
        struct cfg_value *item;

        if (p->tok.kind != CFG_TOK_STRING && p->tok.kind != CFG_TOK_NUMBER &&
            p->tok.kind != CFG_TOK_LBRACKET) {
            parser_list_error(p, key, "a value or ']'");
            goto fail;
        }
        item = parser_value(p, key, depth + 1);
        if (!item)
            goto fail;
        if (cfg_value_list_append(list, item)) {
            parser_nomem(p);
            goto fail;
        }
        if (parser_skip_newlines(p))
            goto fail;
        if (p->tok.kind == CFG_TOK_COMMA) {
            if (parser_advance(p) || parser_skip_newlines(p))
                goto fail;
        } else if (p->tok.kind != CFG_TOK_RBRACKET) {
            parser_list_error(p, key, "',' or ']'");
            goto fail;
        }
    }
    if (parser_advance(p))
        goto fail;
    return list;

fail:
    cfg_value_free(list);
    return NULL;
}

static struct cfg_value *parser_value(struct cfg_parser *p, const char *key,
                                      unsigned depth)
{
    struct cfg_value *v;

    if (p->tok.kind == CFG_TOK_LBRACKET)
        return parser_list(p, key, depth);
    /* Callers only get here on a STRING or NUMBER token. */
    v = cfg_value_new_string(p->tok.text, p->tok.len, p->tok.line);
    p->tok.text = NULL;
    if (!v) {
        parser_nomem(p);
        return NULL;
    }
    if (parser_advance(p)) {
        cfg_value_free(v);
        return NULL;
    }
    return v;
}

static int parser_assignment(struct cfg_parser *p)
{
    char *key = p->tok.text;
    unsigned line = p->tok.line;
    struct parser_words w;
    struct cfg_value *value;
    enum cfg_op op;

    p->tok.text = NULL;
    if (parser_advance(p))
        goto fail;
    if (p->tok.kind == CFG_TOK_ASSIGN) {
        op = CFG_OP_ASSIGN;
    } else if (p->tok.kind == CFG_TOK_APPEND) {
        op = CFG_OP_APPEND;
    } else {
        cfg_error_at(p->err, p->errlen, p->source, p->tok.line,
                     "expected '=' after '%s', found %s",
                     parser_words(p, key, &w)->key, w.found);
        goto fail;
    }
    if (parser_advance(p))
        goto fail;
    switch (p->tok.kind) {
    case CFG_TOK_STRING:
    case CFG_TOK_NUMBER:
    case CFG_TOK_LBRACKET:
        break;
    case CFG_TOK_NEWLINE:
    case CFG_TOK_SEMICOLON:
    case CFG_TOK_EOF: {
        char q[CFG_QUOTE_BUF];
        cfg_error_at(p->err, p->errlen, p->source, line,
                     "missing value for '%s'", cfg_quote(key, q, sizeof(q)));
        goto fail;
    }
    default:
        if (p->tok.kind == CFG_TOK_IDENT)
            cfg_error_at(p->err, p->errlen, p->source, p->tok.line,
                         "expected a value for '%s', found %s (strings must be quoted)",
                         parser_words(p, key, &w)->key, w.found);
        else
            cfg_error_at(p->err, p->errlen, p->source, p->tok.line,
                         "expected a value for '%s', found %s",
                         parser_words(p, key, &w)->key, w.found);
        goto fail;
    }
    value = parser_value(p, key, 0);
    if (!value)
        goto fail;
    if (p->tok.kind != CFG_TOK_NEWLINE && p->tok.kind != CFG_TOK_SEMICOLON &&
        p->tok.kind != CFG_TOK_EOF) {
        cfg_error_at(p->err, p->errlen, p->source, p->tok.line,
                     "unexpected %s after the value of '%s' "
                     "(put each setting on its own line or separate them with ';')",
                     parser_words(p, key, &w)->found, w.key);
        cfg_value_free(value);
        goto fail;
    }
    return cfg_settings_store(p->set, key, op, value, p->source, line,
                              p->err, p->errlen);

fail:
    free(key);
    return -1;
}

static int parser_file(struct cfg_parser *p)
{
    struct parser_words w;

    if (parser_advance(p))
        return -1;
    for (;;) {
        switch (p->tok.kind) {
        case CFG_TOK_EOF:
            return 0;
        case CFG_TOK_NEWLINE:
        case CFG_TOK_SEMICOLON:
            if (parser_advance(p))
                return -1;
            break;
        case CFG_TOK_IDENT:
            /* Leaves the separator (or EOF) as the lookahead. */
            if (parser_assignment(p))
                return -1;
            break;
        case CFG_TOK_ASSIGN:
        case CFG_TOK_APPEND:
            cfg_error_at(p->err, p->errlen, p->source, p->tok.line,
                         "unexpected %s (missing setting name)",
                         parser_words(p, NULL, &w)->found);
            return -1;
        default:
            cfg_error_at(p->err, p->errlen, p->source, p->tok.line, "unexpected %s",
                         parser_words(p, NULL, &w)->found);
            return -1;
        }
    }
}

/* Line number of byte offset off, counting from 1. */
static unsigned parser_line_of(const char *buf, size_t off)
{
    unsigned line = 1;

    for (size_t i = 0; i < off; i++)
        if (buf[i] == '\n')
            line++;
    return line;
}

int cfg_parse(struct cfg_settings *set, const char *source,
              const char *buf, size_t len, char *err, size_t errlen)
{
    struct cfg_parser p;
    const char *nul;
    int rc;

    memset(&p, 0, sizeof(p));
    p.source = cfg_settings_intern_source(set, source);
    if (!p.source) {
        cfg_error_at(err, errlen, source, 0, "out of memory");
        return -1;
    }
    if (len > CFG_MAX_INPUT_SIZE) {
        cfg_error_at(err, errlen, source, 0,
                     "too large (%zu bytes; the limit is %d)",
                     len, CFG_MAX_INPUT_SIZE);
        return -1;
    }
    /* Values are C strings, so a NUL byte could never mean anything. */
    nul = len ? memchr(buf, '\0', len) : NULL;
    if (nul) {
        cfg_error_at(err, errlen, source, parser_line_of(buf, (size_t)(nul - buf)),
                     "NUL byte in the configuration text");
        return -1;
    }
    p.set = set;
    p.err = err;
    p.errlen = errlen;
    cfg_lex_init(&p.lx, p.source, buf, len);
    rc = parser_file(&p);
    cfg_token_release(&p.tok);
    return rc;
}
