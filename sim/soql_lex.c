/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The SOQL tokenizer, the decoding of string literals with Salesforce's
 * escape sequences, and the caret-style error messages.
 */
#include "base/common.h"

#include <ctype.h>
#include <stdarg.h>

#include "base/buf.h"
#include "base/datetime.h"
#include "soql_int.h"

/* Maximum row length, in characters, shown in full in an error message.
 * A longer row is cut to ECHO_CONTEXT characters on each side of the
 * error. */
#define ECHO_ROW_MAX 120
#define ECHO_CONTEXT 60

struct lexer {
    const char *text;
    size_t pos;
    int row, column;
    struct soql_token *toks;
    size_t ntoks, cap;
};

void soql__error(struct soql_error *err, const struct soql_token *t,
                 const char *code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    snprintf(err->code, sizeof(err->code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
    va_end(ap);
    err->row = t ? t->row : 0;
    err->column = t ? t->column : 0;
}

static bool is_ident_start(int c)
{
    return isalpha(c) || c == '_';
}

static bool is_ident_char(int c)
{
    return isalnum(c) || c == '_';
}

/* Move past n bytes, counting rows and characters. */
static void advance(struct lexer *lx, size_t n)
{
    for (size_t i = 0; i < n && lx->text[lx->pos]; i++) {
        unsigned char c = (unsigned char)lx->text[lx->pos++];

        if (c == '\n') {
            lx->row++;
            lx->column = 1;
        } else if ((c & 0xC0) != 0x80) {
            lx->column++;
        }
    }
}

static struct soql_token *push(struct lexer *lx, enum soql_tok_kind kind,
                               size_t len)
{
    struct soql_token *t;

    lx->toks = xgrow(lx->toks, &lx->cap, lx->ntoks + 1, sizeof(*lx->toks));
    t = &lx->toks[lx->ntoks++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->start = lx->pos;
    t->len = len;
    t->row = lx->row;
    t->column = lx->column;
    return t;
}

/* Report the text at the current position as an unexpected token. */
static int bad_token(struct lexer *lx, size_t len, struct soql_error *err)
{
    struct soql_token t = {.row = lx->row, .column = lx->column};

    if (len == 0)
        len = 1;
    soql__error(err, &t, "MALFORMED_QUERY", "unexpected token: '%.*s'",
                (int)len, lx->text + lx->pos);
    return -1;
}

/* The length of the word (letters, digits, underscores) at p. */
static size_t word_len(const char *p)
{
    size_t n = 0;

    while (is_ident_char((unsigned char)p[n]))
        n++;
    return n;
}

/*
 * Lex a number, a date (2024-01-02) or a datetime (2024-01-02T03:04:05Z,
 * with optional fraction and a Z, +hh:mm or -hh:mm zone) at the current
 * position.
 */
static int lex_number(struct lexer *lx, struct soql_error *err)
{
    const char *p = lx->text + lx->pos;
    const char *end = p;
    struct soql_token *t;
    int64_t ms, days;

    if (isdigit((unsigned char)p[0]) && word_len(p) == 4 && p[4] == '-') {
        if (datetime_parse(p, &ms, &end) == 0 &&
            !is_ident_char((unsigned char)*end)) {
            t = push(lx, SOQL_TOK_DATETIME, (size_t)(end - p));
            t->ms = ms;
            advance(lx, t->len);
            return 0;
        }
        if (date_parse(p, &days, &end) == 0 &&
            !is_ident_char((unsigned char)*end)) {
            t = push(lx, SOQL_TOK_DATE, (size_t)(end - p));
            t->days = days;
            advance(lx, t->len);
            return 0;
        }
        end = p + 5;
        while (*end && !isspace((unsigned char)*end) && *end != ',' &&
               *end != ')')
            end++;
        return bad_token(lx, (size_t)(end - p), err);
    }
    end = p;
    if (*end == '+' || *end == '-')
        end++;
    while (isdigit((unsigned char)*end))
        end++;
    if (*end == '.' && isdigit((unsigned char)end[1])) {
        end++;
        while (isdigit((unsigned char)*end))
            end++;
    }
    if (is_ident_char((unsigned char)*end) || *end == '.')
        return bad_token(lx, (size_t)(end - p) + word_len(end), err);
    t = push(lx, SOQL_TOK_NUMBER, (size_t)(end - p));
    t->number = strtod(p, NULL);
    advance(lx, t->len);
    return 0;
}

/* Find the end of the string literal at the current position; escapes are
 * checked when the literal is decoded. */
static int lex_string(struct lexer *lx, struct soql_error *err)
{
    const char *p = lx->text + lx->pos;
    size_t i = 1;

    while (p[i] && p[i] != '\'') {
        if (p[i] == '\\' && p[i + 1])
            i += 2;
        else
            i++;
    }
    if (!p[i]) {
        struct soql_token t = {.row = lx->row, .column = lx->column};

        soql__error(err, &t, "MALFORMED_QUERY",
                    "unterminated string literal: %.*s", (int)(i > 40 ? 40 : i),
                    p);
        return -1;
    }
    push(lx, SOQL_TOK_STRING, i + 1);
    advance(lx, i + 1);
    return 0;
}

static const struct {
    const char *text;
    enum soql_tok_kind kind;
} symbols[] = {
    /* Two-character operators come first so that they win. */
    {"!=", SOQL_TOK_NE},    {"<>", SOQL_TOK_NE},    {"<=", SOQL_TOK_LE},
    {">=", SOQL_TOK_GE},    {",", SOQL_TOK_COMMA},  {".", SOQL_TOK_DOT},
    {"(", SOQL_TOK_LPAREN}, {")", SOQL_TOK_RPAREN}, {":", SOQL_TOK_COLON},
    {"=", SOQL_TOK_EQ},     {"<", SOQL_TOK_LT},     {">", SOQL_TOK_GT},
};

/* Lex an operator or punctuation; return its length, or 0. */
static size_t lex_symbol(struct lexer *lx)
{
    const char *p = lx->text + lx->pos;

    for (size_t i = 0; i < ARRAY_SIZE(symbols); i++) {
        size_t len = strlen(symbols[i].text);

        if (strncmp(p, symbols[i].text, len) == 0) {
            push(lx, symbols[i].kind, len);
            advance(lx, len);
            return len;
        }
    }
    return 0;
}

static int lex_one(struct lexer *lx, struct soql_error *err)
{
    const char *p = lx->text + lx->pos;
    unsigned char c = (unsigned char)*p;

    if (is_ident_start(c)) {
        size_t len = word_len(p);

        push(lx, SOQL_TOK_IDENT, len);
        advance(lx, len);
        return 0;
    }
    if (isdigit(c) || ((c == '-' || c == '+') &&
                       (isdigit((unsigned char)p[1]) ||
                        (p[1] == '.' && isdigit((unsigned char)p[2])))))
        return lex_number(lx, err);
    if (c == '\'')
        return lex_string(lx, err);
    if (lex_symbol(lx))
        return 0;
    return bad_token(lx, 1, err);
}

int soql__tokenize(const char *text, struct soql_token **out, size_t *count,
                   struct soql_error *err)
{
    struct lexer lx = {.text = text, .row = 1, .column = 1};

    for (;;) {
        while (isspace((unsigned char)text[lx.pos]))
            advance(&lx, 1);
        if (!text[lx.pos])
            break;
        if (lex_one(&lx, err) < 0) {
            free(lx.toks);
            return -1;
        }
    }
    push(&lx, SOQL_TOK_EOF, 0);
    *out = lx.toks;
    *count = lx.ntoks;
    return 0;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Read the four hex digits after \u at p; -1 when malformed. */
static long read_hex4(const char *p)
{
    long v = 0;

    for (int i = 0; i < 4; i++) {
        int h = hex_value((unsigned char)p[i]);

        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static void put_utf8(struct buf *b, unsigned long cp)
{
    if (cp < 0x80) {
        buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        buf_putc(b, (char)(0xC0 | (cp >> 6)));
        buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        buf_putc(b, (char)(0xE0 | (cp >> 12)));
        buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        buf_putc(b, (char)(0xF0 | (cp >> 18)));
        buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    }
}

/* Append one decoded character; in a LIKE pattern a literal wildcard or
 * backslash gets a backslash in front. */
static void put_char(struct buf *b, unsigned long cp, bool like)
{
    if (like && (cp == '%' || cp == '_' || cp == '\\'))
        buf_putc(b, '\\');
    put_utf8(b, cp);
}

/*
 * Decode \uXXXX at s[*i] (pointing at the 'u'), joining a surrogate pair
 * written as two escapes. Return the code point, or -1.
 */
static long decode_unicode(const char *s, size_t *i)
{
    long hi = read_hex4(s + *i + 1), lo;

    /* A NUL would end the decoded C string early. */
    if (hi <= 0)
        return -1;
    *i += 5;
    if (hi < 0xD800 || hi > 0xDFFF)
        return hi;
    if (hi > 0xDBFF || s[*i] != '\\' || s[*i + 1] != 'u')
        return -1;
    lo = read_hex4(s + *i + 2);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return -1;
    *i += 6;
    return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
}

static int bad_escape(const struct soql_token *t, const char *s, size_t len,
                      size_t at, struct soql_error *err)
{
    soql__error(err, t, "MALFORMED_QUERY",
                "Invalid string literal '%.*s'. Illegal character sequence "
                "'\\%.1s' in string literal.",
                (int)len, s, s + at + 1);
    return -1;
}

/* The character that a one-letter escape such as \n stands for, or -1. */
static int simple_escape(char c)
{
    static const char table[] = "n\nN\nr\rR\rt\tT\tb\bB\bf\fF\f"
                                "\"\"''\\\\";

    for (size_t i = 0; table[i]; i += 2)
        if (table[i] == c)
            return (unsigned char)table[i + 1];
    return -1;
}

int soql__decode_string(const char *text, const struct soql_token *t, bool like,
                        char **out, struct soql_error *err)
{
    const char *s = text + t->start + 1;
    size_t len = t->len - 2;
    struct buf b;

    buf_init(&b, 0);
    for (size_t i = 0; i < len;) {
        char next = s[i + 1];
        long cp;

        if (s[i] != '\\') {
            /* Raw bytes, wildcards included, are kept as they are. */
            buf_putc(&b, s[i++]);
            continue;
        }
        if (like && (next == '%' || next == '_')) {
            buf_putc(&b, '\\');
            buf_putc(&b, next);
            i += 2;
            continue;
        }
        if (next == 'u') {
            size_t j = i + 1;

            cp = decode_unicode(s, &j);
            if (cp < 0)
                goto bad;
            put_char(&b, (unsigned long)cp, like);
            i = j;
            continue;
        }
        cp = simple_escape(next);
        if (cp < 0)
            goto bad;
        put_char(&b, (unsigned long)cp, like);
        i += 2;
        continue;
    bad:
        buf_release(&b);
        return bad_escape(t, s, len, i, err);
    }
    *out = buf_detach(&b);
    return 0;
}

/* Move past n characters of UTF-8 text, stopping at end. */
static const char *skip_chars(const char *p, const char *end, size_t n)
{
    while (p < end && n > 0) {
        p++;
        while (p < end && ((unsigned char)*p & 0xC0) == 0x80)
            p++;
        n--;
    }
    return p;
}

/*
 * Append the row of text that contains the error and return the error's
 * character offset in what was appended. A long row is cut to a window
 * around the error.
 */
static size_t echo_row(struct buf *b, const char *text, int row, int column)
{
    const char *start = text, *end, *first, *last;
    size_t col = column > 0 ? (size_t)column - 1 : 0;
    size_t chars = 0, skip = 0;

    for (int r = 1; r < row && *start; start++)
        if (*start == '\n')
            r++;
    end = strchr(start, '\n');
    if (!end)
        end = start + strlen(start);
    if (end > start && end[-1] == '\r')
        end--;
    for (const char *p = start; p < end; p++)
        if (((unsigned char)*p & 0xC0) != 0x80)
            chars++;
    /* NOTE: Salesforce also shortens long rows around the error, but its
     * exact window is not known; this one keeps ECHO_CONTEXT characters on
     * each side. */
    if (chars > ECHO_ROW_MAX && col > ECHO_CONTEXT)
        skip = col - ECHO_CONTEXT;
    first = skip_chars(start, end, skip);
    last = end;
    if (chars > ECHO_ROW_MAX)
        last = skip_chars(first, end, col - skip + ECHO_CONTEXT + 1);
    buf_append(b, first, (size_t)(last - first));
    return col - skip;
}

char *soql_error_message(const char *text, const struct soql_error *err)
{
    struct buf b;
    size_t col;

    if (err->row <= 0)
        return xstrdup(err->reason);
    buf_init(&b, 0);
    buf_putc(&b, '\n');
    col = echo_row(&b, text, err->row, err->column);
    buf_putc(&b, '\n');
    for (size_t i = 0; i < col; i++)
        buf_putc(&b, ' ');
    buf_printf(&b, "^\nERROR at Row:%d:Column:%d\n%s", err->row, err->column,
               err->reason);
    return buf_detach(&b);
}
