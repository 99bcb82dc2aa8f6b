/* dashclaim frames VIDEO --start S --end E -n N: runs the frame sampler (what the engines get)
 * and reports the frames' timestamps and the sampling's wall time; -o DIR also writes them as
 * JPEG files, for looking at. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/log.h>

#include "cli.h"
#include "dashclaim/files.h"
#include "dashclaim/media.h"
#include "dashclaim/report.h"

static void frames_usage(FILE *f) {
    fprintf(f, "usage: dashclaim frames VIDEO [--start S] [--end E] (-n N | --fps F [--max N])\n"
               "                        [--size L] [--unit U] [--mode exact|keyframe] [-o DIR]\n"
               "Samples frames from [S, E) (E <= 0: to the end) and prints one JSON object with\n"
               "count, requested, timestamps_sec, width, height and seconds (wall time of the\n"
               "sampling). Without -o the frames are decoded in memory and dropped.\n"
               "  -n N          N frames spread uniformly over the range\n"
               "  --fps F       F frames a second instead (capped by --max N)\n"
               "  --size L      longest side of the output (default: native size)\n"
               "  --unit U      round both sides to a multiple of U (e.g. 28; default 1)\n"
               "  --mode M      exact (default: the frame nearest each target) or keyframe\n"
               "  -o DIR        write frame_NNNN.jpg files (quality 90) into DIR\n"
               "  --timeout S   give up after S seconds (default 300)\n"
               "  --verbose     let FFmpeg print its warnings\n");
}

/* The frames as they are (no shrinking) at quality 90, through the report's encoder. */
static dc_error_class write_jpegs(const dc_frame_set *fs, const char *dir, dc_status *st) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return dc_fail(st, DC_ERR_RESOURCE, "%s: cannot create directory: %s", dir,
                       strerror(errno));
    dc_error_class rc = DC_OK;
    for (int i = 0; i < fs->count && rc == DC_OK; i++) {
        const dc_frame *f = &fs->frames[i];
        uint8_t *jpeg = NULL;
        size_t size = 0;
        rc = dc_jpeg_encode_rgb(f->rgb, f->width, f->height, f->stride, 0, 90, &jpeg, &size, NULL,
                                NULL, st);
        if (rc == DC_OK) {
            char path[4096];
            if (snprintf(path, sizeof path, "%s/frame_%04d.jpg", dir, i) >= (int)sizeof path)
                rc = dc_fail(st, DC_ERR_INPUT, "%s: path too long", dir);
            else rc = dc_file_write_atomic(path, jpeg, size, st);
        }
        free(jpeg);
    }
    return rc;
}

int cli_cmd_frames(int argc, char **argv) {
    dc_sample_request req = {.decode_workers = cli_env_decode_workers()};
    double timeout = 300;
    const char *out_dir = NULL;
    bool verbose = false;
    enum { O_START = 256, O_END, O_FPS, O_MAX, O_SIZE, O_UNIT, O_MODE, O_TIMEOUT, O_VERBOSE };
    static const struct option longs[] = {{"start", 1, 0, O_START},
                                          {"end", 1, 0, O_END},
                                          {"fps", 1, 0, O_FPS},
                                          {"max", 1, 0, O_MAX},
                                          {"size", 1, 0, O_SIZE},
                                          {"unit", 1, 0, O_UNIT},
                                          {"mode", 1, 0, O_MODE},
                                          {"timeout", 1, 0, O_TIMEOUT},
                                          {"verbose", 0, 0, O_VERBOSE},
                                          {"help", 0, 0, 'h'},
                                          {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'n': req.count = atoi(optarg); break;
        case 'o': out_dir = optarg; break;
        case O_START: req.start_sec = atof(optarg); break;
        case O_END: req.end_sec = atof(optarg); break;
        case O_FPS: req.fps = atof(optarg); break;
        case O_MAX: req.max_count = atoi(optarg); break;
        case O_SIZE: req.longest_side = atoi(optarg); break;
        case O_UNIT: req.unit = atoi(optarg); break;
        case O_TIMEOUT: timeout = atof(optarg); break;
        case O_VERBOSE: verbose = true; break;
        case O_MODE:
            if (!strcmp(optarg, "exact")) req.mode = DC_SAMPLE_EXACT;
            else if (!strcmp(optarg, "keyframe")) req.mode = DC_SAMPLE_KEYFRAME;
            else {
                frames_usage(stderr);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'h': frames_usage(stdout); return CLI_EXIT_OK;
        default: frames_usage(stderr); return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || (req.count <= 0 && req.fps <= 0)) {
        frames_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    av_log_set_level(verbose ? AV_LOG_WARNING : AV_LOG_QUIET);
    dc_deadline dl = dc_deadline_in(timeout);
    dc_status st = DC_STATUS_OK;
    double t_open = dc_now();
    dc_media *m = dc_media_open(argv[optind], dl, &st);
    if (!m) return cli_print_error(&st);
    double open_sec = dc_now() - t_open;
    dc_frame_set fs;
    double t0 = dc_now();
    dc_error_class e = dc_frames_sample(m, &req, dl, &fs, &st);
    double seconds = dc_now() - t0;
    dc_media_close(m);
    if (e != DC_OK) return cli_print_error(&st);
    dc_status wst = DC_STATUS_OK;
    if (out_dir && write_jpegs(&fs, out_dir, &wst) != DC_OK) {
        dc_frame_set_free(&fs);
        cli_print_error(&wst);
        return CLI_EXIT_OUTPUT;
    }
    json_t *o = json_object();
    json_t *ts = json_array();
    for (int i = 0; i < fs.count; i++) json_array_append_new(ts, json_real(fs.frames[i].t_sec));
    json_object_set_new(o, "count", json_integer(fs.count));
    json_object_set_new(o, "requested", json_integer(fs.requested));
    json_object_set_new(o, "timestamps_sec", ts);
    json_object_set_new(o, "width", json_integer(fs.count ? fs.frames[0].width : 0));
    json_object_set_new(o, "height", json_integer(fs.count ? fs.frames[0].height : 0));
    json_object_set_new(o, "seconds", json_real(seconds));
    json_object_set_new(o, "open_seconds", json_real(open_sec));
    json_object_set_new(o, "decode_workers", json_integer(fs.decode_workers));
    json_object_set_new(o, "status", json_string(st.degraded ? "degraded" : "ok"));
    if (st.degraded) json_object_set_new(o, "message", json_string(st.message));
    if (out_dir) json_object_set_new(o, "output_dir", json_string(out_dir));
    json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(10));
    fputc('\n', stdout);
    json_decref(o);
    dc_frame_set_free(&fs);
    return CLI_EXIT_OK;
}
