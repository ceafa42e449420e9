/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* The error value: a code, a fixed message buffer and HTTP details. */
#include "common.h"

#include <errno.h>
#include <stdarg.h>

void err_clear(struct err *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}

static void set_code(struct err *err, int code)
{
    err->code = code;
    err->retryable = code == SYNC_ETRANSIENT || code == SYNC_ERATELIMIT;
    err->http_status = 0;
    err->sf_code[0] = '\0';
}

int err_set(struct err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    set_code(err, code);
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

int err_set_errno(struct err *err, int code, const char *fmt, ...)
{
    int saved = errno;
    size_t len;
    va_list ap;

    if (!err)
        return code;
    set_code(err, code);
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    len = strlen(err->msg);
    if (len + 3 < sizeof(err->msg)) {
        const char *reason = strerror(saved);
        size_t rlen = strlen(reason);
        size_t room = sizeof(err->msg) - len - 3;

        if (rlen > room)
            rlen = room;
        memcpy(err->msg + len, ": ", 2);
        memcpy(err->msg + len + 2, reason, rlen);
        err->msg[len + 2 + rlen] = '\0';
    }
    return code;
}

void err_set_http(struct err *err, int http_status, const char *sf_code)
{
    if (!err)
        return;
    err->http_status = http_status;
    snprintf(err->sf_code, sizeof(err->sf_code), "%s",
             sf_code ? sf_code : "");
}

void err_prefix(struct err *err, const char *fmt, ...)
{
    char joined[2 * ERR_MSG_MAX + 2];
    size_t len;
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(joined, ERR_MSG_MAX, fmt, ap);
    va_end(ap);
    len = strlen(joined);
    memcpy(joined + len, ": ", 2);
    memcpy(joined + len + 2, err->msg, strlen(err->msg) + 1);
    memcpy(err->msg, joined, ERR_MSG_MAX - 1);
    err->msg[ERR_MSG_MAX - 1] = '\0';
}

const char *err_code_name(int code)
{
    switch (code) {
    case SYNC_OK:
        return "ok";
    case SYNC_EAUTH:
        return "auth";
    case SYNC_ERATELIMIT:
        return "rate-limit";
    case SYNC_ETRANSIENT:
        return "transient";
    case SYNC_EINVALID:
        return "invalid";
    case SYNC_ENOTFOUND:
        return "not-found";
    case SYNC_ECONFLICT:
        return "conflict";
    case SYNC_EIO:
        return "io";
    case SYNC_EDB:
        return "db";
    case SYNC_ESTOP:
        return "stopped";
    }
    return "unknown";
}
