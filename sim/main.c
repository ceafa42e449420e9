/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sfsim: serves one or more simulated Salesforce orgs over HTTP until
 * SIGTERM or SIGINT. This file only reads the command line and wires the
 * modules.
 */
#include "base/common.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <strings.h>

#include "oauth.h"
#include "sim.h"

#define DEFAULT_LISTEN "127.0.0.1:7777"
#define DEFAULT_MAX_BODY (8 * 1024 * 1024)

/* libmicrohttpd's memory per connection, which must fit the request line
 * and headers. It leaves room for URIs and headers well past the 16 KiB
 * that sfsim accepts, so that sfsim rather than libmicrohttpd replies to
 * them. */
#define CONNECTION_MEMORY (256 * 1024)

struct options {
    char *listen;
    char **users;
    size_t nusers, users_cap;
    char **custom_fields;
    size_t ncustom, custom_cap;
    char **faults;
    size_t nfaults, faults_cap;
    const char *data_plan;
    const char *generate;
    const char *state;
    const char *jwt_key_file;
    uint64_t seed;
    unsigned orgs;
};

static void usage(FILE *out)
{
    fputs(
        "usage: sfsim [options]\n"
        "Serve a simulated Salesforce org (REST API, OAuth 2.0) over HTTP.\n"
        "\n"
        "  --listen HOST:PORT        address to serve on (default "
        DEFAULT_LISTEN "; port 0 picks a free port)\n"
        "  --client-id ID            connected app consumer key "
        "(default sfsim-client-id)\n"
        "  --client-secret SECRET    connected app consumer secret "
        "(default sfsim-client-secret)\n"
        "  --user USERNAME:PASSWORD  add a user for the password and "
        "authorization code grants (repeatable)\n"
        "  --token-lifetime SECONDS  access token lifetime (default 7200)\n"
        "  --api-limit N             daily API request allowance "
        "(default 100000)\n"
        "  --rotate-refresh-tokens   issue a new refresh token on each "
        "refresh and revoke the old one\n"
        "  --jwt-public-key FILE     PEM public key or certificate that "
        "checks JWT bearer assertions\n"
        "  --custom-field SPEC       add a custom field, "
        "Object.Name__c:type[:length][:extid] (repeatable)\n"
        "  --data PLAN.json          import an sObject-tree plan "
        "(the format of 'sf data import tree')\n"
        "  --generate SPEC           generate records, "
        "contacts=N,leads=M,accounts=K\n"
        "  --seed N                  seed of --generate (default 1); org K "
        "gets N + K - 1\n"
        "  --orgs N                  serve N independent orgs (default 1); "
        "org K's client\n"
        "                            id and secret end in -K from K = 2\n"
        "  --state FILE              keep the org in this SQLite file "
        "across restarts\n"
        "  --fault NAME=VALUE        switch a fault on (repeatable): "
        "latency=MS, unavailable=RATE,\n"
        "                            lock=RATE, drop=RATE, "
        "expire-after=CALLS, refresh-revoked=1,\n"
        "                            late-commit=SECONDS, same-stamp=1, "
        "max-page-size=N, html=RATE,\n"
        "                            truncate=RATE, corrupt=RATE\n"
        "  --max-body BYTES          reject larger request bodies with 413 "
        "(default 8388608)\n"
        "  --upsert-update-status N  status of an upsert that updates, "
        "200 or 204 (default 200)\n"
        "  --log-level LEVEL         debug, info, warn, error or off "
        "(default info)\n"
        "  --help                    show this help\n",
        out);
}

static void push(char ***list, size_t *n, size_t *cap, char *value)
{
    *list = xgrow(*list, cap, *n + 1, sizeof(**list));
    (*list)[(*n)++] = value;
}

