/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* UTF-8 validation following the well-formed byte sequences of RFC 3629. */
#include "base/common.h"

#include "utf8.h"

#include "base/unicode.h"

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
