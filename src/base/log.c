/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Line-per-event logging to stderr with UTC millisecond timestamps. */
#include "common.h"

#include <pthread.h>
#include <stdarg.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void log_set_level(enum log_level level)
{
    min_level = level;
}

enum log_level log_get_level(void)
{
    return min_level;
}

int log_level_parse(const char *name)
{
    static const char *names[] = {"debug", "info", "warn", "error", "off"};

    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (name && strcasecmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

/* Append s to out, escaping control bytes so that one event stays one line. */
static void put_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '\n')
            fputs("\\n", out);
        else if (c == '\r')
            fputs("\\r", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
}

void log_event(enum log_level level, const char *module, const char *msg,
               const char *fields, ...)
{
    char stamp[32], text[2048];
    struct timespec ts;
    struct tm tm;
    va_list ap;

    if (level < min_level || level >= LOG_OFF)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    text[0] = '\0';
    if (fields) {
        va_start(ap, fields);
        vsnprintf(text, sizeof(text), fields, ap);
        va_end(ap);
    }
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "%s.%03ldZ %s %s: ", stamp, ts.tv_nsec / 1000000,
            level_names[level], module);
    put_escaped(stderr, msg);
    if (text[0]) {
        fputc(' ', stderr);
        put_escaped(stderr, text);
    }
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}

void log_bug(const char *file, int line, const char *fmt, ...)
{
    char text[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    log_event(LOG_ERROR, "bug", text, "file=%s line=%d", file, line);
    abort();
}
