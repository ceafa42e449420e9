/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync init: create the database file and the workspace. */
#include "base/common.h"

#include "cli.h"

int cmd_init(struct cli *cli, int argc, char **argv)
{
    char *where;

    if (argc > 1 && cli_is_help(argv[1])) {
        puts("usage: sfsync init\n"
             "Create the database (mode 0600) and the workspace if they do "
             "not exist. Safe to run again.");
        return 0;
    }
    if (argc > 1)
        return cli_fail("init takes no arguments; got '%s'", argv[1]);
    if (cli_open(cli, true))
        return 1;
    /* A PostgreSQL URI may carry a password, which is never printed. */
    where = store_target_display(cli->db_path);
    printf("workspace '%s' is ready in %s\n", cli->ws.name, where);
    /* The advice names the workspace whenever connect would need it. */
    if (cli->workspace_given)
        printf("next: sfsync --workspace %s connect --login-url URL "
               "--client-id ID --client-secret-file FILE\n",
               cli->ws.name);
    else
        printf("next: sfsync connect --login-url URL --client-id ID "
               "--client-secret-file FILE\n");
    free(where);
    return 0;
}