static int parse_long(const char *opt, const char *value, long long min,
                      long long max, long long *out)
{
    char *end;
    long long n;

    errno = 0;
    n = strtoll(value, &end, 10);
    if (errno || end == value || *end || n < min || n > max) {
        fprintf(stderr,
                "sfsim: invalid value '%s' for --%s: give a whole number "
                "from %lld to %lld\n",
                value, opt, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

static char *read_file(const char *path, struct err *err)
{
    FILE *f = fopen(path, "rb");
    struct buf b;
    char chunk[4096];
    size_t n;

    if (!f) {
        err_set_errno(err, SYNC_EIO, "cannot open '%s'", path);
        return NULL;
    }
    buf_init(&b, 1 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_append(&b, chunk, n) < 0)
            break;
    fclose(f);
    if (b.overflow) {
        buf_release(&b);
        err_set(err, SYNC_EINVALID, "'%s' is larger than 1 MiB", path);
        return NULL;
    }
    return buf_detach(&b);
}

/* Check a --user USERNAME:PASSWORD against its form and the users given
 * before it; print the reason and return -1 when it is invalid. */
static int check_user_arg(const struct options *opts, const char *arg)
{
    const char *colon = strchr(arg, ':');
    size_t len = colon ? (size_t)(colon - arg) : 0;

    if (!colon || len == 0) {
        fprintf(stderr,
                "sfsim: invalid --user '%s': give USERNAME:PASSWORD\n", arg);
        return -1;
    }
    for (size_t i = 0; i < opts->nusers; i++) {
        const char *other = opts->users[i];

        /* Usernames match without regard to case, as logins do. */
        if (strcspn(other, ":") == len && strncasecmp(other, arg, len) == 0) {
            fprintf(stderr,
                    "sfsim: duplicate --user '%.*s': give each username "
                    "once\n",
                    (int)len, arg);
            return -1;
        }
    }
    return 0;
}

enum {
    OPT_LISTEN = 256,
    OPT_CLIENT_ID,
    OPT_CLIENT_SECRET,
    OPT_USER,
    OPT_TOKEN_LIFETIME,
    OPT_API_LIMIT,
    OPT_ROTATE,
    OPT_JWT_KEY,
    OPT_CUSTOM_FIELD,
    OPT_DATA,
    OPT_GENERATE,
    OPT_SEED,
    OPT_STATE,
    OPT_FAULT,
    OPT_MAX_BODY,
    OPT_UPSERT_STATUS,
    OPT_LOG_LEVEL,
    OPT_ORGS,
    OPT_HELP
};

static const struct option long_options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"client-id", required_argument, NULL, OPT_CLIENT_ID},
    {"client-secret", required_argument, NULL, OPT_CLIENT_SECRET},
    {"user", required_argument, NULL, OPT_USER},
    {"token-lifetime", required_argument, NULL, OPT_TOKEN_LIFETIME},
    {"api-limit", required_argument, NULL, OPT_API_LIMIT},
    {"rotate-refresh-tokens", no_argument, NULL, OPT_ROTATE},
    {"jwt-public-key", required_argument, NULL, OPT_JWT_KEY},
    {"custom-field", required_argument, NULL, OPT_CUSTOM_FIELD},
    {"data", required_argument, NULL, OPT_DATA},
    {"generate", required_argument, NULL, OPT_GENERATE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"state", required_argument, NULL, OPT_STATE},
    {"fault", required_argument, NULL, OPT_FAULT},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"upsert-update-status", required_argument, NULL, OPT_UPSERT_STATUS},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"orgs", required_argument, NULL, OPT_ORGS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Read the command line into opts and cfg. Return 0, 1 for --help, or -1
 * after printing the reason. */
static int parse_args(int argc, char **argv, struct options *opts,
                      struct sim_config *cfg)
{
    long long n;
    int c, level;

    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_LISTEN:
            opts->listen = optarg;
            break;
        case OPT_CLIENT_ID:
        case OPT_CLIENT_SECRET:
            if (!*optarg) {
                fprintf(stderr, "sfsim: --%s must not be empty\n",
                        c == OPT_CLIENT_ID ? "client-id" : "client-secret");
                return -1;
            }
            if (c == OPT_CLIENT_ID)
                cfg->client_id = optarg;
            else
                cfg->client_secret = optarg;
            break;
        case OPT_USER:
            if (check_user_arg(opts, optarg) < 0)
                return -1;
            push(&opts->users, &opts->nusers, &opts->users_cap, optarg);
            break;
        case OPT_TOKEN_LIFETIME:
            if (parse_long("token-lifetime", optarg, 1, 86400 * 365, &n))
                return -1;
            cfg->token_lifetime_s = (int)n;
            break;
        case OPT_API_LIMIT:
            if (parse_long("api-limit", optarg, 1, INT64_MAX / 2, &n))
                return -1;
            cfg->api_limit = n;
            break;
        case OPT_ROTATE:
            cfg->rotate_refresh = true;
            break;
        case OPT_JWT_KEY:
            opts->jwt_key_file = optarg;
            break;
        case OPT_CUSTOM_FIELD:
            push(&opts->custom_fields, &opts->ncustom, &opts->custom_cap,
                 optarg);
            break;
        case OPT_DATA:
            opts->data_plan = optarg;
            break;
        case OPT_GENERATE:
            opts->generate = optarg;
            break;
        case OPT_SEED:
            if (parse_long("seed", optarg, 0, INT64_MAX, &n))
                return -1;
            opts->seed = (uint64_t)n;
            break;
        case OPT_STATE:
            opts->state = optarg;
            break;
        case OPT_FAULT:
            if (!strchr(optarg, '=')) {
                fprintf(stderr,
                        "sfsim: invalid --fault '%s': give NAME=VALUE\n",
                        optarg);
                return -1;
            }
            push(&opts->faults, &opts->nfaults, &opts->faults_cap, optarg);
            break;
        case OPT_MAX_BODY:
            if (parse_long("max-body", optarg, 1024, 1LL << 32, &n))
                return -1;
            cfg->max_body = (size_t)n;
            break;
        case OPT_UPSERT_STATUS:
            if (parse_long("upsert-update-status", optarg, 200, 204, &n) ||
                (n != 200 && n != 204)) {
                fprintf(stderr, "sfsim: --upsert-update-status takes 200 "
                                "or 204\n");
                return -1;
            }
            cfg->upsert_update_status = (int)n;
            break;
        case OPT_LOG_LEVEL:
            level = log_level_parse(optarg);
            if (level < 0) {
                fprintf(stderr,
                        "sfsim: invalid --log-level '%s': use debug, info, "
                        "warn, error or off\n",
                        optarg);
                return -1;
            }
            log_set_level((enum log_level)level);
            break;
        case OPT_ORGS:
            if (parse_long("orgs", optarg, 1, SIM_ORGS_MAX, &n))
                return -1;
            opts->orgs = (unsigned)n;
            break;
        case OPT_HELP:
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sfsim: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (opts->state && opts->orgs > 1) {
        fprintf(stderr, "sfsim: --state keeps one org, so it cannot be "
                        "combined with --orgs %u: leave out one of them\n",
                opts->orgs);
        return -1;
    }
    return 0;
}

static int split_listen(const char *listen, char **host, int *port)
{
    const char *colon = strrchr(listen, ':');
    char *end;
    long p;

    if (!colon)
        return -1;
    p = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || p < 0 || p > 65535)
        return -1;
    *host = xstrndup(listen, (size_t)(colon - listen));
    *port = (int)p;
    return 0;
}

