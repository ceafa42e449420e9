/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The error value that fallible functions fill. It owns no heap memory, so
 * error paths never allocate.
 */
#ifndef SFSYNC_ERR_H
#define SFSYNC_ERR_H

#include <stdbool.h>

/* Status codes: 0 is success, each negative value tells the caller what to
 * do next. */
enum sync_rc {
    SYNC_OK = 0,
    SYNC_EAUTH = -1,      /* refresh the token or reconnect */
    SYNC_ERATELIMIT = -2, /* back off; the API allowance is used up */
    SYNC_ETRANSIENT = -3, /* 5xx, lock or network; a retry may help */
    SYNC_EINVALID = -4,   /* bad input or request; do not retry */
    SYNC_ENOTFOUND = -5,
    SYNC_ECONFLICT = -6,
    SYNC_EIO = -7,  /* file or socket error */
    SYNC_EDB = -8,  /* the store failed */
    SYNC_ESTOP = -9 /* stopped on request */
};

#define ERR_MSG_MAX 512
#define ERR_CODE_MAX 64

struct err {
    int code;                  /* an enum sync_rc value */
    int http_status;           /* 0 when no HTTP reply was involved */
    bool retryable;            /* a later attempt may succeed */
    char sf_code[ERR_CODE_MAX]; /* Salesforce errorCode, or "" */
    char msg[ERR_MSG_MAX];
};

/* Reset err to success; NULL is allowed. */
void err_clear(struct err *err);

/*
 * Set err to code with a printf-style message and return code, so that a
 * failure is one statement. err may be NULL. The retryable flag follows from
 * the code (SYNC_ETRANSIENT and SYNC_ERATELIMIT).
 */
int err_set(struct err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As err_set, then append ": " and strerror(errno) captured on entry. */
int err_set_errno(struct err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the HTTP status and Salesforce error code beside the message. */
void err_set_http(struct err *err, int http_status, const char *sf_code);

/* Prefix the existing message with "context: ". */
void err_prefix(struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The short name of a status code ("auth", "transient", ...). */
const char *err_code_name(int code);

#endif
