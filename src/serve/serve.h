/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sfsync serve: one process that serves the JSON API, the admin page and
 * the OAuth callback over HTTP, and runs the sync of one workspace in a
 * background thread, or serves every workspace of the store without
 * background syncing.
 */
#ifndef SFSYNC_SERVE_H
#define SFSYNC_SERVE_H

#include <stddef.h>
#include <stdint.h>

struct err;

struct serve_options {
    const char *db_path;        /* the SQLite file; must exist */
    const char *workspace_name; /* must exist; ignored with all_workspaces */
    /* Serve every workspace of the store, each request in the workspace
     * of its user, and run no background sync rounds. */
    bool all_workspaces;
    const char *host;           /* an IPv4 address */
    int port;                   /* 0 picks a free one */
    /* Host header names accepted besides the listen address, localhost,
     * 127.0.0.1 and the public_url setting's host; borrowed. */
    const char *const *allow_hosts;
    size_t nallow_hosts;
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
