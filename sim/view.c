/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * A plain HTML page per record at Lightning's record URL,
 * /lightning/r/OBJECT/ID/view, so that links made for Salesforce open
 * something useful against sfsim. It needs no sign-in, unlike Salesforce.
 */
#include "base/common.h"

#include <strings.h>

#include "base/buf.h"
#include "sim.h"

static void put_html(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

static int get_view(struct http_req *req, struct http_resp *resp,
                    void *payload)
{
    struct sim_org *org = sim_request_org(req);
    struct sim_record *rec = sim_record_find(org, req->params[1]);
    const char *name;
    struct buf b;

    (void)payload;
    if (!rec || strcasecmp(rec->obj->name, req->params[0]) != 0) {
        http_resp_text(resp, 404, "text/html;charset=UTF-8",
                       "<!doctype html><title>Not found</title>"
                       "<p>No record has that id.</p>\n");
        return 0;
    }
    name = rec->obj->f_name >= 0 ? sim_record_get(rec, rec->obj->f_name)
                                 : NULL;
    buf_init(&b, 0);
    buf_puts(&b, "<!doctype html><html lang=\"en\"><head>"
                 "<meta charset=\"utf-8\"><title>");
    put_html(&b, name ? name : rec->id);
    buf_puts(&b, " | sfsim</title><style>body{font-family:sans-serif;"
                 "margin:2rem}th{text-align:left;padding-right:1rem}"
                 "</style></head><body><p>");
    put_html(&b, rec->obj->label ? rec->obj->label : rec->obj->name);
    buf_puts(&b, rec->deleted_ms ? " (in the recycle bin)" : "");
    buf_puts(&b, "</p><h1>");
    put_html(&b, name ? name : rec->id);
    buf_puts(&b, "</h1><table>");
    for (size_t i = 0; i < rec->obj->nfields; i++) {
        const char *v = sim_record_get(rec, i);

        if (!v || rec->obj->fields[i]->type == SIM_T_ADDRESS)
            continue;
        buf_puts(&b, "<tr><th>");
        put_html(&b, rec->obj->fields[i]->label
                         ? rec->obj->fields[i]->label
                         : rec->obj->fields[i]->name);
        buf_puts(&b, "</th><td>");
        put_html(&b, v);
        buf_puts(&b, "</td></tr>");
    }
    buf_puts(&b, "</table></body></html>\n");
    http_resp_text(resp, 200, "text/html;charset=UTF-8", b.data);
    buf_release(&b);
    return 0;
}

void sim_view_routes(struct http_router *r)
{
    http_router_add(r, "GET", "/lightning/r/{object}/{id}/view", get_view,
                    NULL);
}
