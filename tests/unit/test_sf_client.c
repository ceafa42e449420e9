/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Integration tests of the OAuth grants, token renewal and transport
 * rules against the real sfsim on 127.0.0.1, plus one canned-server test
 * for a token that is rejected right after a refresh.
 */
#include "base/common.h"

#include "base/buf.h"
#include "salesforce/sf_client.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "simproc.h"
#include "test.h"

#define CLIENT_ID "sfsim-client-id"
#define CLIENT_SECRET "sfsim-client-secret"

/* What the callbacks of one client saw. */
struct seen {
    int tokens; /* token callbacks */
    int sleeps; /* retry sleeps */
    long slept_ms;
};

struct client_opts {
    enum sf_auth_grant grant;
    const char *username;
    const char *password;
    const char *key_file;
    const char *api_version;
    int attempts;
};

static void count_token(const struct sf_token *token, void *payload)
{
    struct seen *seen = payload;

    (void)token;
    seen->tokens++;
}

static void count_sleep(long ms, void *payload)
{
    struct seen *seen = payload;

    seen->sleeps++;
    seen->slept_ms += ms;
}

static struct sf_client *make_client(const char *login_url,
                                     const struct client_opts *o,
                                     struct seen *seen)
{
    struct sf_auth_config acfg = {
        .login_url = login_url,
        .client_id = CLIENT_ID,
        .client_secret = CLIENT_SECRET,
        .grant = o->grant,
        .username = o->username,
        .password = o->password,
        .private_key_file = o->key_file,
        .redirect_uri = "http://127.0.0.1:9/callback",
    };
    struct sf_client_config ccfg = {
        .http = {.max_attempts = o->attempts ? o->attempts : 3,
                 .timeout_ms = 10000},
        .api_version = o->api_version,
    };
    struct sf_client *c;
    struct sf_auth *a;
    struct err err;

    memset(seen, 0, sizeof(*seen));
    a = sf_auth_new(&acfg, &err);
    if (!a) {
        fprintf(stderr, "sf_auth_new: %s\n", err.msg);
        return NULL;
    }
    sf_auth_set_callback(a, count_token, seen);
    c = sf_client_new(&ccfg, a, &err);
    if (!c) {
        fprintf(stderr, "sf_client_new: %s\n", err.msg);
        return NULL;
    }
    sf_http_set_sleep(sf_client_http(c), count_sleep, seen);
    return c;
}

static struct sf_client *cc_client(const struct simproc *sp, struct seen *seen)
{
    struct client_opts o = {.grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS};

    return make_client(sp->url, &o, seen);
}

static int get_limits(struct sf_client *c, struct err *err)
{
    struct sf_client_request req = {.method = "GET", .path = "/limits"};
    json_t *doc = NULL;
    long status = 0;
    int rc = sf_client_send(c, &req, &status, &doc, err);

    if (rc == 0 && (status != 200 || !json_is_object(doc)))
        rc =
            err_set(err, SYNC_EINVALID, "unexpected /limits reply %ld", status);
    json_decref(doc);
    return rc;
}

static uint64_t requests_of(struct sf_client *c)
{
    struct sf_http_stats stats;

    sf_http_get_stats(sf_client_http(c), &stats);
    return stats.requests;
}