/* Apply users, faults, state and seed data to org; the custom fields are
 * in the schema already. */
static int prepare_org(struct sim_org *org, const struct options *opts,
                       struct err *err)
{
    uint64_t seed = opts->seed + org->number - 1;

    for (size_t i = 0; i < opts->nusers; i++) {
        char *spec = xstrdup(opts->users[i]);
        char *colon = strchr(spec, ':');

        *colon = '\0';
        if (!sim_org_user_by_name(org, spec))
            sim_org_add_user(org, spec, colon + 1);
        free_secret(spec);
    }
    for (size_t i = 0; i < opts->nfaults; i++) {
        char *spec = xstrdup(opts->faults[i]);
        char *eq = strchr(spec, '=');
        int rc;

        *eq = '\0';
        rc = sim_faults_set(org, spec, eq + 1, err);
        free(spec);
        if (rc < 0)
            return -1;
    }
    if (opts->state && sim_state_open(org, opts->state, err) < 0)
        return -1;
    if (opts->state && !sim_state_was_empty(org)) {
        if (opts->data_plan || opts->generate)
            log_info("sim", "state file has data; --data and --generate "
                            "were not applied",
                     "state=%s", opts->state);
        return 0;
    }
    if (opts->data_plan && sim_seed_plan(org, opts->data_plan, err) < 0)
        return -1;
    if (opts->generate && sim_generate(org, opts->generate, seed, err) < 0)
        return -1;
    return 0;
}

/* Make the orgs of the command line in orgs, each prepared. */
static int make_orgs(struct sim_orgs *orgs, const struct sim_config *cfg,
                     const struct options *opts, struct err *err)
{
    struct sim_org *first = sim_org_new(cfg, err);

    if (!first)
        return -1;
    sim_orgs_add(orgs, first);
    /* Custom fields go into org 1's schema before the other orgs share
     * it. */
    for (size_t i = 0; i < opts->ncustom; i++)
        if (sim_schema_add_custom(first, opts->custom_fields[i], err) < 0)
            return -1;
    for (unsigned k = 2; k <= opts->orgs; k++)
        sim_orgs_add(orgs, sim_org_new_sibling(first, k));
    for (size_t i = 0; i < orgs->count; i++) {
        if (prepare_org(orgs->orgs[i], opts, err) < 0) {
            if (orgs->count > 1)
                err_prefix(err, "org %zu", i + 1);
            return -1;
        }
    }
    return 0;
}

