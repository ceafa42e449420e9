/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of sf_auth that need no server: PKCE, base64url, identity
 * URLs, the authorize URL, JWT assertions signed with a key made here,
 * and configuration checks.
 */
#include "base/common.h"

#include "salesforce/sf_auth.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include "test.h"

#define LOGIN "https://login.salesforce.com"

static struct sf_auth *new_auth(enum sf_auth_grant grant, const char *key)
{
    struct sf_auth_config cfg = {
        .login_url = LOGIN "/",
        .client_id = "cid-123",
        .client_secret = "secret",
        .grant = grant,
        .username = "jane@example.com",
        .private_key_file = key,
        .redirect_uri = "https://app.example.com/oauth/callback",
        .scope = "api refresh_token",
    };
    struct err err;
    struct sf_auth *a = sf_auth_new(&cfg, &err);

    if (!a)
        fprintf(stderr, "sf_auth_new: %s\n", err.msg);
    return a;
}

/* Decode base64url text of len characters; the caller frees. */
static unsigned char *b64url_decode(const char *text, size_t len,
                                    size_t *out_len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "abcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char *out = xmalloc(len * 3 / 4 + 3);
    uint32_t acc = 0;
    int bits = 0;

    *out_len = 0;
    for (size_t i = 0; i < len; i++) {
        const char *p = memchr(alphabet, text[i], 64);

        if (!p) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[(*out_len)++] = (unsigned char)(acc >> bits);
        }
    }
    out[*out_len] = '\0';
    return out;
}

TEST(pkce_rfc7636_example)
{
    char challenge[SF_AUTH_CHALLENGE_LEN + 1];

    /* The verifier and challenge of RFC 7636 appendix B. */
    CHECK_INT(
        sf_auth_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                               challenge, NULL),
        0);
    CHECK_STR(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");

    /* One changed letter; the value was computed with Python's hashlib. */
    CHECK_INT(
        sf_auth_pkce_challenge("dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk",
                               challenge, NULL),
        0);
    CHECK_STR(challenge, "ngF5GsXcbwljx6u133FFr3Xht9xooA_DuaX_3QwODtc");
}

TEST(pkce_verifier_is_random_and_valid)
{
    char a[SF_AUTH_VERIFIER_LEN + 1], b[SF_AUTH_VERIFIER_LEN + 1];
    char challenge[SF_AUTH_CHALLENGE_LEN + 1];

    sf_auth_pkce_verifier(a);
    sf_auth_pkce_verifier(b);
    CHECK_INT(strlen(a), 43);
    CHECK(strcmp(a, b) != 0);
    CHECK_INT(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789-_"),
              43);
    CHECK_INT(sf_auth_pkce_challenge(a, challenge, NULL), 0);
    CHECK_INT(strlen(challenge), 43);
}

TEST(pkce_rejects_bad_verifier)
{
    char challenge[SF_AUTH_CHALLENGE_LEN + 1];
    struct err err;

    CHECK_INT(sf_auth_pkce_challenge("short", challenge, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "invalid PKCE code verifier") != NULL);
    CHECK_INT(
        sf_auth_pkce_challenge("dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjX+",
                               challenge, &err),
        SYNC_EINVALID);
    CHECK_INT(sf_auth_pkce_challenge(NULL, challenge, &err), SYNC_EINVALID);
}

TEST(state_is_random)
{
    char a[SF_AUTH_STATE_LEN + 1], b[SF_AUTH_STATE_LEN + 1];

    sf_auth_make_state(a);
    sf_auth_make_state(b);
    CHECK_INT(strlen(a), 22);
    CHECK(strcmp(a, b) != 0);
}

TEST(b64url_vectors)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"", ""},        {"f", "Zg"},        {"fo", "Zm8"},
        {"foo", "Zm9v"}, {"foob", "Zm9vYg"}, {"\xfb\xff", "-_8"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *s = sf_auth_b64url((const unsigned char *)cases[i].in,
                                 strlen(cases[i].in));

        CHECK_STR(s, cases[i].out);
        free(s);
    }
}

TEST(identity_url_parsing)
{
    char org[SFID_SIZE], user[SFID_SIZE];

    CHECK_INT(sf_auth_parse_identity_url(
                  "https://login.salesforce.com/id/00Dx0000000BV7z/"
                  "005x00000012Q9P",
                  org, user),
              0);
    CHECK_STR(org, "00Dx0000000BV7zEAG");
    CHECK_STR(user, "005x00000012Q9PAAU");
    CHECK_INT(
        sf_auth_parse_identity_url("http://127.0.0.1:1/id/00Dx0000000BV7zEAG/"
                                   "005x00000012Q9PAAU?x",
                                   org, user),
        0);
    CHECK_STR(org, "00Dx0000000BV7zEAG");
    CHECK_STR(user, "005x00000012Q9PAAU");
    CHECK_INT(
        sf_auth_parse_identity_url("https://h/id/00Dx0000000BV7z", org, user),
        -1);
    CHECK_INT(sf_auth_parse_identity_url(
                  "https://h/id/005x00000012Q9P/00Dx0000000BV7z", org, user),
              -1);
    CHECK_INT(sf_auth_parse_identity_url("https://h/x/y", org, user), -1);
    CHECK_INT(sf_auth_parse_identity_url(NULL, org, user), -1);
}