TEST(client_credentials_connects)
{
    struct simproc sp;
    struct sf_client *c;
    struct sf_userinfo info;
    struct sf_http_stats stats;
    struct sim_http_reply versions;
    const struct sf_token *t;
    char url[128], highest[16] = "";
    json_t *list;
    struct seen seen;
    struct err err;

    if (simproc_start(&sp, NULL) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = cc_client(&sp, &seen);
    CHECK_INT(sf_client_connect(c, &err), 0);
    t = sf_auth_token(sf_client_auth(c));
    CHECK_STR(t->instance_url, sp.url);
    CHECK(strncmp(t->org_id, "00D", 3) == 0);
    CHECK(strncmp(t->user_id, "005", 3) == 0);
    CHECK(t->refresh_token == NULL);
    CHECK(t->issued_at_ms > 0);
    CHECK_INT(seen.tokens, 1);

    snprintf(url, sizeof(url), "%s/services/data", sp.url);
    CHECK_INT(sim_http("GET", url, NULL, NULL, &versions), 0);
    list = json_loads(versions.body, 0, NULL);
    CHECK_INT(sf_client_pick_version(list, highest, NULL), 0);
    json_decref(list);
    CHECK_STR(sf_client_api_version(c), highest);

    CHECK_INT(get_limits(c, &err), 0);
    sf_http_get_stats(sf_client_http(c), &stats);
    CHECK_INT(stats.api_calls, 1);
    CHECK(stats.api_used >= 1);
    CHECK_INT(stats.api_max, 100000);

    CHECK_INT(
        sf_auth_userinfo(sf_client_auth(c), sf_client_http(c), &info, &err), 0);
    CHECK_STR(info.username, "integration@sfsim.local");
    CHECK_STR(info.user_id, t->user_id);
    CHECK_STR(info.org_id, t->org_id);
    sf_auth_userinfo_release(&info);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(configured_version_skips_discovery)
{
    struct client_opts o = {.grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS,
                            .api_version = "58.0"};
    struct simproc sp;
    struct sf_client *c;
    struct seen seen;
    struct err err;
    char *url;

    if (simproc_start(&sp, NULL) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = make_client(sp.url, &o, &seen);
    CHECK_INT(get_limits(c, &err), 0);
    CHECK_STR(sf_client_api_version(c), "58.0");
    CHECK_INT(requests_of(c), 2); /* the token and /limits */
    url = sf_client_url(c, "/limits");
    CHECK(strstr(url, "/services/data/v58.0/limits") != NULL);
    free(url);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(bad_configured_version_rejected)
{
    struct sf_auth_config acfg = {.login_url = "https://login.salesforce.com",
                                  .client_id = "c"};
    struct sf_client_config ccfg = {.api_version = "v60"};
    struct err err;

    CHECK(sf_client_new(&ccfg, sf_auth_new(&acfg, NULL), &err) == NULL);
    CHECK(strstr(err.msg, "invalid API version 'v60'") != NULL);
}

TEST(password_and_refresh_grants)
{
    static const char *const args[] = {"--user", "alice@example.com:pw-1",
                                       NULL};
    struct client_opts o = {.grant = SF_AUTH_GRANT_PASSWORD,
                            .username = "alice@example.com",
                            .password = "pw-1"};
    struct simproc sp;
    struct sf_client *c;
    struct sf_userinfo info;
    char *first_access, *first_refresh;
    const struct sf_token *t;
    struct seen seen;
    struct err err;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = make_client(sp.url, &o, &seen);
    CHECK_INT(sf_client_connect(c, &err), 0);
    t = sf_auth_token(sf_client_auth(c));
    CHECK(t->refresh_token != NULL);
    first_access = xstrdup(t->access_token);
    first_refresh = xstrdup(t->refresh_token);
    CHECK_INT(
        sf_auth_userinfo(sf_client_auth(c), sf_client_http(c), &info, &err), 0);
    CHECK_STR(info.username, "alice@example.com");
    sf_auth_userinfo_release(&info);

    CHECK_INT(sf_auth_refresh(sf_client_auth(c), sf_client_http(c), &err), 0);
    t = sf_auth_token(sf_client_auth(c));
    CHECK(strcmp(t->access_token, first_access) != 0);
    CHECK_STR(t->refresh_token, first_refresh);
    CHECK_INT(seen.tokens, 2);
    CHECK_INT(get_limits(c, &err), 0);
    free(first_access);
    free(first_refresh);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(rotated_refresh_token_replaces_old)
{
    static const char *const args[] = {"--user", "alice@example.com:pw-1",
                                       "--rotate-refresh-tokens", NULL};
    struct client_opts o = {.grant = SF_AUTH_GRANT_PASSWORD,
                            .username = "alice@example.com",
                            .password = "pw-1"};
    struct simproc sp;
    struct sf_client *c;
    struct sf_token old = {0};
    struct seen seen;
    struct err err;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = make_client(sp.url, &o, &seen);
    CHECK_INT(sf_client_connect(c, &err), 0);
    old.refresh_token =
        xstrdup(sf_auth_token(sf_client_auth(c))->refresh_token);
    old.instance_url = sp.url;
    CHECK_INT(sf_auth_refresh(sf_client_auth(c), sf_client_http(c), &err), 0);
    CHECK(strcmp(sf_auth_token(sf_client_auth(c))->refresh_token,
                 old.refresh_token) != 0);

    /* The rotated-out token is dead: using it needs a new login. */
    CHECK_INT(sf_auth_restore(sf_client_auth(c), &old, &err), 0);
    CHECK_INT(sf_auth_refresh(sf_client_auth(c), sf_client_http(c), &err),
              SYNC_EAUTH);
    CHECK_STR(err.sf_code, "invalid_grant");
    CHECK(sf_auth_needs_reauth(sf_client_auth(c)));
    free(old.refresh_token);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(wrong_password_rejected_once)
{
    static const char *const args[] = {"--user", "alice@example.com:pw-1",
                                       NULL};
    struct client_opts o = {.grant = SF_AUTH_GRANT_PASSWORD,
                            .username = "alice@example.com",
                            .password = "wrong"};
    struct simproc sp;
    struct sf_client *c;
    struct seen seen;
    struct err err;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = make_client(sp.url, &o, &seen);
    CHECK_INT(sf_client_connect(c, &err), SYNC_EAUTH);
    CHECK_STR(err.sf_code, "invalid_grant");
    CHECK_INT(err.http_status, 400);
    CHECK(strstr(err.msg, "invalid_grant: authentication failure") != NULL);
    CHECK(strstr(err.msg, "wrong") == NULL);
    CHECK(sf_auth_needs_reauth(sf_client_auth(c)));
    CHECK_INT(requests_of(c), 1);
    CHECK_INT(get_limits(c, &err), SYNC_EAUTH);
    CHECK(strstr(err.msg, "needs re-authorisation") != NULL);
    CHECK_INT(requests_of(c), 1);
    CHECK_INT(seen.tokens, 0);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(expired_token_renewed_by_grant)
{
    static const char *const args[] = {"--fault", "expire-after=2", NULL};
    struct simproc sp;
    struct sf_client *c;
    struct seen seen;
    struct err err;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = cc_client(&sp, &seen);
    for (int i = 0; i < 5; i++) {
        int rc = get_limits(c, &err);

        if (rc < 0)
            fprintf(stderr, "call %d: %s\n", i + 1, err.msg);
        CHECK_INT(rc, 0);
    }
    /* Tokens serve calls 1-2, 3-4 and 5; calls 3 and 5 first get 401. */
    CHECK_INT(seen.tokens, 3);
    CHECK_INT(requests_of(c), 3 + 1 + 5 + 2);
    CHECK(!sf_auth_needs_reauth(sf_client_auth(c)));
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(expired_token_refreshed_and_replayed)
{
    static const char *const args[] = {"--user", "alice@example.com:pw-1",
                                       "--token-lifetime", "1", NULL};
    struct client_opts o = {.grant = SF_AUTH_GRANT_PASSWORD,
                            .username = "alice@example.com",
                            .password = "pw-1"};
    struct simproc sp;
    struct sf_client *c;
    struct seen seen;
    struct err err;
    uint64_t before;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = make_client(sp.url, &o, &seen);
    CHECK_INT(get_limits(c, &err), 0);
    simproc_sleep_ms(1300);
    before = requests_of(c);
    CHECK_INT(get_limits(c, &err), 0);
    /* The 401, the refresh and the replay. */
    CHECK_INT(requests_of(c) - before, 3);
    CHECK_INT(seen.tokens, 2);
    CHECK(sf_auth_token(sf_client_auth(c))->refresh_token != NULL);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(dead_refresh_token_fails_fast)
{
    static const char *const args[] = {
        "--user",  "alice@example.com:pw-1", "--fault", "refresh-revoked=1",
        "--fault", "expire-after=1",         NULL};
    struct client_opts o = {.grant = SF_AUTH_GRANT_PASSWORD,
                            .username = "alice@example.com",
                            .password = "pw-1"};
    struct simproc sp;
    struct sf_client *c;
    struct seen seen;
    struct err err;
    uint64_t before;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = make_client(sp.url, &o, &seen);
    CHECK_INT(get_limits(c, &err), 0);
    before = requests_of(c);
    CHECK_INT(get_limits(c, &err), SYNC_EAUTH);
    /* The rejected call and exactly one token request. */
    CHECK_INT(requests_of(c) - before, 2);
    CHECK_STR(err.sf_code, "invalid_grant");
    CHECK(strstr(err.msg, "invalid_grant: expired access/refresh token") !=
          NULL);
    CHECK(sf_auth_needs_reauth(sf_client_auth(c)));

    before = requests_of(c);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(get_limits(c, &err), SYNC_EAUTH);
        CHECK(strstr(err.msg, "needs re-authorisation") != NULL);
    }
    CHECK_INT(requests_of(c) - before, 0);
    CHECK_INT(seen.tokens, 1);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

/* Run calls GETs with unavailable=0.5 from fault seed 42; return the
 * number of retries, or -1 when a call failed. */
static long retries_with_seed(const struct simproc *sp, int calls)
{
    struct client_opts o = {.grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS,
                            .attempts = 12};
    struct sf_http_stats stats;
    struct sf_client *c;
    struct seen seen;
    struct err err;
    long failures = 0;

    c = make_client(sp->url, &o, &seen);
    if (sf_client_connect(c, &err) < 0 ||
        simproc_set_faults(sp, "{\"seed\": 42}") < 0) {
        sf_client_free(c);
        return -1;
    }
    for (int i = 0; i < calls; i++)
        if (get_limits(c, &err) < 0) {
            fprintf(stderr, "call %d: %s\n", i + 1, err.msg);
            failures++;
        }
    sf_http_get_stats(sf_client_http(c), &stats);
    sf_client_free(c);
    if (failures || (long)stats.retries != seen.sleeps)
        return -1;
    return (long)stats.retries;
}

TEST(unavailable_retried_deterministically)
{
    static const char *const args[] = {"--fault", "unavailable=0.5", NULL};
    struct simproc sp;
    long first, second;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    first = retries_with_seed(&sp, 20);
    second = retries_with_seed(&sp, 20);
    fprintf(stderr, "unavailable=0.5, 20 calls: %ld retries\n", first);
    CHECK(first > 0);
    CHECK_INT(second, first);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(api_limit_stops_cleanly)
{
    static const char *const args[] = {"--api-limit", "5", NULL};
    struct simproc sp;
    struct sf_client *c;
    struct sf_http_stats stats;
    struct seen seen;
    struct err err;
    uint64_t before;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = cc_client(&sp, &seen);
    for (int i = 0; i < 5; i++)
        CHECK_INT(get_limits(c, &err), 0);
    before = requests_of(c);
    CHECK_INT(get_limits(c, &err), SYNC_ERATELIMIT);
    CHECK_INT(requests_of(c) - before, 1);
    CHECK_INT(seen.sleeps, 0);
    CHECK_INT(err.http_status, 403);
    CHECK_STR(err.sf_code, "REQUEST_LIMIT_EXCEEDED");
    CHECK(strstr(err.msg, "limit exceeded (api-usage=5/5)") != NULL);
    sf_http_get_stats(sf_client_http(c), &stats);
    CHECK_INT(stats.api_used, 5);
    CHECK_INT(stats.api_max, 5);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(refused_connection_one_error)
{
    struct client_opts o = {.grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS};
    struct sf_client *c;
    struct seen seen;
    struct err err;
    char url[64];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d", simproc_closed_port());
    c = make_client(url, &o, &seen);
    CHECK_INT(sf_client_connect(c, &err), SYNC_ETRANSIENT);
    CHECK(strstr(err.msg, "gave up after 3 attempts: cannot connect for "
                          "POST http://127.0.0.1:") != NULL);
    CHECK(strstr(err.msg, "/services/oauth2/token") != NULL);
    CHECK_INT(requests_of(c), 3);
    CHECK_INT(seen.sleeps, 2);
    CHECK(!sf_auth_needs_reauth(sf_client_auth(c)));
    sf_client_free(c);
}

TEST(wrong_url_one_error)
{
    struct client_opts o = {.grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS};
    struct simproc sp;
    struct sf_client *c;
    struct seen seen;
    struct err err;
    char url[96];

    if (simproc_start(&sp, NULL) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    snprintf(url, sizeof(url), "%s/wrong", sp.url);
    c = make_client(url, &o, &seen);
    CHECK_INT(sf_client_connect(c, &err), SYNC_ENOTFOUND);
    CHECK(strstr(err.msg, "/wrong/services/oauth2/token failed with http "
                          "404") != NULL);
    CHECK_INT(requests_of(c), 1);
    sf_client_free(c);

    /* A version the server does not have. */
    o.api_version = "20.0";
    c = make_client(sp.url, &o, &seen);
    CHECK_INT(get_limits(c, &err), SYNC_ENOTFOUND);
    CHECK(strstr(err.msg, "/services/data/v20.0/limits failed with http 404 "
                          "NOT_FOUND") != NULL);
    CHECK_INT(requests_of(c), 2);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

/* Write a new RSA key pair to temporary PEM files. */
static int make_rsa_keys(char priv[64], char pub[64])
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    FILE *f;
    int fd;

    snprintf(priv, 64, "/tmp/sf-client-key-XXXXXX");
    snprintf(pub, 64, "/tmp/sf-client-pub-XXXXXX");
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

TEST(jwt_bearer_grant)
{
    char priv[64], pub[64], other_priv[64], other_pub[64];
    struct client_opts o = {.grant = SF_AUTH_GRANT_JWT_BEARER,
                            .username = "jane@example.com"};
    const char *args[] = {"--user", "jane@example.com:pw-j", "--jwt-public-key",
                          pub, NULL};
    struct simproc sp;
    struct sf_client *c;
    struct sf_userinfo info;
    struct seen seen;
    struct err err;

    CHECK_INT(make_rsa_keys(priv, pub), 0);
    CHECK_INT(make_rsa_keys(other_priv, other_pub), 0);
    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    o.key_file = priv;
    c = make_client(sp.url, &o, &seen);
    CHECK_INT(sf_client_connect(c, &err), 0);
    CHECK(sf_auth_token(sf_client_auth(c))->refresh_token == NULL);
    CHECK_INT(
        sf_auth_userinfo(sf_client_auth(c), sf_client_http(c), &info, &err), 0);
    CHECK_STR(info.username, "jane@example.com");
    CHECK_STR(info.user_id, sf_auth_token(sf_client_auth(c))->user_id);
    sf_auth_userinfo_release(&info);
    sf_client_free(c);

    /* A key that does not match the uploaded certificate. */
    o.key_file = other_priv;
    c = make_client(sp.url, &o, &seen);
    CHECK_INT(sf_client_connect(c, &err), SYNC_EAUTH);
    CHECK_STR(err.sf_code, "invalid_grant");
    CHECK(strstr(err.msg, "invalid assertion") != NULL);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
    unlink(priv);
    unlink(pub);
    unlink(other_priv);
    unlink(other_pub);
}

/* Copy the percent-decoded value of name from the query of url. */
static int query_param(const char *url, const char *name, char *out,
                       size_t size)
{
    const char *p = strchr(url, '?');
    size_t nlen = strlen(name), n = 0;

    while (p && *p) {
        p++;
        if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            for (p += nlen + 1; *p && *p != '&' && n + 1 < size; p++) {
                unsigned int c;

                if (*p == '%' && sscanf(p + 1, "%2x", &c) == 1) {
                    out[n++] = (char)c;
                    p += 2;
                } else {
                    out[n++] = *p == '+' ? ' ' : *p;
                }
            }
            out[n] = '\0';
            return 0;
        }
        p = strchr(p, '&');
    }
    return -1;
}

/* Log in through sfsim's authorize form as a browser would; fill code. */
static int authorize(const struct simproc *sp, struct sf_auth *a,
                     const char *challenge, const char *state, char *code,
                     size_t size)
{
    struct sim_http_reply page;
    char *url = sf_auth_authorize_url(a, challenge, state);
    char *form, got_state[64];
    int rc = -1;

    if (sim_http("GET", url, NULL, NULL, &page) < 0 || page.status != 200 ||
        !strstr(page.body, "<form")) {
        free(url);
        return -1;
    }
    form = xasprintf("%s&username=bob%%40example.com&password=pw-b"
                     "&approve=1",
                     strchr(url, '?') + 1);
    free(url);
    url = xasprintf("%s/services/oauth2/authorize", sp->url);
    if (sim_http("POST", url, "application/x-www-form-urlencoded", form,
                 &page) == 0 &&
        page.status == 302 &&
        query_param(page.location, "code", code, size) == 0 &&
        query_param(page.location, "state", got_state, sizeof(got_state)) ==
            0 &&
        strcmp(got_state, state) == 0)
        rc = 0;
    else
        fprintf(stderr, "authorize: status %ld location '%s'\n", page.status,
                page.location);
    free(form);
    free(url);
    return rc;
}

TEST(authorization_code_with_pkce)
{
    static const char *const args[] = {"--user", "bob@example.com:pw-b", NULL};
    struct client_opts o = {.grant = SF_AUTH_GRANT_AUTHORIZATION_CODE};
    char verifier[SF_AUTH_VERIFIER_LEN + 1], other[SF_AUTH_VERIFIER_LEN + 1];
    char challenge[SF_AUTH_CHALLENGE_LEN + 1], state[SF_AUTH_STATE_LEN + 1];
    char code[256];
    struct simproc sp;
    struct sf_client *c;
    struct sf_userinfo info;
    struct seen seen;
    struct err err;
    struct sf_auth *a;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = make_client(sp.url, &o, &seen);
    a = sf_client_auth(c);
    sf_auth_pkce_verifier(verifier);
    sf_auth_pkce_challenge(verifier, challenge, NULL);
    sf_auth_make_state(state);
    CHECK_INT(authorize(&sp, a, challenge, state, code, sizeof(code)), 0);
    CHECK_INT(sf_auth_exchange_code(a, sf_client_http(c), code, verifier, &err),
              0);
    CHECK(sf_auth_token(a)->refresh_token != NULL);
    CHECK_INT(sf_auth_userinfo(a, sf_client_http(c), &info, &err), 0);
    CHECK_STR(info.username, "bob@example.com");
    sf_auth_userinfo_release(&info);
    CHECK_INT(get_limits(c, &err), 0);

    /* A code works once. */
    CHECK_INT(sf_auth_exchange_code(a, sf_client_http(c), code, verifier, &err),
              SYNC_EAUTH);
    CHECK_STR(err.sf_code, "invalid_grant");

    /* A verifier that does not match the challenge. */
    CHECK_INT(authorize(&sp, a, challenge, state, code, sizeof(code)), 0);
    sf_auth_pkce_verifier(other);
    CHECK_INT(sf_auth_exchange_code(a, sf_client_http(c), code, other, &err),
              SYNC_EAUTH);
    CHECK_STR(err.sf_code, "invalid_request");
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

/* Read the whole file at path into a new string; NULL when unreadable. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    struct buf b;
    char chunk[4096];
    size_t n;

    if (!f)
        return NULL;
    buf_init(&b, 0);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return buf_detach(&b);
}

TEST(debug_log_has_no_secrets)
{
    static const char *const args[] = {"--user", "alice@example.com:pw-1",
                                       "--fault", "expire-after=1", NULL};
    struct client_opts o = {.grant = SF_AUTH_GRANT_PASSWORD,
                            .username = "alice@example.com",
                            .password = "pw-1"};
    char path[] = "/tmp/sf-client-log-XXXXXX";
    struct simproc sp;
    struct sf_client *c;
    struct seen seen;
    struct err err;
    char *access = NULL, *refresh = NULL, *log = NULL;
    int fd, saved;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    fd = mkstemp(path);
    CHECK(fd >= 0);
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    log_set_level(LOG_DEBUG);

    /* A login, a call, a 401 with a refresh and a replay, all logged. */
    c = make_client(sp.url, &o, &seen);
    CHECK_INT(get_limits(c, &err), 0);
    CHECK_INT(get_limits(c, &err), 0);
    access = xstrdup(sf_auth_token(sf_client_auth(c))->access_token);
    refresh = xstrdup(sf_auth_token(sf_client_auth(c))->refresh_token);
    sf_client_free(c);

    log_set_level(LOG_INFO);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    log = read_text(path);
    CHECK(log != NULL);
    if (log) {
        CHECK(strstr(log, "response body") != NULL);
        CHECK(strstr(log, "/services/data/v") != NULL);
        CHECK(strstr(log, "session rejected, renewing the token") != NULL);
        CHECK(strstr(log, access) == NULL);
        CHECK(strstr(log, refresh) == NULL);
        CHECK(strstr(log, CLIENT_SECRET) == NULL);
        CHECK(strstr(log, "pw-1") == NULL);
        CHECK(strcasestr(log, "Authorization") == NULL);
        CHECK(strstr(log, "access_token") == NULL);
    }
    free(log);
    free_secret(access);
    free_secret(refresh);
    unlink(path);
    CHECK_INT(simproc_stop(&sp), 0);
}

/* Format a JSON reply with its Content-Length into out. */
static void json_reply(char *out, size_t size, const char *status,
                       const char *body)
{
    snprintf(out, size,
             "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             status, strlen(body), body);
}

TEST(token_rejected_after_refresh_needs_reauth)
{
    static char token_reply[1024], rejected_reply[512];
    static const struct canned_step steps[] = {
        {CANNED_REPLY, token_reply},
        {CANNED_REPLY, rejected_reply},
        {CANNED_REPLY, token_reply},
        {CANNED_REPLY, rejected_reply},
    };
    struct client_opts o = {.grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS,
                            .api_version = "60.0"};
    struct canned_server cs;
    struct sf_client *c;
    struct seen seen;
    struct err err;
    char body[512];

    /* The token response names the canned server as the instance. */
    CHECK_INT(canned_bind(&cs), 0);
    snprintf(body, sizeof(body),
             "{\"access_token\":\"00Dx0000000BV7z!tok\","
             "\"instance_url\":\"%s\","
             "\"id\":\"%s/id/00Dx0000000BV7zEAG/005x00000012Q9PAAU\","
             "\"issued_at\":\"1700000000000\",\"token_type\":\"Bearer\"}",
             cs.url, cs.url);
    json_reply(token_reply, sizeof(token_reply), "200 OK", body);
    json_reply(rejected_reply, sizeof(rejected_reply), "401 Unauthorized",
               "[{\"message\":\"Session expired or invalid\","
               "\"errorCode\":\"INVALID_SESSION_ID\"}]");
    CHECK_INT(canned_run(&cs, steps, ARRAY_SIZE(steps)), 0);

    c = make_client(cs.url, &o, &seen);
    CHECK_INT(get_limits(c, &err), SYNC_EAUTH);
    CHECK_INT(err.http_status, 401);
    CHECK(strstr(err.msg, "new access token rejected as well") != NULL);
    CHECK(sf_auth_needs_reauth(sf_client_auth(c)));
    CHECK_INT(seen.tokens, 2);
    CHECK_INT(get_limits(c, &err), SYNC_EAUTH);
    CHECK_INT(requests_of(c), 4);
    sf_client_free(c);
    canned_stop(&cs);
    CHECK_INT(cs.requests, 4);
}

TEST_MAIN(TEST_ENTRY(client_credentials_connects),
          TEST_ENTRY(configured_version_skips_discovery),
          TEST_ENTRY(bad_configured_version_rejected),
          TEST_ENTRY(password_and_refresh_grants),
          TEST_ENTRY(rotated_refresh_token_replaces_old),
          TEST_ENTRY(wrong_password_rejected_once),
          TEST_ENTRY(expired_token_renewed_by_grant),
          TEST_ENTRY(expired_token_refreshed_and_replayed),
          TEST_ENTRY(dead_refresh_token_fails_fast),
          TEST_ENTRY(unavailable_retried_deterministically),
          TEST_ENTRY(api_limit_stops_cleanly),
          TEST_ENTRY(refused_connection_one_error),
          TEST_ENTRY(wrong_url_one_error), TEST_ENTRY(jwt_bearer_grant),
          TEST_ENTRY(authorization_code_with_pkce),
          TEST_ENTRY(token_rejected_after_refresh_needs_reauth),
          TEST_ENTRY(debug_log_has_no_secrets))
