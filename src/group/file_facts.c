/* What grouping learns of one file before it compares files: its name against the table, its
 * duration and creation time from the probe, its start in UTC from the telemetry, and (on
 * demand) whether it is a copy of another. Nothing here fails the grouping: a file that cannot
 * be probed is kept with the reason, to become a claim of its own. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dashclaim/calendar.h"
#include "dashclaim/hash.h"
#include "dashclaim/telemetry.h"
#include "group_internal.h"

/* The start of the video in UTC: the first fix that has a UTC, less its video time. */
static void read_utc_start(group_file *f, dc_deadline dl) {
    dc_telemetry t;
    dc_status st = DC_STATUS_OK;
    if (dc_telemetry_read(f->path, dl, &t, &st) == DC_OK) {
        for (int i = 0; i < t.gps_count; i++) {
            const dc_gps_fix *fix = &t.gps[i];
            if (fix->utc_ms == DC_TELEMETRY_NO_UTC) continue;
            f->utc_start_ms = fix->utc_ms - (int64_t)(fix->t_sec * 1000.0 + 0.5);
            /* a camera whose clock was never set writes 1970 or 2000-01-01 */
            f->has_utc = f->utc_start_ms > dc_days_from_civil(2001, 1, 1) * 86400000LL;
            break;
        }
    }
    dc_telemetry_free(&t);
}

void group_file_facts(group_file *f, dc_deadline dl) {
    f->named = dc_group_parse_name(f->path, &f->name);
    struct stat sb;
    f->size = stat(f->path, &sb) == 0 && S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : -1;
    /* dc_media_open, not dc_media_probe: the probe adds a demux pass over the whole file for
     * the keyframe interval of a container without an index (MPEG-TS), which grouping does
     * not need; the duration and tags come from the open. */
    dc_status st = DC_STATUS_OK;
    dc_media *m = dc_media_open(f->path, dl, &st);
    if (!m) {
        snprintf(f->probe_error, sizeof f->probe_error, "%s", st.message);
        return;
    }
    const dc_media_info *info = dc_media_get_info(m);
    f->probed = true;
    f->duration_sec = info->duration_sec;
    f->has_creation =
        group_parse_creation_time(info->creation_time, &f->creation_sec, f->creation_text);
    dc_media_close(m);
    read_utc_start(f, dl);
}

/* SHA-256 of the first and the last MiB (the whole file when it is smaller than 2 MiB). */
static bool head_tail_digest(const char *path, int64_t size, uint8_t digest[32]) {
    enum { MIB = 1 << 20 };
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    uint8_t *buf = malloc(MIB);
    dc_sha256 *h = dc_sha256_new();
    bool ok = buf && h;
    int64_t starts[2] = {0, size > 2 * (int64_t)MIB ? size - MIB : -1};
    for (int k = 0; k < 2 && ok; k++) {
        if (starts[k] < 0) continue;
        int64_t want = size > 2 * (int64_t)MIB ? MIB : size;
        int64_t got = 0;
        while (ok && got < want) {
            ssize_t n = pread(fd, buf, (size_t)(want - got), (off_t)(starts[k] + got));
            if (n <= 0) ok = false;
            else dc_sha256_update(h, buf, (size_t)n), got += n;
        }
    }
    if (ok) dc_sha256_final(h, digest);
    dc_sha256_free(h);
    free(buf);
    close(fd);
    return ok;
}

bool group_same_file(group_file *a, group_file *b) {
    if (!strcmp(a->path, b->path)) return true;
    char ra[PATH_MAX], rb[PATH_MAX];
    if (realpath(a->path, ra) && realpath(b->path, rb) && !strcmp(ra, rb)) return true;
    if (a->size <= 0 || a->size != b->size) return false;
    group_file *both[2] = {a, b};
    for (int k = 0; k < 2; k++)
        if (!both[k]->digest_state)
            both[k]->digest_state =
                head_tail_digest(both[k]->path, both[k]->size, both[k]->digest) ? 1 : -1;
    return a->digest_state > 0 && b->digest_state > 0 && !memcmp(a->digest, b->digest, 32);
}
