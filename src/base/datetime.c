/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Parsing and formatting of ISO-8601 dates and datetimes. */
#include "common.h"

#include <ctype.h>
#include <time.h>

#include "datetime.h"

int64_t datetime_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly n digits into *out. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int64_t days_from_civil(int y, int m, int d)
{
    /* Howard Hinnant's days_from_civil, valid for the proleptic Gregorian
     * calendar. */
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int valid_date(int y, int m, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31};

    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100) || y % 400 == 0))
        return 0;
    return 1;
}

int date_parse(const char *s, int64_t *out_days, const char **end)
{
    const char *p = s;
    int y, m, d;

    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &m) ||
        *p++ != '-' || digits(&p, 2, &d) || !valid_date(y, m, d))
        return -1;
    if (end)
        *end = p;
    else if (*p)
        return -1;
    *out_days = days_from_civil(y, m, d);
    return 0;
}

int datetime_parse(const char *s, int64_t *out_ms, const char **end)
{
    const char *p = s;
    int64_t days, ms = 0;
    int hh, mm, ss, zh, zm, sign;

    if (date_parse(s, &days, &p) < 0)
        return -1;
    if ((*p != 'T' && *p != 't') || (++p, digits(&p, 2, &hh)) ||
        *p++ != ':' || digits(&p, 2, &mm) || *p++ != ':' ||
        digits(&p, 2, &ss) || hh > 23 || mm > 59 || ss > 60)
        return -1;
    if (*p == '.') {
        int scale = 100, n = 0;

        for (p++; isdigit((unsigned char)*p); p++, n++) {
            ms += (*p - '0') * scale;
            scale /= 10;
        }
        if (n == 0)
            return -1;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
        zh = zm = 0;
        sign = 1;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (digits(&p, 2, &zh))
            return -1;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &zm) || zh > 23 || zm > 59)
            return -1;
    } else {
        return -1;
    }
    if (end)
        *end = p;
    else if (*p)
        return -1;
    *out_ms = ((days * 86400 + hh * 3600 + mm * 60 + ss) -
               sign * (zh * 3600 + zm * 60)) * 1000 + ms;
    return 0;
}

static void split(int64_t ms, struct tm *tm, int *millis)
{
    int64_t secs = ms / 1000;
    time_t t;

    *millis = (int)(ms % 1000);
    if (*millis < 0) {
        *millis += 1000;
        secs--;
    }
    t = (time_t)secs;
    gmtime_r(&t, tm);
}

/* Format ms with the given zone suffix; years are kept to four digits. */
static void format_with_zone(int64_t ms, const char *zone,
                             char out[DATETIME_LEN])
{
    struct tm tm;
    int millis;

    split(ms, &tm, &millis);
    snprintf(out, DATETIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s",
             (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
             tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
             tm.tm_sec % 100, millis % 1000, zone);
}

void datetime_format_sf(int64_t ms, char out[DATETIME_LEN])
{
    format_with_zone(ms, "+0000", out);
}

void datetime_format_z(int64_t ms, char out[DATETIME_LEN])
{
    format_with_zone(ms, "Z", out);
}

void date_format(int64_t days, char out[DATETIME_LEN])
{
    struct tm tm;
    int millis;

    split(days * 86400000, &tm, &millis);
    snprintf(out, DATETIME_LEN, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
}
