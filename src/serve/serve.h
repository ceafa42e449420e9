/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sfsync serve: one process that serves the JSON API, the admin page and
 * the OAuth callback over HTTP, and runs the sync of one workspace in a
 * background thread.
 */
#ifndef SFSYNC_SERVE_H
#define SFSYNC_SERVE_H

#include <stdint.h>

struct err;

struct serve_options {
    const char *db_path;        /* the SQLite file; must exist */
    const char *workspace_name; /* must exist */
    const char *host;           /* an IPv4 address */
    int port;                   /* 0 picks a free one */
};

/*
 * Serve until SIGTERM or SIGINT, then stop taking requests, let running
 * pulls and sync rounds finish their current page (abandoning them after a
 * grace period, which the store's transactions make safe) and return 0.
 * The first line on stdout is "sfsync serving http://HOST:PORT". Return a
 * negative code with err filled when the server cannot start.
 */
int serve_run(const struct serve_options *opts, struct err *err);

#endif
