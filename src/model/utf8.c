/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* UTF-8 validation following the well-formed byte sequences of RFC 3629. */
#include "base/common.h"

#include "utf8.h"

/*
 * Return the length of the sequence that starts at p, or 0 when it is not
 * well-formed. The ranges of the second byte exclude overlong forms,
 * surrogates (U+D800..U+DFFF) and code points above U+10FFFF.
 */
static size_t sequence_length(const unsigned char *p)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3;
        if (p[0] == 0xE0)
            lo = 0xA0;
        else if (p[0] == 0xED)
            hi = 0x9F;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4;
        if (p[0] == 0xF0)
            lo = 0x90;
        else if (p[0] == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return len;
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
