/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * ISO-8601 dates and datetimes in the forms Salesforce reads and writes.
 * Times are int64 milliseconds since the Unix epoch, always UTC.
 */
#ifndef SFSYNC_DATETIME_H
#define SFSYNC_DATETIME_H

#include <stdint.h>

#define DATETIME_LEN 32

/* The current time in milliseconds. */
int64_t datetime_now_ms(void);

/*
 * Parse YYYY-MM-DDThh:mm:ss with optional fraction and a zone of Z, +hh:mm,
 * -hh:mm, +hhmm or -hhmm. With a NULL end the whole string must match;
 * otherwise *end is set past the last byte read. Return 0 or -1.
 */
int datetime_parse(const char *s, int64_t *out_ms, const char **end);

/* Parse YYYY-MM-DD into days since the epoch. Return 0 or -1. */
int date_parse(const char *s, int64_t *out_days, const char **end);

/* Format as Salesforce REST does: 2024-01-02T03:04:05.000+0000. */
void datetime_format_sf(int64_t ms, char out[DATETIME_LEN]);

/* Format with a Z zone and milliseconds: 2024-01-02T03:04:05.000Z. */
void datetime_format_z(int64_t ms, char out[DATETIME_LEN]);

/* Format days since the epoch as YYYY-MM-DD. */
void date_format(int64_t days, char out[DATETIME_LEN]);

#endif
