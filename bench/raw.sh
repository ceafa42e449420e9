#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetches the pages of sfsync's Contact pull with curl, as the raw transfer
# limit the benchmark compares the pull with, and prints the bytes read.
#
# usage: bench/raw.sh rest|bulk URL TOKEN
#   rest  the query with pages of 2,000 (Sforce-Query-Options), following
#         nextRecordsUrl. The first 400 bytes of each page, where sfsim
#         puts nextRecordsUrl, are kept, and the rest goes to /dev/null.
#   bulk  a Bulk API 2.0 query job over the same fields, without the ORDER
#         BY, its result pages of BULK_PAGE records (environment, 5000 by
#         default, as sfsync's Bulk pull reads) into /dev/null
set -uo pipefail

if [ $# -ne 3 ] || { [ "$1" != rest ] && [ "$1" != bulk ]; }; then
    echo "usage: bench/raw.sh rest|bulk URL TOKEN" >&2
    exit 2
fi
mode=$1 url=$2 token=$3

API=/services/data/v62.0
# sfsync's Contact pull (src/sync/pull.c over src/model/mapping.c); the
# jsforce peer sends the same one (bench/peer/lib.mjs).
FIELDS='Id, FirstName, LastName, Title, Email, Phone, MobilePhone,'
FIELDS+=' MailingStreet, MailingCity, MailingState, MailingPostalCode,'
FIELDS+=' MailingCountry, LeadSource, DoNotCall, HasOptedOutOfEmail,'
FIELDS+=' OwnerId, Account.Name, SystemModstamp, LastModifiedDate'
REST_SOQL="SELECT $FIELDS FROM Contact ORDER BY SystemModstamp, Id"
BULK_SOQL="SELECT $FIELDS FROM Contact"
PAGE=2000
BULK_PAGE=${BULK_PAGE:-5000}

work=$(mktemp -d /tmp/sfsync-raw-XXXXXX)
trap 'rm -rf "$work"' EXIT

fail() {
    echo "raw.sh: $1" >&2
    exit 1
}

rest() {
    local next="$API/query" bytes=0 size
    local -a args=(-G --data-urlencode "q=$REST_SOQL")
    while [ -n "$next" ]; do
        size=$(curl -sf -H "Authorization: Bearer $token" \
            -H "Sforce-Query-Options: batchSize=$PAGE" "${args[@]}" \
            "$url$next" | { head -c 400 >"$work/head"; wc -c; }) ||
            fail "GET '$next' failed"
        bytes=$((bytes + size + $(wc -c <"$work/head")))
        grep -q '"done" *: *\(true\|false\)' "$work/head" ||
            fail "GET '$next' returned no query page"
        next=$(sed -n 's/.*"nextRecordsUrl" *: *"\([^"]*\)".*/\1/p' \
            "$work/head")
        args=()
    done
    echo "$bytes"
}

bulk() {
    local job state locator= bytes=0 size body
    body=$(printf '{"operation":"query","query":"%s"}' "$BULK_SOQL")
    job=$(curl -sf -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -d "$body" \
        "$url$API/jobs/query" | sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p')
    [ -n "$job" ] || fail "creating the query job failed"
    while :; do
        state=$(curl -sf -H "Authorization: Bearer $token" \
            "$url$API/jobs/query/$job" |
            sed -n 's/.*"state" *: *"\([^"]*\)".*/\1/p')
        case $state in
        JobComplete) break ;;
        UploadComplete | InProgress) sleep 0.1 ;;
        *) fail "query job '$job' is in state '$state'" ;;
        esac
    done
    while :; do
        size=$(curl -sf -H "Authorization: Bearer $token" \
            -D "$work/headers" -o /dev/null -w '%{size_download}' \
            "$url$API/jobs/query/$job/results?maxRecords=$BULK_PAGE${locator:+&locator=$locator}") ||
            fail "reading the results of job '$job' failed"
        bytes=$((bytes + size))
        locator=$(tr -d '\r' <"$work/headers" |
            sed -n 's/^[Ss]force-[Ll]ocator: *//p')
        if [ -z "$locator" ] || [ "$locator" = null ]; then
            break
        fi
    done
    echo "$bytes"
}

"$mode"
