/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* UTF-8 validation and character counting for contact field values. */
#ifndef SFSYNC_UTF8_H
#define SFSYNC_UTF8_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Check that the NUL-terminated string s is well-formed UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF) and store its
 * length in code points in *out_chars, which may be NULL. Return 0, or -1
 * when s is not valid UTF-8, in which case *out_chars is the byte offset of
 * the first invalid sequence.
 */
int utf8_count(const char *s, size_t *out_chars);

#ifdef __cplusplus
}
#endif

#endif
