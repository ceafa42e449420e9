/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sfsync users add|list|remove|password|token: the people and programs that may
 * sign in to sfsync serve. A password is read from stdin or a prompt,
 * never from the command line, where other users could see it.
 */
#include "base/common.h"

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "base/datetime.h"
#include "serve/serve_int.h"

#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

static void usage(FILE *out)
{
    fputs("usage: sfsync users add NAME --role admin|agent "
          "[--password-stdin | --password-file FILE]\n"
          "       sfsync users list [--json]\n"
          "       sfsync users remove NAME\n"
          "       sfsync users password NAME "
          "[--password-stdin | --password-file FILE]\n"
          "       sfsync users token NAME [--revoke-all]\n"
          "Manage who may sign in to 'sfsync serve'. An admin may change "
          "settings,\nconnect and manage users; an agent may see and edit "
          "contacts, pull and retry\nerrors.\n\n"
          "  --role ROLE       admin or agent\n"
          "  --password-stdin  read the password (8 to 1024 bytes) from the "
          "first line of\n"
          "                    stdin\n"
          "  --password-file FILE  read it from the first line of FILE\n"
          "Without either, sfsync prompts twice on the terminal.\n\n"
          "'password' sets a new password and signs the user out of every "
          "browser.\n"
          "'token' creates an API token for programs (Authorization: Bearer "
          "sfs_...)\nand prints it once; only its hash is stored. "
          "--revoke-all deletes every token\nof the user instead.\n"
          "The last admin cannot be removed: add another admin first.\n",
          out);
}

/* Read one line of at most PASSWORD_MAX bytes into a heap string. */
static char *read_line(FILE *in)
{
    char buf[PASSWORD_MAX + 2];
    size_t len;
    char *out;

    if (!fgets(buf, sizeof(buf), in))
        return NULL;
    len = strcspn(buf, "\r\n");
    buf[len] = '\0';
    out = xstrdup(buf);
    sodium_memzero(buf, sizeof(buf));
    return out;
}

/* Prompt on the terminal with echo off. */
static char *prompt(const char *text)
{
    struct termios old, quiet;
    char *line;

    fputs(text, stderr);
    fflush(stderr);
    if (tcgetattr(STDIN_FILENO, &old) < 0)
        return NULL;
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    line = read_line(stdin);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    return line;
}

static char *read_password_file(const char *path)
{
    struct stat st;
    FILE *f = fopen(path, "r");
    char *line;

    if (!f) {
        cli_fail("cannot read password file '%s': %s", path,
                 strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        fprintf(stderr,
                "sfsync: warning: the password file '%s' is readable by "
                "other users (mode %03o); run 'chmod 600 %s'\n",
                path, (unsigned)(st.st_mode & 0777), path);
    line = read_line(f);
    fclose(f);
    if (!line)
        cli_fail("the password file '%s' is empty", path);
    return line;
}

static char *get_password(bool from_stdin, const char *file)
{
    char *first, *second;

    if (file)
        return read_password_file(file);
    if (from_stdin) {
        first = read_line(stdin);
        if (!first)
            cli_fail("no password on stdin: send it as the first line");
        return first;
    }
    if (!isatty(STDIN_FILENO)) {
        cli_fail("stdin is not a terminal: give --password-stdin and send "
                 "the password on stdin");
        return NULL;
    }
    first = prompt("password: ");
    second = first ? prompt("password again: ") : NULL;
    if (!first || !second || strcmp(first, second) != 0) {
        cli_fail("the passwords differ; run the command again");
        free_secret(first);
        free_secret(second);
        return NULL;
    }
    free_secret(second);
    return first;
}

/* Read a new password as --password-stdin or --password-file ask and hash
 * it; NULL after printing why. */
static char *new_password_hash(bool from_stdin, const char *file)
{
    char *password, *hash;
    struct err err;
    size_t len;

    if (from_stdin && file) {
        cli_fail("give --password-stdin or --password-file, not both");
        return NULL;
    }
    if (!(password = get_password(from_stdin, file)))
        return NULL;
    len = strlen(password);
    if (len < PASSWORD_MIN || len > PASSWORD_MAX) {
        free_secret(password);
        cli_fail("the password must be 8 to 1024 bytes long");
        return NULL;
    }
    hash = serve_password_hash(password, &err);
    free_secret(password);
    if (!hash)
        cli_fail_err(&err);
    return hash;
}

static int users_add(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"role", required_argument, NULL, 'r'},
        {"password-stdin", no_argument, NULL, 'p'},
        {"password-file", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *role = NULL, *file = NULL;
    bool from_stdin = false;
    struct store_user u;
    char *hash;
    struct err err;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'r':
            role = optarg;
            break;
        case 'p':
            from_stdin = true;
            break;
        case 'f':
            file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc)
        return cli_fail("give one user name: sfsync users add NAME --role "
                        "admin|agent");
    if (serve_check_user_name(argv[optind], &err) < 0)
        return cli_fail_err(&err);
    if (!role || (strcmp(role, "admin") != 0 && strcmp(role, "agent") != 0))
        return cli_fail("invalid --role '%s': use admin or agent",
                        role ? role : "");
    if (cli_open(cli, false))
        return 1;
    if (!(hash = new_password_hash(from_stdin, file)))
        return 1;
    memset(&u, 0, sizeof(u));
    u.workspace_id = cli->ws.id;
    u.name = xstrdup(argv[optind]);
    u.role = xstrdup(role);
    u.password_hash = hash;
    rc = store_user_add(cli->store, &u, &err);
    if (rc == 0)
        printf("added %s '%s'\n", u.role, u.name);
    store_user_release(&u);
    return rc < 0 ? cli_fail_err(&err) : 0;
}

static int users_list(struct cli *cli, int argc, char **argv)
{
    struct store_user *users = NULL;
    bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
    size_t n = 0;
    struct err err;

    if (argc > 2 || (argc == 2 && !json))
        return cli_fail("usage: sfsync users list [--json]");
    if (cli_open(cli, false))
        return 1;
    if (store_user_list(cli->store, cli->ws.id, &users, &n, &err) < 0)
        return cli_fail_err(&err);
    if (json) {
        json_t *arr = json_array();

        for (size_t i = 0; i < n; i++) {
            char when[DATETIME_LEN];

            datetime_format_z(users[i].created_ms, when);
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name",
                                                 users[i].name, "role",
                                                 users[i].role, "created_at",
                                                 when));
        }
        cli_print_json(json_pack("{s:o}", "users", arr));
    } else if (n == 0) {
        puts("no users; add the first admin with 'sfsync users add NAME "
             "--role admin'");
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%-6s %s\n", users[i].role, users[i].name);
    }
    store_users_free(users, n);
    return 0;
}

