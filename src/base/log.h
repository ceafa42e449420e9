/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Logging to stderr, one line per event:
 *   2026-08-22T14:03:05.123Z WARN sync: lead push failed id=00Q... http=400
 * Control bytes in the line are escaped, so a value can never forge a line.
 * Callers must never pass a token, password or record body.
 */
#ifndef SFSYNC_LOG_H
#define SFSYNC_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* Set the lowest level written; LOG_INFO by default. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parse "debug", "info", "warn", "error" or "off"; -1 when unknown. */
int log_level_parse(const char *name);

/*
 * Write one event. msg is a plain phrase; fields is a printf format for the
 * key=value pairs that follow it, or NULL.
 */
void log_event(enum log_level level, const char *module, const char *msg,
               const char *fields, ...) __attribute__((format(printf, 4, 5)));

#define log_debug(mod, msg, ...) log_event(LOG_DEBUG, mod, msg, __VA_ARGS__)
#define log_info(mod, msg, ...) log_event(LOG_INFO, mod, msg, __VA_ARGS__)
#define log_warn(mod, msg, ...) log_event(LOG_WARN, mod, msg, __VA_ARGS__)
#define log_error(mod, msg, ...) log_event(LOG_ERROR, mod, msg, __VA_ARGS__)

/* Log at ERROR with the source location and abort. */
void log_bug(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#endif
