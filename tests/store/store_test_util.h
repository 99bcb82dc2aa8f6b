/* A fresh, empty store for each test, on the backend the test run asks for:
 *   SQLite (default): a new folder under $DC_TEST_TMP;
 *   PostgreSQL (DC_TEST_DB=pg, under tests/store/with-pg): a new database on the private server
 *   at $DC_TEST_PG_URL, made with psql.
 * Header-only so that every store and service test program can include it. */
#ifndef DC_TEST_STORE_UTIL_H
#define DC_TEST_STORE_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dashclaim/store.h"

static inline bool test_store_is_pg(void) {
    const char *db = getenv("DC_TEST_DB");
    return db && !strcmp(db, "pg");
}

/* Writes a new store URL for a test called name into url[size]; returns url. */
static inline char *test_store_url(const char *name, char *url, size_t size) {
    static int serial;
    serial++;
    if (test_store_is_pg()) {
        const char *base = getenv("DC_TEST_PG_URL");
        if (!base) base = "postgresql://dashclaim@127.0.0.1:5432/postgres";
        char db[96];
        snprintf(db, sizeof db, "t_%s_%d_%d", name, (int)getpid(), serial);
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "psql -q '%s' -c 'CREATE DATABASE %s' >/dev/null", base, db);
        if (system(cmd) != 0) fprintf(stderr, "test: could not create database %s\n", db);
        const char *slash = strrchr(base, '/');
        int keep = slash ? (int)(slash - base) : (int)strlen(base);
        snprintf(url, size, "%.*s/%s", keep, base, db);
        return url;
    }
    const char *tmp = getenv("DC_TEST_TMP");
    if (!tmp) tmp = "/tmp";
    mkdir(tmp, 0755);
    snprintf(url, size, "%s/store-%s-%d-%d-%ld", tmp, name, (int)getpid(), serial,
             (long)time(NULL));
    return url;
}

static inline dc_store *test_store_open(const char *name, const dc_store_options *o, char *url,
                                        size_t url_size) {
    test_store_url(name, url, url_size);
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(url, o, &st);
    if (!s) fprintf(stderr, "test: cannot open store %s: %s\n", url, st.message);
    return s;
}

#endif