/* Fail, as the API does, when name is the workspace's only admin, so that
 * someone can still manage users on the page. */
static int check_not_last_admin(struct cli *cli, const char *name)
{
    struct store_user *users = NULL;
    size_t n = 0, admins = 0;
    bool target_admin = false;
    struct err err;

    if (store_user_list(cli->store, cli->ws.id, &users, &n, &err) < 0)
        return cli_fail_err(&err);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(users[i].role, "admin") != 0)
            continue;
        admins++;
        if (strcmp(users[i].name, name) == 0)
            target_admin = true;
    }
    store_users_free(users, n);
    if (target_admin && admins == 1)
        return cli_fail("'%s' is the last admin, and nobody could manage "
                        "users without one: add another admin first with "
                        "'sfsync users add NAME --role admin'",
                        name);
    return 0;
}

static int users_remove(struct cli *cli, int argc, char **argv)
{
    struct err err;

    if (argc != 2)
        return cli_fail("give one user name: sfsync users remove NAME");
    if (cli_open(cli, false))
        return 1;
    if (check_not_last_admin(cli, argv[1]))
        return 1;
    if (store_user_delete(cli->store, cli->ws.id, argv[1], &err) < 0)
        return cli_fail_err(&err);
    printf("removed '%s' with its sessions and tokens\n", argv[1]);
    return 0;
}

static int users_password(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"password-stdin", no_argument, NULL, 'p'},
        {"password-file", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL;
    bool from_stdin = false;
    struct store_user u;
    struct err err;
    char *hash;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'p':
            from_stdin = true;
            break;
        case 'f':
            file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc)
        return cli_fail("give one user name: sfsync users password NAME");
    if (cli_open(cli, false))
        return 1;
    /* Check the name before asking for a password that goes nowhere. */
    if (store_user_get(cli->store, cli->ws.id, argv[optind], &u, &err) < 0)
        return cli_fail_err(&err);
    store_user_release(&u);
    if (!(hash = new_password_hash(from_stdin, file)))
        return 1;
    rc = store_user_set_password(cli->store, cli->ws.id, argv[optind], hash,
                                 &err);
    free_secret(hash);
    if (rc < 0)
        return cli_fail_err(&err);
    printf("changed the password of '%s' and ended its sessions\n",
           argv[optind]);
    return 0;
}

static int users_token(struct cli *cli, int argc, char **argv)
{
    struct store_api_token t;
    struct store_user u;
    char *random, *token;
    bool revoke = argc == 3 && strcmp(argv[2], "--revoke-all") == 0;
    int64_t revoked = 0;
    struct err err;
    int rc;

    if (argc != 2 && !revoke)
        return cli_fail("give one user name: sfsync users token NAME "
                        "[--revoke-all]");
    if (cli_open(cli, false))
        return 1;
    if (store_user_get(cli->store, cli->ws.id, argv[1], &u, &err) < 0)
        return cli_fail_err(&err);
    if (revoke) {
        rc = store_api_token_delete_user(cli->store, cli->ws.id, u.id,
                                         &revoked, &err);
        if (rc == 0)
            printf("revoked %lld API token%s of '%s'\n", (long long)revoked,
                   revoked == 1 ? "" : "s", u.name);
        store_user_release(&u);
        return rc < 0 ? cli_fail_err(&err) : 0;
    }
    random = serve_random_token(32);
    token = xasprintf("sfs_%s", random);
    free_secret(random);
    memset(&t, 0, sizeof(t));
    t.token_hash = serve_sha256_hex(token);
    t.workspace_id = cli->ws.id;
    t.user_id = u.id;
    t.created_ms = datetime_now_ms();
    rc = store_api_token_add(cli->store, &t, &err);
    if (rc == 0) {
        printf("%s\n", token);
        fprintf(stderr, "sfsync: this token acts as %s '%s'; it is shown "
                        "only now, so keep it safe\n",
                u.role, u.name);
    }
    free_secret(token);
    store_api_token_release(&t);
    store_user_release(&u);
    return rc < 0 ? cli_fail_err(&err) : 0;
}

int cmd_users(struct cli *cli, int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (sodium_init() < 0)
        return cli_fail("libsodium failed to initialise");
    if (strcmp(argv[1], "add") == 0)
        return users_add(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return users_list(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "remove") == 0)
        return users_remove(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "password") == 0)
        return users_password(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "token") == 0)
        return users_token(cli, argc - 1, argv + 1);
    return cli_fail("unknown users command '%s': use add, list, remove, "
                    "password or token",
                    argv[1]);
}
