/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Allocation wrappers. They log and abort when memory runs out, so callers
 * never handle out-of-memory as an error.
 */
#ifndef SFSYNC_XALLOC_H
#define SFSYNC_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);

/* Duplicate a string; NULL in gives NULL out. */
char *xstrdup(const char *s);

/* Duplicate the first len bytes of s and add a NUL. */
char *xstrndup(const char *s, size_t len);

/* Format into a new string that the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* Grow *array so that it holds at least need elements of size bytes. */
void *xgrow(void *array, size_t *cap, size_t need, size_t size);

/* Zero len bytes of a secret so that the compiler cannot drop the writes. */
void secure_zero(void *ptr, size_t len);

/* Zero and free a NUL-terminated secret; NULL is allowed. */
void free_secret(char *s);

#endif
