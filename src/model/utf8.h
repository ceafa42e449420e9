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

/*
 * Return a new string holding the Unicode default case folding of the
 * UTF-8 text s of len bytes (ICU), so that texts differing only in letter
 * case fold to one string. Return NULL when s is not valid UTF-8.
 */
char *utf8_fold_case(const char *s, size_t len);

/* Whether the NUL-terminated string s has a byte outside ASCII. */
int utf8_has_non_ascii(const char *s);

#ifdef __cplusplus
}
#endif

#endif