static void build_router(struct http_router *r)
{
    http_router_init(r);
    sim_api_routes(r);
    sim_oauth_routes(r);
    sim_query_routes(r);
    sim_rest_routes(r);
    sim_composite_routes(r);
    sim_control_routes(r);
    sim_view_routes(r);
    sim_bulk_routes(r);
}

/* Lock or unlock every org, so that no request runs while the instance
 * URL is being set. */
static void lock_all(struct sim_orgs *orgs, bool lock)
{
    for (size_t i = 0; i < orgs->count; i++) {
        if (lock)
            pthread_mutex_lock(&orgs->orgs[i]->lock);
        else
            pthread_mutex_unlock(&orgs->orgs[i]->lock);
    }
}

static int serve(struct sim_orgs *orgs, const char *host, int port)
{
    struct sim_org *org = orgs->orgs[0];
    char *url;
    struct http_server_opts sopts = {0};
    struct http_router router;
    struct http_server *srv;
    char body[200];
    struct err err;
    sigset_t set;
    int sig;

    build_router(&router);
    snprintf(body, sizeof(body),
             "[{\"message\":\"The request body is larger than the %zu "
             "bytes this server accepts\",\"errorCode\":"
             "\"REQUEST_ENTITY_TOO_LARGE\"}]",
             org->cfg.max_body);
    sopts.host = host;
    sopts.port = port;
    sopts.max_body = org->cfg.max_body;
    sopts.router = &router;
    sopts.too_large_type = "application/json;charset=UTF-8";
    sopts.too_large_body = body;
    sopts.connection_memory = CONNECTION_MEMORY;
    sim_api_server_opts(orgs, &sopts);

    /* Block the stop signals before the server's threads start, so that
     * only sigwait below receives them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    lock_all(orgs, true);
    srv = http_server_start(&sopts, &err);
    if (!srv) {
        lock_all(orgs, false);
        fprintf(stderr, "sfsim: %s\n", err.msg);
        http_router_release(&router);
        return 1;
    }
    url = xasprintf("http://%s:%d", host, http_server_port(srv));
    for (size_t i = 0; i < orgs->count; i++)
        orgs->orgs[i]->cfg.instance_url = url;
    lock_all(orgs, false);
    printf("sfsim listening on %s\n", url);
    fflush(stdout);
    log_info("sim", "listening", "url=%s org=%s orgs=%zu", url, org->org_id,
             orgs->count);
    if (!sim_host_is_loopback(host))
        log_warn("sim",
                 "listening on an address other hosts can reach, and /sim/ "
                 "takes no token: anyone who can connect can change this "
                 "org and its fault switches",
                 "address=%s", host);
    sigwait(&set, &sig);
    log_info("sim", "stopping", "signal=%d", sig);
    http_server_stop(srv);
    http_router_release(&router);
    for (size_t i = 0; i < orgs->count; i++)
        orgs->orgs[i]->cfg.instance_url = NULL;
    free(url);
    return 0;
}

int main(int argc, char **argv)
{
    struct options opts = {.listen = DEFAULT_LISTEN, .seed = 1, .orgs = 1};
    struct sim_config cfg = {
        .client_id = "sfsim-client-id",
        .client_secret = "sfsim-client-secret",
        .token_lifetime_s = 7200,
        .api_limit = 100000,
        .max_body = DEFAULT_MAX_BODY,
        .upsert_update_status = 200,
    };
    struct sim_orgs orgs = {0};
    struct err err;
    char *host = NULL;
    int port = 0, rc;

    rc = parse_args(argc, argv, &opts, &cfg);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (split_listen(opts.listen, &host, &port) < 0) {
        fprintf(stderr,
                "sfsim: invalid --listen '%s': give HOST:PORT such as "
                "127.0.0.1:0\n",
                opts.listen);
        return 2;
    }
    if (opts.jwt_key_file) {
        cfg.jwt_public_key_pem = read_file(opts.jwt_key_file, &err);
        if (!cfg.jwt_public_key_pem ||
            sim_jwt_check_key(cfg.jwt_public_key_pem, &err) < 0) {
            fprintf(stderr, "sfsim: --jwt-public-key '%s': %s\n",
                    opts.jwt_key_file, err.msg);
            rc = 2;
            goto out;
        }
    }
    if (make_orgs(&orgs, &cfg, &opts, &err) < 0) {
        fprintf(stderr, "sfsim: %s\n", err.msg);
        rc = 1;
        goto out;
    }
    rc = serve(&orgs, host, port);
out:
    sim_orgs_release(&orgs);
    free(cfg.jwt_public_key_pem);
    free(host);
    free(opts.users);
    free(opts.custom_fields);
    free(opts.faults);
    return rc;
}
