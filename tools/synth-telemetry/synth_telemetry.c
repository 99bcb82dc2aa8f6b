/* synth-telemetry: adds dashcam telemetry of a scene (a steady drive, a jolt at the impact,
 * the speed falling to 0 after it) to a video made by synth-video, in one of the formats
 * dashclaim reads, for tests, benchmarks and trying `dashclaim telemetry`:
 *   synth-telemetry --format F --in VIDEO.mp4 -o OUT.mp4 [--duration S] [--impact S]
 * Formats: gpmf (GPS5 18 Hz + ACCL 200 Hz), gpmf9 (GPS9 10 Hz + ACCL), novatek-float,
 * novatek-a119v3, novatek-double (1 Hz), nmea (OUT.nmea beside a copy of the video),
 * blackvue (OUT.gps + OUT.3gf beside a copy). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry_writers.h"

static void usage(FILE *f) {
    fprintf(f, "usage: synth-telemetry --format gpmf|gpmf9|novatek-float|novatek-a119v3|"
               "novatek-double|nmea|blackvue\n"
               "       --in VIDEO.mp4 -o OUT.mp4 [--duration S] [--impact S]\n");
}

/* OUT less its extension + ext */
static int write_sidecar(const char *out, const char *ext, const tw_buf *b) {
    char path[4096];
    const char *dot = strrchr(out, '.');
    int stem = dot ? (int)(dot - out) : (int)strlen(out);
    snprintf(path, sizeof path, "%.*s%s", stem, out, ext);
    return tw_write_file(path, b->p, b->n);
}

static int copy_file(const char *in, const char *out) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", in, out);
    return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    const char *format = NULL, *in = NULL, *out = NULL;
    tw_scene s;
    tw_scene_default(&s);
    static const struct option longs[] = {{"format", 1, 0, 'f'},   {"in", 1, 0, 'i'},
                                          {"duration", 1, 0, 'd'}, {"impact", 1, 0, 'I'},
                                          {"help", 0, 0, 'h'},     {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'i': in = optarg; break;
        case 'o': out = optarg; break;
        case 'd': s.duration_sec = atof(optarg); break;
        case 'I': s.impact_sec = atof(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!format || !in || !out || s.duration_sec < 1 || s.duration_sec > 3600) {
        usage(stderr);
        return 2;
    }
    int n = (int)s.duration_sec, rc = -1;
    tw_buf *items = calloc((size_t)n, sizeof *items);
    tw_buf a = {0}, b = {0};
    if (!items) return 1;
    if (!strcmp(format, "gpmf") || !strcmp(format, "gpmf9")) {
        bool gps9 = !strcmp(format, "gpmf9");
        int got = tw_gpmf_payloads(&s, gps9 ? 10 : 18, 200, gps9, "Synth HERO", items, n);
        if (got == n) rc = tw_mp4_add_gpmd(in, out, items, n);
    } else if (!strncmp(format, "novatek-", 8)) {
        tw_novatek_layout l = !strcmp(format + 8, "a119v3")   ? TW_NOVATEK_A119V3
                              : !strcmp(format + 8, "double") ? TW_NOVATEK_DOUBLE
                                                              : TW_NOVATEK_FLOAT;
        rc = 0;
        for (int k = 0; k < n && !rc; k++) rc = tw_novatek_block(&s, l, k, false, &items[k]);
        if (!rc) rc = tw_mp4_add_novatek(in, out, items, n);
    } else if (!strcmp(format, "nmea")) {
        rc =
            tw_nmea_text(&s, 1, false, &a) || copy_file(in, out) || write_sidecar(out, ".nmea", &a);
    } else if (!strcmp(format, "blackvue")) {
        rc = tw_nmea_text(&s, 1, true, &a) || tw_3gf(&s, 10, &b) || copy_file(in, out) ||
             write_sidecar(out, ".gps", &a) || write_sidecar(out, ".3gf", &b);
    } else {
        usage(stderr);
        rc = 2;
    }
    for (int k = 0; k < n; k++) tw_buf_free(&items[k]);
    free(items);
    tw_buf_free(&a), tw_buf_free(&b);
    return rc == 0 ? 0 : rc == 2 ? 2 : 1;
}
