/* dashclaim probe VIDEO: the video's container and stream facts as one JSON object. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "cli.h"
#include "dashclaim/media.h"

static void probe_usage(FILE *f) {
    fprintf(f, "usage: dashclaim probe [--timeout S] [--verbose] VIDEO\n"
               "Prints one JSON object: duration_sec, width, height, fps, video_codec, has_audio,\n"
               "keyframe_interval_sec (when known), and more. On a file that cannot be read it\n"
               "prints {\"error\": {\"class\": ..., \"message\": ...}} and exits 1.\n"
               "  --timeout S   give up after S seconds (default 60)\n"
               "  --verbose     let FFmpeg print its warnings\n");
}

int cli_print_error(const dc_status *st) {
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "class", dc_error_class_name(st->code),
                          "message", st->message);
    if (o) {
        json_dumpf(o, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(o);
    }
    return CLI_EXIT_INPUT;
}

static const char *duration_source_name(dc_duration_source s) {
    switch (s) {
    case DC_DURATION_CONTAINER: return "container";
    case DC_DURATION_STREAM: return "stream";
    case DC_DURATION_PACKETS: return "packets";
    }
    return "unknown";
}

static json_t *info_to_json(const dc_media_info *in, const dc_status *st) {
    bool sideways = in->rotation == 90 || in->rotation == 270;
    json_t *o = json_object();
    json_object_set_new(o, "container", json_string(in->container));
    json_object_set_new(o, "video_codec", json_string(in->video_codec));
    json_object_set_new(o, "width", json_integer(in->width));
    json_object_set_new(o, "height", json_integer(in->height));
    json_object_set_new(o, "rotation", json_integer(in->rotation));
    json_object_set_new(o, "display_width", json_integer(sideways ? in->height : in->width));
    json_object_set_new(o, "display_height", json_integer(sideways ? in->width : in->height));
    json_object_set_new(o, "fps", json_real(in->avg_fps > 0 ? in->avg_fps : in->real_fps));
    json_object_set_new(o, "real_fps", json_real(in->real_fps));
    json_object_set_new(o, "vfr", json_boolean(in->vfr));
    json_object_set_new(o, "duration_sec", json_real(in->duration_sec));
    json_object_set_new(o, "duration_source",
                        json_string(duration_source_name(in->duration_source)));
    json_object_set_new(o, "start_time_sec", json_real(in->start_time_sec));
    if (in->keyframe_interval_sec > 0)
        json_object_set_new(o, "keyframe_interval_sec", json_real(in->keyframe_interval_sec));
    if (in->keyframe_count > 0)
        json_object_set_new(o, "keyframe_count", json_integer(in->keyframe_count));
    json_object_set_new(o, "has_audio", json_boolean(in->has_audio));
    if (in->has_audio) {
        json_object_set_new(o, "audio_codec", json_string(in->audio_codec));
        json_object_set_new(o, "audio_rate", json_integer(in->audio_rate));
        json_object_set_new(o, "audio_channels", json_integer(in->audio_channels));
    }
    json_object_set_new(o, "truncated", json_boolean(in->truncated));
    if (in->truncated) json_object_set_new(o, "last_good_sec", json_real(in->last_good_sec));
    json_object_set_new(o, "status", json_string(st->degraded ? "degraded" : "ok"));
    if (st->degraded) json_object_set_new(o, "message", json_string(st->message));
    return o;
}

int cli_cmd_probe(int argc, char **argv) {
    double timeout = 60;
    bool verbose = false;
    static const struct option longs[] = {
        {"timeout", 1, 0, 't'}, {"verbose", 0, 0, 'v'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 't': timeout = atof(optarg); break;
        case 'v': verbose = true; break;
        case 'h': probe_usage(stdout); return CLI_EXIT_OK;
        default: probe_usage(stderr); return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        probe_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    av_log_set_level(verbose ? AV_LOG_WARNING : AV_LOG_QUIET);
    dc_media_info info;
    dc_status st = DC_STATUS_OK;
    if (dc_media_probe(argv[optind], dc_deadline_in(timeout), &info, &st) != DC_OK)
        return cli_print_error(&st);
    json_t *o = info_to_json(&info, &st);
    json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(10));
    fputc('\n', stdout);
    json_decref(o);
    return CLI_EXIT_OK;
}
