/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * OAuth 2.0 for the Salesforce client: the token state and the grants a
 * server-side integration uses (client credentials, refresh token, JWT
 * bearer, authorization code with PKCE, and the legacy password grant).
 * It sends its requests through sf_http and does no REST calls; sf_client
 * calls sf_auth_renew when an API call returns 401.
 */
#ifndef SFSYNC_SF_AUTH_H
#define SFSYNC_SF_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/sfid.h"
#include "salesforce/sf_http.h"

/* PKCE code verifier: 32 random bytes in base64url (RFC 7636 4.1). */
#define SF_AUTH_VERIFIER_LEN 43
/* PKCE S256 code challenge: a SHA-256 digest in base64url. */
#define SF_AUTH_CHALLENGE_LEN 43
/* OAuth state value: 16 random bytes in base64url. */
#define SF_AUTH_STATE_LEN 22
/* Lifetime of a JWT bearer assertion; Salesforce allows about 3 minutes. */
#define SF_AUTH_JWT_LIFETIME_S 180

/* The grant that obtains a new access token when there is no refresh
 * token. */
enum sf_auth_grant {
    SF_AUTH_GRANT_NONE,               /* tokens come from the caller only */
    SF_AUTH_GRANT_CLIENT_CREDENTIALS, /* runs as the app's integration user */
    SF_AUTH_GRANT_JWT_BEARER,         /* signed assertion for username */
    SF_AUTH_GRANT_PASSWORD,           /* legacy; for tests and old orgs */
    SF_AUTH_GRANT_AUTHORIZATION_CODE, /* interactive; renews by refresh */
};

/* Connection settings. sf_auth_new copies every string. */
struct sf_auth_config {
    const char *login_url;     /* https://login.salesforce.com, a My Domain
                                  URL, or an http URL of a local sfsim */
    const char *client_id;     /* connected app consumer key; required */
    const char *client_secret; /* consumer secret; NULL for JWT or PKCE */
    enum sf_auth_grant grant;
    const char *username;         /* JWT sub and password grant user */
    const char *password;         /* password grant, security token appended */
    const char *private_key_file; /* PEM RSA private key for JWT bearer */
    /* aud claim; NULL for login_url. Salesforce accepts only
     * https://login.salesforce.com, https://test.salesforce.com or an
     * Experience Cloud site URL, so set it when login_url is My Domain. */
    const char *jwt_audience;
    const char *redirect_uri; /* authorization code grant callback */
    const char *scope;        /* requested scope; NULL for the app's */
};

/* The tokens of a connection. Every string is owned by the struct. */
struct sf_token {
    char *access_token;  /* zeroed before it is freed */
    char *refresh_token; /* NULL when none was issued; zeroed when freed */
    char *instance_url;  /* base of every REST call, without a final '/' */
    char *identity_url;  /* https://login.../id/ORGID/USERID */
    char *scope;         /* granted scope, or NULL */
    int64_t issued_at_ms;
    char org_id[SFID_SIZE]; /* 18-character ids from the identity URL */
    char user_id[SFID_SIZE];
};

/* The user behind the access token, from /services/oauth2/userinfo. */
struct sf_userinfo {
    char user_id[SFID_SIZE];
    char org_id[SFID_SIZE];
    char *username;     /* preferred_username; owned */
    char *display_name; /* name; owned, "" when absent */
};

/*
 * Called after every successful grant, refreshes included, so that the
 * caller can store the new tokens. token is borrowed for the call.
 */
typedef void (*sf_auth_token_fn)(const struct sf_token *token, void *payload);

struct sf_auth;

/*
 * Check cfg and create the token state, with no token yet. Returns NULL
 * with err filled (SYNC_EINVALID) when a field the grant needs is missing
 * or a URL is not http(s). Free with sf_auth_free.
 */
struct sf_auth *sf_auth_new(const struct sf_auth_config *cfg, struct err *err);

/* Zero the tokens and secrets and free a; NULL is allowed. */
void sf_auth_free(struct sf_auth *a);

/* The current tokens, borrowed until the next grant or sf_auth_free. */
const struct sf_token *sf_auth_token(const struct sf_auth *a);

/*
 * Replace the tokens with copies of stored ones (access_token and
 * instance_url may be NULL when only a refresh token was kept). Returns 0,
 * or SYNC_EINVALID when the instance URL is not http(s).
 */
int sf_auth_restore(struct sf_auth *a, const struct sf_token *stored,
                    struct err *err);

void sf_auth_set_callback(struct sf_auth *a, sf_auth_token_fn fn,
                          void *payload);