TEST(authorize_url_has_every_parameter)
{
    struct sf_auth *a = new_auth(SF_AUTH_GRANT_AUTHORIZATION_CODE, NULL);
    char *url;

    CHECK(a != NULL);
    if (!a)
        return;
    url = sf_auth_authorize_url(a,
                                "E9Melhoa2OwvFrEKXatKjqdYDO5dyi_Wx3Q4-"
                                "hm7jsk",
                                "st4te");
    CHECK_STR(url, LOGIN "/services/oauth2/authorize?response_type=code"
                         "&client_id=cid-123&redirect_uri=https%3A%2F%2F"
                         "app.example.com%2Foauth%2Fcallback&scope=api%20"
                         "refresh_token&code_challenge=E9Melhoa2OwvFrEKXat"
                         "KjqdYDO5dyi_Wx3Q4-hm7jsk&code_challenge_method="
                         "S256&state=st4te");
    free(url);
    sf_auth_free(a);
}

TEST(config_checks)
{
    struct sf_auth_config cfg = {.login_url = "ftp://x", .client_id = "c"};
    struct err err;

    CHECK(sf_auth_new(&cfg, &err) == NULL);
    CHECK(strstr(err.msg, "invalid login URL 'ftp://x'") != NULL);
    cfg.login_url = LOGIN;
    cfg.client_id = "";
    CHECK(sf_auth_new(&cfg, &err) == NULL);
    CHECK(strstr(err.msg, "missing client id") != NULL);
    cfg.client_id = "c";
    cfg.grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS;
    CHECK(sf_auth_new(&cfg, &err) == NULL);
    CHECK(strstr(err.msg, "missing client secret") != NULL);
    cfg.grant = SF_AUTH_GRANT_JWT_BEARER;
    CHECK(sf_auth_new(&cfg, &err) == NULL);
    CHECK(strstr(err.msg, "needs a username and a private key") != NULL);
    cfg.grant = SF_AUTH_GRANT_PASSWORD;
    CHECK(sf_auth_new(&cfg, &err) == NULL);
    cfg.grant = SF_AUTH_GRANT_AUTHORIZATION_CODE;
    CHECK(sf_auth_new(&cfg, &err) == NULL);
    CHECK(strstr(err.msg, "redirect URI") != NULL);
    cfg.grant = SF_AUTH_GRANT_NONE;
    sf_auth_free(sf_auth_new(&cfg, &err));
}

TEST(renew_without_grant_needs_reauth)
{
    struct sf_auth *a = new_auth(SF_AUTH_GRANT_NONE, NULL);
    struct sf_http *http = sf_http_new(NULL);
    struct sf_http_stats stats;
    struct err err;

    CHECK_INT(sf_auth_renew(a, http, &err), SYNC_EAUTH);
    CHECK(sf_auth_needs_reauth(a));
    CHECK_INT(sf_auth_renew(a, http, &err), SYNC_EAUTH);
    CHECK(strstr(err.msg, "needs re-authorisation") != NULL);
    sf_http_get_stats(http, &stats);
    CHECK_INT(stats.requests, 0);
    sf_auth_set_needs_reauth(a, false);
    CHECK(!sf_auth_needs_reauth(a));
    sf_http_free(http);
    sf_auth_free(a);
}

TEST(restore_rejects_plain_http_instance)
{
    struct sf_auth *a = new_auth(SF_AUTH_GRANT_NONE, NULL);
    struct sf_token stored = {
        .access_token = "00Dx!tok",
        .instance_url = "http://evil.example.com",
    };
    struct err err;

    CHECK_INT(sf_auth_restore(a, &stored, &err), SYNC_EINVALID);
    stored.instance_url = "https://acme.my.salesforce.com/";
    stored.refresh_token = "rt";
    CHECK_INT(sf_auth_restore(a, &stored, &err), 0);
    CHECK_STR(sf_auth_token(a)->instance_url, "https://acme.my.salesforce.com");
    CHECK_STR(sf_auth_token(a)->refresh_token, "rt");
    sf_auth_free(a);
}

