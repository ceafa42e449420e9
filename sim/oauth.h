/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Helpers of sfsim's OAuth module that are pure functions of their input,
 * shared between oauth.c, jwt.c and the unit tests. The endpoints themselves
 * are declared in sim.h.
 */
#ifndef SFSIM_OAUTH_H
#define SFSIM_OAUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* Length of a base64url SHA-256 digest without padding, as in PKCE S256. */
#define SIM_OAUTH_CHALLENGE_LEN 43

/*
 * Encode len bytes as base64url (RFC 4648 section 5) without padding.
 * Returns a NUL-terminated string that the caller frees.
 */
char *sim_jwt_b64url_encode(const unsigned char *data, size_t len);

/*
 * Decode len characters of base64url text. Trailing '=' padding is
 * accepted but not required. Returns the bytes that the caller frees, with
 * their count in *out_len and a NUL after them, or NULL when the text has
 * a character outside the alphabet or an impossible length.
 */
unsigned char *sim_jwt_b64url_decode(const char *text, size_t len,
                                     size_t *out_len);

/* A JWT split into its parts, each owned by the struct. */
struct sim_jwt {
    json_t *header; /* the decoded JOSE header, a JSON object */
    json_t *claims; /* the decoded claims set, a JSON object */
    unsigned char *signature;
    size_t signature_len;
    char *signing_input; /* "header.claims" as sent, what was signed */
};

/*
 * Split a compact-serialised JWT into out, which the caller releases with
 * sim_jwt_release. Returns 0, or SYNC_EINVALID with err filled and out left
 * empty when it is not three base64url parts whose first two are JSON
 * objects.
 */
int sim_jwt_parse(struct sim_jwt *out, const char *assertion, struct err *err);

/* Free the parts of jwt and leave it empty. An empty jwt is allowed. */
void sim_jwt_release(struct sim_jwt *jwt);

/*
 * Check that pem holds an RSA public key that sim_jwt_verify_rs256 can use
 * (a PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE block). Returns 0, or
 * SYNC_EINVALID with err filled.
 */
int sim_jwt_check_key(const char *pem, struct err *err);

/*
 * Check that jwt has alg RS256 and that its signature verifies with the RSA
 * public key in pem, which holds a PUBLIC KEY, RSA PUBLIC KEY or
 * CERTIFICATE block. Returns 0, or SYNC_EINVALID with err filled when the
 * algorithm is not RS256, the key cannot be read or the signature does not
 * verify. The claims are not looked at.
 */
int sim_jwt_verify_rs256(const struct sim_jwt *jwt, const char *pem,
                         struct err *err);

/*
 * Compute the PKCE S256 code challenge of verifier: base64url of its
 * SHA-256 digest, without padding (RFC 7636 section 4.2).
 */
void sim_oauth_pkce_challenge(const char *verifier,
                              char out[SIM_OAUTH_CHALLENGE_LEN + 1]);

/*
 * Check the form of a PKCE code verifier: 43 to 128 characters from
 * A-Z a-z 0-9 - . _ ~ (RFC 7636 section 4.1).
 */
bool sim_oauth_verifier_valid(const char *verifier);

/*
 * Split an "Authorization: Basic" header value into the client id and
 * secret. Returns 0 with both set to strings the caller frees, or -1 when
 * the value is not Basic credentials in base64 with a ':'.
 */
int sim_oauth_parse_basic(const char *header, char **out_id, char **out_secret);

#endif
