/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * A workspace's Salesforce connection: its parameters and tokens kept in
 * the store (secrets encrypted), and a live client built from them. Tokens
 * that the client renews are written back to the store as they arrive, and
 * a rejected renewal marks the connection as needing to be reconnected.
 * This module does no syncing.
 */
#ifndef SFSYNC_CONNECTION_H
#define SFSYNC_CONNECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "salesforce/sf_auth.h"
#include "salesforce/sf_client.h"

struct store;

/* The parameters of connect; strings are borrowed. */
struct connection_params {
    const char *login_url;
    const char *client_id;
    const char *client_secret; /* NULL for JWT bearer */
    enum sf_auth_grant grant;
    const char *username;      /* JWT bearer and password grants */
    const char *password;      /* password grant */
    const char *jwt_key_file;  /* JWT bearer: PEM RSA private key */
};

/* A connection as the store records it. Strings are owned. */
struct connection_status {
    bool connected;       /* parameters are stored */
    bool needs_reconnect; /* a renewal or verification was rejected */
    char *reconnect_reason;
    char *login_url, *grant, *client_id;
    char *instance_url, *org_id, *user_id, *username, *display_name;
    int64_t connected_ms;
    int64_t last_refreshed_ms; /* last token obtained */
    int64_t last_verified_ms;  /* last successful userinfo call */
    int64_t reconnect_ms;      /* when needs_reconnect was set, or 0 */
    /* The last failed check that Salesforce did not reject (unreachable,
     * an error page), and when it failed; NULL and 0 after a good one */
    char *check_problem;
    int64_t check_problem_ms;
};

struct connection {
    struct store *store; /* borrowed */
    int64_t workspace_id;
    struct sf_client *client; /* owns the auth state and HTTP handle */
    uint64_t calls_at_open;   /* API calls made before this use */
};

/* Parse "client_credentials", "jwt", "password" into a grant; -1 if not. */
int connection_grant_parse(const char *name);
const char *connection_grant_name(enum sf_auth_grant grant);

/*
 * Connect the workspace: obtain a token with params, verify it with
 * userinfo, then store the parameters, the secrets (encrypted) and the
 * identity, and the connect defaults of the settings. Nothing is stored
 * when any step fails. Contacts, links and settings of an earlier
 * connection are kept. Return 0 or a negative code with err filled.
 */
int connection_connect(struct store *s, int64_t workspace_id,
                       const struct connection_params *params,
                       struct err *err);

/*
 * Connect the workspace with an authorization code from the OAuth redirect
 * to redirect_uri: exchange it with its PKCE verifier, verify the token
 * with userinfo, then store the connection as connection_connect does,
 * with the redirect URI that renewals need. p->grant and the JWT and
 * password fields are ignored. Nothing is stored when a step fails.
 * Return 0 or a negative code with err filled.
 */
int connection_connect_code(struct store *s, int64_t workspace_id,
                            const struct connection_params *p,
                            const char *redirect_uri, const char *code,
                            const char *verifier, struct err *err);

/*
 * Build a client from the stored connection without contacting Salesforce.
 * Return 0, SYNC_ENOTFOUND when the workspace is not connected,
 * SYNC_EAUTH when it needs reconnecting, or another negative code.
 */
int connection_open(struct connection *conn, struct store *s,
                    int64_t workspace_id, struct err *err);

/* Free the client; the connection may be opened again. */
void connection_close(struct connection *conn);

/* API calls this connection made since connection_open. */
uint64_t connection_api_calls(const struct connection *conn);

/*
 * Check the token with userinfo and record the outcome: the last verified
 * time on success, the reconnect flag when Salesforce rejects the
 * connection. Return 0 or a negative code with err filled.
 */
int connection_verify(struct connection *conn, struct err *err);

/*
 * Record an authentication failure seen while using conn, so that status
 * shows it and later runs fail fast until the admin reconnects.
 */
void connection_mark_failed(struct connection *conn, const struct err *why);

/*
 * Return what to do about problem, the message of a failed connection_open
 * or connection_verify that did not mark the connection for reconnecting:
 * the advice to set the credentials key when the stored credentials could
 * not be decrypted, otherwise the caller's text, otherwise.
 */
const char *connection_problem_fix(const char *problem,
                                   const char *otherwise);

/*
 * Store the outcome of a check of the connection that did not end in a
 * rejection: problem, the message of a failed check, with the time now,
 * or NULL after a good check. Every process that reads the status gets
 * it. Return 0 or a negative code.
 */
int connection_note_check(struct store *s, int64_t workspace_id,
                          const char *problem, struct err *err);

/* Fill out from the store; release with connection_status_release. */
int connection_status_get(struct store *s, int64_t workspace_id,
                          struct connection_status *out, struct err *err);
void connection_status_release(struct connection_status *st);

/*
 * Forget the connection: revoke the refresh token when there is one (best
 * effort), then delete the stored tokens and secrets. Contacts, links and
 * settings stay. Return 0 or a negative code.
 */
int connection_disconnect(struct store *s, int64_t workspace_id,
                          struct err *err);

#endif
