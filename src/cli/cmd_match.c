/* dashclaim match (--data DIR | --db URL) VIDEO: which claims in the store show this video's
 * footage (the same file, or the same footage re-encoded, cut, cropped or mirrored), as one JSON
 * object. The video's fingerprint is made as mining makes it (fingerprint.h, from ~5
 * thumbnails a second at the mining pass's 160x90), its SHA-256 from its bytes, and the footage
 * index beside the store (footage_store.h) is asked, excluding no claim. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "cli.h"
#include "dashclaim/footage_store.h"
#include "dashclaim/hash.h"
#include "dashclaim/media.h"

static void match_usage(FILE *f) {
    fprintf(f,
            "usage: dashclaim match (--data DIR | --db URL) [--timeout S] VIDEO\n"
            "Prints one JSON object: the video's sha256 and usable fingerprint seconds, whether\n"
            "the check ran, and each earlier claim whose video is the same file or shows the\n"
            "same footage (claim_id, same_file, video_sec, other_video, other_sec, seconds,\n"
            "distance, mirrored), with what the search cost (keys, postings, candidates,\n"
            "compared).\n"
            "  --data DIR    the service's SQLite store folder\n"
            "  --db URL      the service's PostgreSQL store (postgresql://...)\n"
            "  --timeout S   give up decoding after S seconds (default 300)\n");
}

/* The video's fingerprint from thumbnails at about 5 a second, as mining takes them. */
static dc_error_class fingerprint_video(const char *path, double timeout, dc_fingerprint *fp,
                                        dc_status *st) {
    dc_deadline dl = dc_deadline_in(timeout);
    dc_media *m = dc_media_open(path, dl, st);
    if (!m) return st->code;
    const dc_media_info *info = dc_media_get_info(m);
    double fps = info->avg_fps > 0 ? info->avg_fps : info->real_fps;
    int k = fps > 5 ? (int)(fps / 5 + 0.5) : 1;
    dc_thumb_request req = {.width = 160, .height = 90, .every_kth = k};
    dc_thumb_set thumbs = {0};
    dc_error_class rc = dc_media_thumbnails(m, &req, dl, &thumbs, st);
    if (rc == DC_OK) rc = dc_fingerprint_from_thumbs(&thumbs, info->duration_sec, fp, st);
    dc_thumb_set_free(&thumbs);
    dc_media_close(m);
    return rc;
}

static json_t *match_json(const dc_footage_match *m) {
    return json_pack("{s:s,s:b,s:f,s:i,s:f,s:f,s:f,s:b}", "claim_id", m->claim_id, "same_file",
                     m->same_file, "video_sec", m->video_sec, "other_video", m->other_video,
                     "other_sec", m->other_sec, "seconds", m->seconds, "distance", m->distance,
                     "mirrored", m->mirrored);
}

int cli_cmd_match(int argc, char **argv) {
    const char *data = NULL, *db_url = NULL;
    double timeout = 300;
    static const struct option longs[] = {{"data", required_argument, NULL, 'd'},
                                          {"db", required_argument, NULL, 'D'},
                                          {"timeout", required_argument, NULL, 't'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (opt) {
        case 'd': data = optarg; break;
        case 'D': db_url = optarg; break;
        case 't': timeout = atof(optarg); break;
        case 'h': match_usage(stdout); return CLI_EXIT_OK;
        default: match_usage(stderr); return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !data == !db_url || !(timeout > 0)) {
        match_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *path = argv[optind];
    av_log_set_level(AV_LOG_QUIET);
    dc_status st = DC_STATUS_OK;
    dc_claim_video v;
    memset(&v, 0, sizeof v);
    if (dc_sha256_file(path, v.sha256) != 0) {
        dc_fail(&st, DC_ERR_INPUT, "cannot read %s", path);
        return cli_print_error(&st);
    }
    dc_fingerprint fp = {0};
    if (fingerprint_video(path, timeout, &fp, &st) != DC_OK) return cli_print_error(&st);
    dc_footage_db *db = dc_footage_db_open(data ? data : db_url, &st);
    if (!db) {
        dc_fingerprint_free(&fp);
        return cli_print_error(&st);
    }
    dc_footage_check check;
    dc_footage_search_stats stats;
    dc_error_class rc = dc_footage_db_lookup(db, NULL, &v, 1, &fp, 1, &check, &stats, &st);
    dc_footage_db_close(db);
    int usable = dc_fingerprint_usable(&fp);
    dc_fingerprint_free(&fp);
    if (rc != DC_OK) return cli_print_error(&st);
    json_t *matches = json_array();
    for (int i = 0; i < check.match_count; i++)
        json_array_append_new(matches, match_json(&check.matches[i]));
    json_t *o = json_pack("{s:{s:s,s:i},s:b,s:s?,s:o,s:{s:i,s:I,s:i,s:i}}", "video", "sha256",
                          v.sha256, "usable_seconds", usable, "checked", check.checked, "note",
                          check.note[0] ? check.note : NULL, "matches", matches, "search", "keys",
                          stats.keys, "postings", (json_int_t)stats.postings, "candidates",
                          stats.candidates, "compared", stats.compared);
    if (!o) {
        dc_fail(&st, DC_ERR_RESOURCE, "out of memory");
        return cli_print_error(&st);
    }
    json_dumpf(o, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(o);
    return CLI_EXIT_OK;
}
