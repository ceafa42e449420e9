/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Allocation wrappers that abort on out-of-memory. */
#include "common.h"

#include <stdarg.h>

static void oom(size_t size)
{
    fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (!p)
        oom(size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);

    if (!p)
        oom(count * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);

    if (!p)
        oom(size);
    return p;
}

char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t len)
{
    char *p = xmalloc(len + 1);

    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    char *p = NULL;

    if (vasprintf(&p, fmt, ap) < 0)
        oom(strlen(fmt));
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

void *xgrow(void *array, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap ? *cap : 8;

    if (need <= *cap)
        return array;
    while (n < need)
        n *= 2;
    array = xrealloc(array, n * size);
    *cap = n;
    return array;
}

void secure_zero(void *ptr, size_t len)
{
    volatile unsigned char *p = ptr;

    while (len--)
        *p++ = 0;
}

void free_secret(char *s)
{
    if (!s)
        return;
    secure_zero(s, strlen(s));
    free(s);
}
