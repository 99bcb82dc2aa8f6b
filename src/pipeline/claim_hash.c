/* Each video's SHA-256, computed on a thread of its own while the claim's video is opened and
 * mined, within the claim's deadline; or taken from the caller (the service hashed the upload
 * while storing it, so a worker reads no file twice). A claim that fails stops it: it wants
 * no hash, and a hash of part of a file is no hash. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline_internal.h"

static bool take_given_hash(const char *hex, char out[65]) {
    if (!hex || strlen(hex) != 64) return false;
    for (int i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)hex[i])) return false;
    for (int i = 0; i < 64; i++) out[i] = (char)tolower((unsigned char)hex[i]);
    out[64] = 0;
    return true;
}

void pipeline_hash_begin(claim_hash *h, const char *path, const char *given, dc_deadline dl,
                         char out[65]) {
    memset(h, 0, sizeof *h);
    h->end = DC_HASH_FAILED;
    char hex[65];
    if (given && take_given_hash(given, hex)) {
        memcpy(out, hex, sizeof hex);
        h->given = true;
        h->end = DC_HASH_DONE;
        return;
    }
    out[0] = 0;
    h->wanted = true;
    h->job = dc_sha256_start(path, dl); /* NULL (out of memory): hashed inline at the end */
}

void pipeline_hash_end(claim_hash *h, const char *path, bool stop, dc_deadline dl, char out[65]) {
    if (!h->wanted) return;
    h->wanted = false;
    if (stop) dc_sha256_stop(h->job);
    if (h->job) h->end = dc_sha256_finish(h->job, out, &h->hashed);
    else h->end = stop ? DC_HASH_STOPPED : dc_sha256_file_until(path, dl, NULL, out, &h->hashed);
    h->job = NULL;
    if (h->end != DC_HASH_DONE) out[0] = 0;
}

void pipeline_hash_note(const claim_hash *h, const char *path, char *out, size_t size) {
    struct stat sb;
    double mb = (double)h->hashed / 1e6,
           total = stat(path, &sb) == 0 ? (double)sb.st_size / 1e6 : -1;
    char read[64] = "";
    if (total >= 0) snprintf(read, sizeof read, " after %.1f of %.1f MB", mb, total);
    switch (h->end) {
    case DC_HASH_DONE: snprintf(out, size, "video SHA-256 computed"); break;
    case DC_HASH_TIMED_OUT:
        snprintf(
            out, size,
            "video SHA-256 none: the deadline passed while hashing%s (part of a file has no hash)",
            read);
        break;
    case DC_HASH_STOPPED:
        snprintf(out, size, "video SHA-256 none: hashing stopped when the claim failed%s", read);
        break;
    case DC_HASH_NOT_FILE:
        snprintf(out, size,
                 "video SHA-256 none: not a regular file (a pipe is read once, by the decoder)");
        break;
    default: snprintf(out, size, "video SHA-256 none: read error or out of memory"); break;
    }
}
