/*
 * xl.cfg tokenizer. The token classes follow libxlu's flex scanner
 * (tools/libs/util/libxlu_cfg_l.l): names are [a-z][._0-9a-z]*, bare
 * numbers [0-9][0-9a-fx]* stay text until someone asks for a number,
 * strings may not span lines, and anything else outside a string is an
 * error. Deliberate differences, all of them accepting input libxlu
 * rejects or mangles: a comment may end the file without a newline,
 * "\r\n" counts as a newline, and \xHH / \ooo escapes produce the byte
 * they name (libxlu's implementation of those escapes never does).
 */
#include "cfg_lex.h"
#include "cfg_error.h"
#include "dom0/lib/hex.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cfg_lex_init(struct cfg_lexer *lx, const char *source,
                  const char *buf, size_t len)
{
    lx->source = source;
    lx->buf = buf;
    lx->len = len;
    lx->pos = 0;
    lx->line = 1;
}

void cfg_token_release(struct cfg_token *tok)
{
    free(tok->text);
    tok->text = NULL;
    tok->len = 0;
}

static bool lex_is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool lex_is_digit(char c) { return c >= '0' && c <= '9'; }

static int lex_copy_text(struct cfg_lexer *lx, struct cfg_token *tok,
                         size_t start, char *err, size_t errlen)
{
    size_t n = lx->pos - start;

    tok->text = malloc(n + 1);
    if (!tok->text) {
        cfg_error_at(err, errlen, lx->source, lx->line, "out of memory");
        return -1;
    }
    memcpy(tok->text, lx->buf + start, n);
    tok->text[n] = '\0';
    tok->len = n;
    return 0;
}

/* Decodes one backslash escape at lx->pos (just past the backslash)
 * into *out. */
static int lex_escape(struct cfg_lexer *lx, unsigned start_line,
                      unsigned char *out, char *err, size_t errlen)
{
    const char *b = lx->buf;
    unsigned value;
    char c;

    if (lx->pos >= lx->len || b[lx->pos] == '\n') {
        cfg_error_at(err, errlen, lx->source, start_line,
                     "unterminated string");
        return -1;
    }
    c = b[lx->pos++];
    switch (c) {
    case '"': case '\'': case '\\': *out = (unsigned char)c; return 0;
    case 'a': *out = '\a'; return 0;
    case 'b': *out = '\b'; return 0;
    case 'f': *out = '\f'; return 0;
    case 'n': *out = '\n'; return 0;
    case 'r': *out = '\r'; return 0;
    case 't': *out = '\t'; return 0;
    case 'v': *out = '\v'; return 0;
    case 'x': {
        int hi = lx->pos < lx->len ? hex_digit_value(b[lx->pos]) : -1;
        int lo = lx->pos + 1 < lx->len ? hex_digit_value(b[lx->pos + 1]) : -1;
        if (hi < 0 || lo < 0) {
            cfg_error_at(err, errlen, lx->source, lx->line,
                         "'\\x' in a string must be followed by two hex digits");
            return -1;
        }
        lx->pos += 2;
        value = (unsigned)(hi * 16 + lo);
        break;
    }
    default:
        if (c >= '0' && c <= '7') {
            value = (unsigned)(c - '0');
            for (int i = 0; i < 2 && lx->pos < lx->len &&
                            b[lx->pos] >= '0' && b[lx->pos] <= '7'; i++)
                value = value * 8 + (unsigned)(b[lx->pos++] - '0');
            if (value > 255) {
                cfg_error_at(err, errlen, lx->source, lx->line,
                             "octal escape in a string is larger than \\377");
                return -1;
            }
            break;
        }
        if (c >= 0x20 && c < 0x7f)
            cfg_error_at(err, errlen, lx->source, lx->line,
                         "invalid escape '\\%c' in a string", c);
        else
            cfg_error_at(err, errlen, lx->source, lx->line,
                         "invalid escape in a string (backslash before byte 0x%02x)",
                         (unsigned char)c);
        return -1;
    }
    if (value == 0) {
        cfg_error_at(err, errlen, lx->source, lx->line,
                     "a string cannot contain a NUL character");
        return -1;
    }
    *out = (unsigned char)value;
    return 0;
}

static int lex_string(struct cfg_lexer *lx, struct cfg_token *tok,
                      char *err, size_t errlen)
{
    const char *b = lx->buf;
    char quote = b[lx->pos++];
    unsigned start_line = lx->line;
    size_t start = lx->pos;
    size_t n = 0;
    char *text;

    /* Decoded text is never longer than the raw text up to the end of
     * the line, so one allocation of that size is enough. */
    while (start + n < lx->len && b[start + n] != '\n')
        n++;
    text = malloc(n + 1);
    if (!text) {
        cfg_error_at(err, errlen, lx->source, start_line, "out of memory");
        return -1;
    }
    n = 0;
    for (;;) {
        char c;

        if (lx->pos >= lx->len || b[lx->pos] == '\n') {
            free(text);
            cfg_error_at(err, errlen, lx->source, start_line,
                         "unterminated string");
            return -1;
        }
        c = b[lx->pos++];
        if (c == quote)
            break;
        if (c == '\\') {
            unsigned char decoded;
            if (lex_escape(lx, start_line, &decoded, err, errlen)) {
                free(text);
                return -1;
            }
            text[n++] = (char)decoded;
        } else {
            text[n++] = c;
        }
    }
    text[n] = '\0';
    tok->kind = CFG_TOK_STRING;
    tok->text = text;
    tok->len = n;
    return 0;
}

