/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* UTF-8 validation following the well-formed byte sequences of RFC 3629. */
#include "base/common.h"

#include "utf8.h"

#include <ctype.h>
#include <stdint.h>
#include <unicode/ucasemap.h>

#include "base/unicode.h"
#include "base/xalloc.h"

/* The length of the well-formed sequence that starts at p, or 0. */
static size_t sequence_length(const unsigned char *p)
{
    uint32_t cp;

    return unicode_utf8_decode(p, 4, &cp);
}

int utf8_count(const char *s, size_t *out_chars)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t chars = 0;

    while (*p) {
        size_t len = sequence_length(p);

        if (len == 0) {
            if (out_chars)
                *out_chars = (size_t)(p - (const unsigned char *)s);
            return -1;
        }
        p += len;
        chars++;
    }
    if (out_chars)
        *out_chars = chars;
    return 0;
}

char *utf8_fold_case(const char *s, size_t len)
{
    UErrorCode status = U_ZERO_ERROR;
    UCaseMap *map;
    /* Folding turns one character into at most three, each of at most
     * four bytes. */
    size_t cap = 3 * len + 1;
    char *out;
    int32_t n = 0;

    if (len >= INT32_MAX / 4)
        return NULL;
    /* Most names and emails are ASCII, whose folding is plain lower case,
     * so the ICU case map is opened only for other text. */
    if (!utf8_has_non_ascii(s)) {
        out = xmalloc(len + 1);
        for (size_t i = 0; i < len; i++)
            out[i] = (char)tolower((unsigned char)s[i]);
        out[len] = '\0';
        return out;
    }
    map = ucasemap_open(NULL, U_FOLD_CASE_DEFAULT, &status);
    out = xmalloc(cap);
    if (U_SUCCESS(status))
        n = ucasemap_utf8FoldCase(map, out, (int32_t)cap, s, (int32_t)len,
                                  &status);
    ucasemap_close(map);
    if (U_FAILURE(status) || n < 0 || (size_t)n >= cap) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    return out;
}

int utf8_has_non_ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p >= 0x80)
            return 1;
    return 0;
}