/* Write a new key pair of the given kind ("RSA" or "EC") to temp files. */
static int make_keys(const char *kind, char priv[64], char pub[64])
{
    EVP_PKEY *key =
        strcmp(kind, "RSA") == 0 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
    FILE *f;
    int fd;

    snprintf(priv, 64, "/tmp/sf-auth-key-XXXXXX");
    snprintf(pub, 64, "/tmp/sf-auth-pub-XXXXXX");
    if (!key || (fd = mkstemp(priv)) < 0)
        return -1;
    f = fdopen(fd, "w");
    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    if ((fd = mkstemp(pub)) < 0)
        return -1;
    f = fdopen(fd, "w");
    PEM_write_PUBKEY(f, key);
    fclose(f);
    EVP_PKEY_free(key);
    return 0;
}

static bool verify_rs256(const char *pub_path, const char *input,
                         const unsigned char *sig, size_t sig_len)
{
    FILE *f = fopen(pub_path, "r");
    EVP_PKEY *key = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok;

    if (f)
        fclose(f);
    ok = key && ctx &&
         EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
         EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)input,
                          strlen(input)) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok;
}

TEST(jwt_assertion_signed_rs256)
{
    char priv[64], pub[64];
    struct sf_auth *a;
    const char *dot1, *dot2;
    unsigned char *head, *claims, *sig;
    size_t head_len, claims_len, sig_len;
    json_t *doc;
    char *jwt, *input;

    CHECK_INT(make_keys("RSA", priv, pub), 0);
    a = new_auth(SF_AUTH_GRANT_JWT_BEARER, priv);
    CHECK(a != NULL);
    jwt = a ? sf_auth_jwt_assertion(a, 1700000000, NULL) : NULL;
    CHECK(jwt != NULL);
    if (!jwt)
        goto out;
    dot1 = strchr(jwt, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    CHECK(dot2 != NULL);
    if (!dot2)
        goto out;
    head = b64url_decode(jwt, (size_t)(dot1 - jwt), &head_len);
    claims = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &claims_len);
    sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &sig_len);
    CHECK_STR((char *)head, "{\"alg\":\"RS256\"}");
    doc = json_loads((char *)claims, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(doc, "iss")), "cid-123");
    CHECK_STR(json_string_value(json_object_get(doc, "sub")),
              "jane@example.com");
    CHECK_STR(json_string_value(json_object_get(doc, "aud")), LOGIN);
    CHECK_INT(json_integer_value(json_object_get(doc, "exp")),
              1700000000 + 180);
    CHECK_INT(sig_len, 256);
    input = xstrndup(jwt, (size_t)(dot2 - jwt));
    CHECK(verify_rs256(pub, input, sig, sig_len));
    /* A changed claim must break the signature. */
    input[strlen(input) - 1] ^= 1;
    CHECK(!verify_rs256(pub, input, sig, sig_len));
    free(input);
    json_decref(doc);
    free(head);
    free(claims);
    free(sig);

out:
    free(jwt);
    sf_auth_free(a);
    unlink(priv);
    unlink(pub);
}

TEST(jwt_rejects_missing_and_ec_keys)
{
    char priv[64], pub[64];
    struct sf_auth *a = new_auth(SF_AUTH_GRANT_JWT_BEARER, "/nonexistent/k");
    struct err err;

    CHECK(sf_auth_jwt_assertion(a, 1700000000, &err) == NULL);
    CHECK(strstr(err.msg, "cannot open JWT private key file "
                          "'/nonexistent/k'") != NULL);
    sf_auth_free(a);

    CHECK_INT(make_keys("EC", priv, pub), 0);
    a = new_auth(SF_AUTH_GRANT_JWT_BEARER, priv);
    CHECK(sf_auth_jwt_assertion(a, 1700000000, &err) == NULL);
    CHECK(strstr(err.msg, "is not RSA") != NULL);
    sf_auth_free(a);

    /* A public key is not a private key. */
    a = new_auth(SF_AUTH_GRANT_JWT_BEARER, pub);
    CHECK(sf_auth_jwt_assertion(a, 1700000000, &err) == NULL);
    CHECK(strstr(err.msg, "cannot read a PEM private key") != NULL);
    sf_auth_free(a);
    unlink(priv);
    unlink(pub);
}

TEST_MAIN(TEST_ENTRY(pkce_rfc7636_example),
          TEST_ENTRY(pkce_verifier_is_random_and_valid),
          TEST_ENTRY(pkce_rejects_bad_verifier), TEST_ENTRY(state_is_random),
          TEST_ENTRY(b64url_vectors), TEST_ENTRY(identity_url_parsing),
          TEST_ENTRY(authorize_url_has_every_parameter),
          TEST_ENTRY(config_checks),
          TEST_ENTRY(renew_without_grant_needs_reauth),
          TEST_ENTRY(restore_rejects_plain_http_instance),
          TEST_ENTRY(jwt_assertion_signed_rs256),
          TEST_ENTRY(jwt_rejects_missing_and_ec_keys))