static void lex_unexpected(struct cfg_lexer *lx, char c, char *err,
                           size_t errlen)
{
    const char *b = lx->buf;
    const char *hint = "";

    if (c >= 'A' && c <= 'Z')
        hint = " (outside quotes only lower-case letters are allowed)";
    else if (c == '-' && lx->pos + 1 < lx->len && lex_is_digit(b[lx->pos + 1]))
        hint = " (write a negative number as a quoted string)";
    else if (c && strchr("+-.():", c))
        hint = " (xl.cfg is not Python: see xl.cfg(5))";

    if (c == '\r')
        cfg_error_at(err, errlen, lx->source, lx->line,
                     "unexpected carriage return");
    else if (c >= 0x20 && c < 0x7f)
        cfg_error_at(err, errlen, lx->source, lx->line,
                     "unexpected character '%c'%s", c, hint);
    else
        cfg_error_at(err, errlen, lx->source, lx->line,
                     "unexpected byte 0x%02x", (unsigned char)c);
}

int cfg_lex_next(struct cfg_lexer *lx, struct cfg_token *tok,
                 char *err, size_t errlen)
{
    const char *b = lx->buf;

    tok->text = NULL;
    tok->len = 0;
    for (;;) {
        char c;
        size_t start;

        tok->line = lx->line;
        if (lx->pos >= lx->len) {
            tok->kind = CFG_TOK_EOF;
            return 0;
        }
        c = b[lx->pos];
        if (c == ' ' || c == '\t') {
            lx->pos++;
            continue;
        }
        if (c == '\r' && lx->pos + 1 < lx->len && b[lx->pos + 1] == '\n') {
            lx->pos++;
            continue;
        }
        if (c == '#') {
            while (lx->pos < lx->len && b[lx->pos] != '\n')
                lx->pos++;
            continue;
        }
        if (c == '\n') {
            lx->pos++;
            lx->line++;
            tok->kind = CFG_TOK_NEWLINE;
            return 0;
        }
        start = lx->pos;
        if (lex_is_lower(c)) {
            lx->pos++;
            while (lx->pos < lx->len &&
                   (lex_is_lower(b[lx->pos]) || lex_is_digit(b[lx->pos]) ||
                    b[lx->pos] == '_' || b[lx->pos] == '.'))
                lx->pos++;
            tok->kind = CFG_TOK_IDENT;
            return lex_copy_text(lx, tok, start, err, errlen);
        }
        if (lex_is_digit(c)) {
            lx->pos++;
            while (lx->pos < lx->len &&
                   (lex_is_digit(b[lx->pos]) ||
                    (b[lx->pos] >= 'a' && b[lx->pos] <= 'f') ||
                    b[lx->pos] == 'x'))
                lx->pos++;
            tok->kind = CFG_TOK_NUMBER;
            return lex_copy_text(lx, tok, start, err, errlen);
        }
        if (c == '"' || c == '\'')
            return lex_string(lx, tok, err, errlen);
        if (c == '+' && lx->pos + 1 < lx->len && b[lx->pos + 1] == '=') {
            lx->pos += 2;
            tok->kind = CFG_TOK_APPEND;
            return 0;
        }
        switch (c) {
        case '=': tok->kind = CFG_TOK_ASSIGN; break;
        case ',': tok->kind = CFG_TOK_COMMA; break;
        case '[': tok->kind = CFG_TOK_LBRACKET; break;
        case ']': tok->kind = CFG_TOK_RBRACKET; break;
        case ';': tok->kind = CFG_TOK_SEMICOLON; break;
        default:
            lex_unexpected(lx, c, err, errlen);
            return -1;
        }
        lx->pos++;
        return 0;
    }
}

const char *cfg_token_describe(const struct cfg_token *tok,
                               char *out, size_t outlen)
{
    char q[CFG_QUOTE_BUF];

    switch (tok->kind) {
    case CFG_TOK_EOF: snprintf(out, outlen, "end of file"); break;
    case CFG_TOK_NEWLINE: snprintf(out, outlen, "end of line"); break;
    case CFG_TOK_IDENT:
        snprintf(out, outlen, "'%s'", cfg_quote(tok->text, q, sizeof(q)));
        break;
    case CFG_TOK_NUMBER:
        snprintf(out, outlen, "number %s", cfg_quote(tok->text, q, sizeof(q)));
        break;
    case CFG_TOK_STRING:
        snprintf(out, outlen, "string \"%s\"", cfg_quote(tok->text, q, sizeof(q)));
        break;
    case CFG_TOK_ASSIGN: snprintf(out, outlen, "'='"); break;
    case CFG_TOK_APPEND: snprintf(out, outlen, "'+='"); break;
    case CFG_TOK_COMMA: snprintf(out, outlen, "','"); break;
    case CFG_TOK_LBRACKET: snprintf(out, outlen, "'['"); break;
    case CFG_TOK_RBRACKET: snprintf(out, outlen, "']'"); break;
    case CFG_TOK_SEMICOLON: snprintf(out, outlen, "';'"); break;
    }
    return out;
}
