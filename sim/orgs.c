/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The orgs of one sfsim process and how a request finds its org. As on
 * Salesforce, the credentials decide: an access token starts with its
 * org's id, a connected app (client id) belongs to one org, and a record id
 * carries its org's pod. Control endpoints under /sim/ name the org
 * explicitly.
 */
#include "base/common.h"

#include <errno.h>
#include <strings.h>

#include "oauth.h"
#include "sim.h"

#define ORG_ARG "org"
#define ORG_HEADER "X-Sfsim-Org"

void sim_orgs_add(struct sim_orgs *orgs, struct sim_org *org)
{
    if (orgs->count == 0) {
        hmap_init(&orgs->by_pod, false);
        hmap_init(&orgs->by_client_id, false);
    }
    orgs->orgs = xrealloc(orgs->orgs, (orgs->count + 1) * sizeof(*orgs->orgs));
    orgs->orgs[orgs->count++] = org;
    hmap_put(&orgs->by_pod, org->pod, org);
    hmap_put(&orgs->by_client_id, org->cfg.client_id, org);
}

void sim_orgs_release(struct sim_orgs *orgs)
{
    /* The other orgs borrow org 1's schema, so it goes last. */
    for (size_t i = orgs->count; i > 0; i--)
        sim_org_free(orgs->orgs[i - 1]);
    free(orgs->orgs);
    if (orgs->count > 0) {
        hmap_release(&orgs->by_pod);
        hmap_release(&orgs->by_client_id);
    }
    memset(orgs, 0, sizeof(*orgs));
}

/* The org whose ids carry the pod characters 4 to 6 of id, or NULL. */
static struct sim_org *org_by_pod(const struct sim_orgs *orgs, const char *id)
{
    char pod[4];

    if (strnlen(id, 6) < 6)
        return NULL;
    memcpy(pod, id + 3, 3);
    pod[3] = '\0';
    return hmap_get(&orgs->by_pod, pod);
}

struct sim_org *sim_orgs_by_id(const struct sim_orgs *orgs, const char *id)
{
    struct sim_org *org;
    char id18[19];

    if (sim_id_to18(id, id18) < 0)
        return NULL;
    org = org_by_pod(orgs, id18);
    return org && strcmp(org->org_id, id18) == 0 ? org : NULL;
}

/* The org of an access token: the org id before its '!'. */
static struct sim_org *org_of_access_token(const struct sim_orgs *orgs,
                                           const char *token)
{
    char id15[16];

    if (!token || strnlen(token, 16) < 16 || token[15] != '!')
        return NULL;
    memcpy(id15, token, 15);
    id15[15] = '\0';
    return sim_orgs_by_id(orgs, id15);
}

/* The bearer token of an API, userinfo or identity request, as
 * sim_oauth_authenticate reads it, or NULL. */
static const char *bearer_token(const struct http_req *req)
{
    const char *auth = http_req_header(req, "Authorization");
    size_t skip = 0;

    if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
        skip = 7;
    else if (auth && strncasecmp(auth, "OAuth ", 6) == 0)
        skip = 6;
    if (!skip)
        return http_req_query(req, "oauth_token");
    auth += skip;
    while (*auth == ' ')
        auth++;
    return auth;
}

/* A parameter of the form body, else of the query string; the caller
 * frees it. */
static char *form_or_query(const struct http_req *req, const char *name)
{
    char *value = http_req_form(req, name);
    const char *query;

    if (value && *value)
        return value;
    free(value);
    query = http_req_query(req, name);
    return query && *query ? xstrdup(query) : NULL;
}

/* The client id of a token request: the client_id parameter, the user of
 * an Authorization: Basic header, or the iss claim of a JWT assertion. */