/*
 * Whether the connection needs a person to authorise it again: the refresh
 * token or the configured grant was rejected, or a fresh token was itself
 * rejected. While set, sf_auth_renew fails at once without a request.
 * A successful explicit grant clears it; the caller may store and restore
 * it with sf_auth_set_needs_reauth.
 */
bool sf_auth_needs_reauth(const struct sf_auth *a);
void sf_auth_set_needs_reauth(struct sf_auth *a, bool value);

/*
 * Each grant posts to LOGIN_URL/services/oauth2/token and on success
 * replaces the tokens, clears the re-authorisation flag and calls the
 * callback. They return 0, SYNC_EAUTH when the token endpoint rejects the
 * request (err contains the OAuth error and its description), or another
 * code from sf_http_send. A rejection (any 4xx) sets the
 * re-authorisation flag, since repeating the same request cannot succeed.
 */
int sf_auth_client_credentials(struct sf_auth *a, struct sf_http *http,
                               struct err *err);
int sf_auth_password(struct sf_auth *a, struct sf_http *http, struct err *err);
int sf_auth_jwt_bearer(struct sf_auth *a, struct sf_http *http,
                       struct err *err);

/* The refresh_token grant. It is not retried after a failure that may
 * have reached the server, because with refresh-token rotation the old
 * token may already be dead. SYNC_EAUTH when there is no refresh token. */
int sf_auth_refresh(struct sf_auth *a, struct sf_http *http, struct err *err);

/* Exchange an authorization code and its PKCE verifier (NULL without
 * PKCE) for tokens, with cfg->redirect_uri. */
int sf_auth_exchange_code(struct sf_auth *a, struct sf_http *http,
                          const char *code, const char *verifier,
                          struct err *err);

/* Run the configured grant: SYNC_EINVALID for SF_AUTH_GRANT_NONE and the
 * authorization code grant, which need the caller. */
int sf_auth_login(struct sf_auth *a, struct sf_http *http, struct err *err);

/*
 * Obtain a new access token after the old one was rejected: the refresh
 * token when there is one, else the configured client credentials, JWT or
 * password grant. Fails at once with SYNC_EAUTH when the
 * re-authorisation flag is set, and sets it when no grant is possible.
 */
int sf_auth_renew(struct sf_auth *a, struct sf_http *http, struct err *err);

/*
 * Call /services/oauth2/userinfo with the access token, renewing it once
 * on a 401. Returns 0 with out filled (release with
 * sf_auth_userinfo_release), or a negative code with err filled.
 */
int sf_auth_userinfo(struct sf_auth *a, struct sf_http *http,
                     struct sf_userinfo *out, struct err *err);
void sf_auth_userinfo_release(struct sf_userinfo *info);

/* Fill out with a new random PKCE code verifier. */
void sf_auth_pkce_verifier(char out[SF_AUTH_VERIFIER_LEN + 1]);

/*
 * Compute the S256 code challenge of verifier. Returns 0, or
 * SYNC_EINVALID when verifier is not 43 to 128 characters of
 * A-Z a-z 0-9 - . _ ~.
 */
int sf_auth_pkce_challenge(const char *verifier,
                           char out[SF_AUTH_CHALLENGE_LEN + 1],
                           struct err *err);

/* Fill out with a new random state value for the authorize request. */
void sf_auth_make_state(char out[SF_AUTH_STATE_LEN + 1]);

/*
 * Build LOGIN_URL/services/oauth2/authorize?response_type=code&... with
 * the client id, redirect URI, scope, challenge (S256) and state. Returns
 * a string that the caller frees.
 */
char *sf_auth_authorize_url(const struct sf_auth *a, const char *challenge,
                            const char *state);

/*
 * Build a signed RS256 JWT bearer assertion with iss = client id, sub =
 * username, aud = the audience and exp = now_s + SF_AUTH_JWT_LIFETIME_S.
 * Returns a string that the caller frees, or NULL with err filled
 * (SYNC_EINVALID) when the key file cannot be read or is not RSA.
 */
char *sf_auth_jwt_assertion(const struct sf_auth *a, int64_t now_s,
                            struct err *err);

/*
 * Split an identity URL ".../id/ORGID/USERID" into 18-character ids.
 * Returns 0, or -1 when the last two segments are not record ids.
 */
int sf_auth_parse_identity_url(const char *url, char org_id[SFID_SIZE],
                               char user_id[SFID_SIZE]);

/* Encode len bytes as base64url without padding; the caller frees. */
char *sf_auth_b64url(const unsigned char *data, size_t len);

#endif
