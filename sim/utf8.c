/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * UTF-8 for sfsim: validation, repair of text echoed into JSON (jansson
 * refuses strings that are not valid UTF-8) and the case folding that SOQL
 * comparisons use. It folds by a small table, not by ICU.
 */
#include "base/common.h"

#include "base/unicode.h"
#include "sim.h"

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* Decode one character at s[0..len); 0 for a malformed one. */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    return unicode_utf8_decode(s, len, cp);
}

bool sim_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = decode(p + i, len - i, &cp);

        if (n == 0 || cp == 0)
            return false;
        i += n;
    }
    return true;
}

char *sim_utf8_repair(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), i = 0;
    struct buf b;

    buf_init(&b, 0);
    while (i < len) {
        uint32_t cp;
        size_t n = decode(p + i, len - i, &cp);

        if (n == 0) {
            buf_puts(&b, REPLACEMENT);
            i++;
        } else {
            buf_append(&b, s + i, n);
            i += n;
        }
    }
    return buf_detach(&b);
}

void sim_utf8_repair_in(char *s, size_t size)
{
    char *fixed;
    size_t len, end = 0;

    if (size == 0 || sim_utf8_valid(s, strlen(s)))
        return;
    fixed = sim_utf8_repair(s);
    len = strlen(fixed);
    /* Keep whole characters only: the repaired text is valid, so cutting
     * it before a lead byte leaves it valid. */
    if (len < size) {
        end = len;
    } else {
        end = size - 1;
        while (end > 0 && ((unsigned char)fixed[end] & 0xC0) == 0x80)
            end--;
    }
    memcpy(s, fixed, end);
    s[end] = '\0';
    free(fixed);
}

/*
 * The lower-case form of cp for case-insensitive comparison, covering
 * ASCII, Latin-1 Supplement, Latin Extended-A, Greek and Cyrillic. These
 * are the Unicode simple lower-case mappings of those blocks. Final sigma
 * folds to sigma and the micro sign to mu, as Unicode case folding has
 * them. Other code points are returned unchanged.
 */
uint32_t sim_utf8_fold(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (cp < 0x100) {
        if (cp == 0xB5)
            return 0x3BC;
        if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
            return cp + 32;
        return cp;
    }
    if (cp <= 0x17F) {
        if (cp == 0x130)
            return 'i';
        if (cp == 0x178)
            return 0xFF;
        if (cp == 0x17F)
            return 's';
        if ((cp >= 0x100 && cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) ||
            (cp >= 0x14A && cp <= 0x177))
            return cp | 1;
        if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
            return cp & 1 ? cp + 1 : cp;
        return cp;
    }
    if (cp >= 0x370 && cp <= 0x3FF) {
        if (cp == 0x386)
            return 0x3AC;
        if (cp >= 0x388 && cp <= 0x38A)
            return cp + 37;
        if (cp == 0x38C)
            return 0x3CC;
        if (cp == 0x38E || cp == 0x38F)
            return cp + 63;
        if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2)
            return cp + 32;
        if (cp == 0x3C2)
            return 0x3C3;
        if (cp >= 0x3D8 && cp <= 0x3EF)
            return cp | 1;
        return cp;
    }
    if (cp >= 0x400 && cp <= 0x52F) {
        if (cp <= 0x40F)
            return cp + 80;
        if (cp <= 0x42F)
            return cp + 32;
        if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x4BF) ||
            (cp >= 0x4D0 && cp <= 0x52F))
            return cp | 1;
        if (cp == 0x4C0)
            return 0x4CF;
        if (cp >= 0x4C1 && cp <= 0x4CE)
            return cp & 1 ? cp + 1 : cp;
        return cp;
    }
    return cp;
}

uint32_t sim_utf8_next_folded(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t cp;
    size_t n;

    if (!*p)
        return 0;
    /* A stray byte compares as itself, kept apart from every character by
     * an offset past the Unicode range. */
    n = decode(p, strnlen(*s, 4), &cp);
    if (n == 0) {
        *s += 1;
        return 0x110000 + p[0];
    }
    *s += n;
    return sim_utf8_fold(cp);
}

int sim_utf8_casecmp(const char *a, const char *b)
{
    for (;;) {
        uint32_t ca = sim_utf8_next_folded(&a);
        uint32_t cb = sim_utf8_next_folded(&b);

        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (!ca)
            return 0;
    }
}

size_t sim_utf8_fold_prefix(const char *s, unsigned char *out, size_t size,
                            bool *complete)
{
    size_t n = 0;

    for (;;) {
        uint32_t cp = sim_utf8_next_folded(&s);
        unsigned char enc[4];
        size_t len;

        if (!cp) {
            *complete = true;
            return n;
        }
        if (cp >= 0x110000) {
            /* After every lead byte, as the stray byte sorts after every
             * character in sim_utf8_casecmp. */
            enc[0] = 0xFF;
            enc[1] = (unsigned char)(cp - 0x110000);
            len = 2;
        } else if (cp < 0x80) {
            enc[0] = (unsigned char)cp;
            len = 1;
        } else if (cp < 0x800) {
            enc[0] = (unsigned char)(0xC0 | cp >> 6);
            enc[1] = (unsigned char)(0x80 | (cp & 0x3F));
            len = 2;
        } else if (cp < 0x10000) {
            enc[0] = (unsigned char)(0xE0 | cp >> 12);
            enc[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            enc[2] = (unsigned char)(0x80 | (cp & 0x3F));
            len = 3;
        } else {
            enc[0] = (unsigned char)(0xF0 | cp >> 18);
            enc[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            enc[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            enc[3] = (unsigned char)(0x80 | (cp & 0x3F));
            len = 4;
        }
        for (size_t i = 0; i < len; i++) {
            if (n == size) {
                *complete = false;
                return n;
            }
            out[n++] = enc[i];
        }
    }
}
