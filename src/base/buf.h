/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * A growable byte buffer, always NUL-terminated, with an optional size cap
 * so that no remote body can grow without bound.
 */
#ifndef SFSYNC_BUF_H
#define SFSYNC_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;     /* never NULL after buf_init; NUL-terminated */
    size_t len;
    size_t cap;
    size_t max;     /* 0 for no cap */
    int overflow;   /* set once an append would pass max */
};

/* Set up an empty buffer without allocating; max 0 means no cap. */
void buf_init(struct buf *b, size_t max);

/* Free the contents; the buffer may be initialised again. */
void buf_release(struct buf *b);

/* As buf_release, but zero the bytes first (for tokens and secrets). */
void buf_release_secret(struct buf *b);

/* Empty the buffer and keep its storage. */
void buf_reset(struct buf *b);

/*
 * Append bytes. Return 0, or -1 when the cap would be passed, in which case
 * nothing is appended and b->overflow is set.
 */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* Take the contents as a heap string owned by the caller; b is left empty. */
char *buf_detach(struct buf *b);

#endif