static char *token_client_id(const struct http_req *req)
{
    char *id = form_or_query(req, "client_id");
    char *basic_id = NULL, *basic_secret = NULL;
    char *assertion;
    struct sim_jwt jwt;
    struct err err;

    if (id)
        return id;
    if (sim_oauth_parse_basic(http_req_header(req, "Authorization"),
                              &basic_id, &basic_secret) == 0) {
        free_secret(basic_secret);
        return basic_id;
    }
    assertion = form_or_query(req, "assertion");
    if (assertion && sim_jwt_parse(&jwt, assertion, &err) == 0) {
        const char *iss =
            json_string_value(json_object_get(jwt.claims, "iss"));

        id = iss ? xstrdup(iss) : NULL;
        sim_jwt_release(&jwt);
    }
    free_secret(assertion);
    return id;
}

static struct sim_org *org_of_client(const struct sim_orgs *orgs, char *id)
{
    struct sim_org *org = id ? hmap_get(&orgs->by_client_id, id) : NULL;

    free(id);
    return org;
}

/* The org that issued the token of a revoke request. A refresh token
 * does not name its org, so each org's table is searched in turn under
 * its lock. */
static struct sim_org *org_of_revoked_token(const struct sim_orgs *orgs,
                                            const struct http_req *req)
{
    char *token = form_or_query(req, "token");
    struct sim_org *found = org_of_access_token(orgs, token);

    for (size_t i = 0; token && !found && i < orgs->count; i++) {
        struct sim_org *org = orgs->orgs[i];

        pthread_mutex_lock(&org->lock);
        if (hmap_get(&org->tokens, token))
            found = org;
        pthread_mutex_unlock(&org->lock);
    }
    free_secret(token);
    return found;
}

/* The org of a record page /lightning/r/{object}/{id}/view, from the
 * pod of its id; rest is the path after "/lightning/r/". */
static struct sim_org *org_of_record_page(const struct sim_orgs *orgs,
                                          const char *rest)
{
    const char *id = strchr(rest, '/');

    return id ? org_by_pod(orgs, id + 1) : NULL;
}

/* The org a /sim/ request names, NULL with why filled when it names none
 * of this process. */
static struct sim_org *org_of_control(const struct sim_orgs *orgs,
                                      const struct http_req *req, char *why,
                                      size_t why_size)
{
    const char *value = http_req_query(req, ORG_ARG);
    struct sim_org *org = NULL;
    char *end;
    unsigned long long n;

    if (!value)
        value = http_req_header(req, ORG_HEADER);
    if (!value)
        return orgs->orgs[0];
    if (value[strspn(value, "0123456789")] == '\0') {
        errno = 0;
        n = strtoull(value, &end, 10);
        if (!errno && !*end && n >= 1 && n <= orgs->count)
            org = orgs->orgs[n - 1];
    } else {
        org = sim_orgs_by_id(orgs, value);
    }
    if (!org)
        snprintf(why, why_size,
                 "org '%.40s' is not served here: give a number from 1 to "
                 "%zu or an org id",
                 value, orgs->count);
    return org;
}

struct sim_org *sim_orgs_for_request(struct sim_orgs *orgs,
                                     const struct http_req *req,
                                     char *why, size_t why_size)
{
    const char *path = req->path;
    struct sim_org *org = NULL;

    if (strncmp(path, "/sim/", 5) == 0)
        return org_of_control(orgs, req, why, why_size);
    if (orgs->count == 1)
        return orgs->orgs[0];
    if (strcasecmp(path, "/services/oauth2/token") == 0 ||
        strcasecmp(path, "/services/oauth2/authorize") == 0)
        org = org_of_client(orgs, token_client_id(req));
    else if (strcasecmp(path, "/services/oauth2/revoke") == 0)
        org = org_of_revoked_token(orgs, req);
    else if (strncasecmp(path, "/lightning/r/", 13) == 0)
        org = org_of_record_page(orgs, path + 13);
    else
        org = org_of_access_token(orgs, bearer_token(req));
    /* A request that names no org of this process is org 1's, which
     * rejects its credentials as it always did. */
    return org ? org : orgs->orgs[0];
}
