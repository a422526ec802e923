/*
 * Tokenizer for the xl.cfg syntax (the language of Xen's libxlu):
 * lower-case setting names, bare numbers, quoted strings, '=' '+=' ','
 * '[' ']' ';', newlines (significant) and '#' comments.
 */
#ifndef XL_CFG_LEX_H
#define XL_CFG_LEX_H

#include <stddef.h>

enum cfg_token_kind {
    CFG_TOK_EOF,
    CFG_TOK_NEWLINE,
    CFG_TOK_IDENT,      /* [a-z][._0-9a-z]* */
    CFG_TOK_NUMBER,     /* [0-9][0-9a-fx]*, kept as text */
    CFG_TOK_STRING,     /* quoted, escapes already decoded */
    CFG_TOK_ASSIGN,     /* = */
    CFG_TOK_APPEND,     /* += */
    CFG_TOK_COMMA,
    CFG_TOK_LBRACKET,
    CFG_TOK_RBRACKET,
    CFG_TOK_SEMICOLON,
};

struct cfg_token {
    enum cfg_token_kind kind;
    unsigned line;
    /* IDENT, NUMBER, STRING: NUL-terminated text owned by the token
     * (the consumer takes it or calls cfg_token_release). */
    char *text;
    size_t len;
};

struct cfg_lexer {
    const char *source;     /* for messages */
    const char *buf;
    size_t len;
    size_t pos;
    unsigned line;
};

void cfg_lex_init(struct cfg_lexer *lx, const char *source,
                  const char *buf, size_t len);

/*
 * Reads the next token. Returns 0, or -1 with "SOURCE:LINE: reason"
 * in err (lexical error or out of memory).
 */
int cfg_lex_next(struct cfg_lexer *lx, struct cfg_token *tok,
                 char *err, size_t errlen);

void cfg_token_release(struct cfg_token *tok);

/* Short description of a token for messages, e.g. "']'" or "number '12'". */
const char *cfg_token_describe(const struct cfg_token *tok,
                               char *out, size_t outlen);

#endif
