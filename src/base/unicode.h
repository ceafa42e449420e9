/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Decoding of UTF-8 as RFC 3629 defines its well-formed byte sequences. */
#ifndef SFSYNC_UNICODE_H
#define SFSYNC_UNICODE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the character at s[0..len) into *cp and return its length in
 * bytes, or return 0 when s does not start with a well-formed character:
 * overlong forms, surrogates, code points past U+10FFFF and sequences cut
 * by len or by a NUL are all rejected. Reading stops at the first byte that
 * is not a continuation byte, so a NUL-terminated s may be passed with a
 * len of 4.
 */
size_t unicode_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

#endif
