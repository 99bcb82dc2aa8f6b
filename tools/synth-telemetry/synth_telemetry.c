/* synth-telemetry: adds dashcam telemetry of a scene (a steady drive, a jolt at the impact,
 * the speed falling to 0 after it) to a video made by synth-video, in one of the formats
 * dashclaim reads, for tests, benchmarks and trying `dashclaim telemetry`:
 *   synth-telemetry --format F --in VIDEO.mp4 -o OUT.mp4 [--duration S] [--impact S]
 * Formats: gpmf (GPS5 18 Hz + ACCL 200 Hz), gpmf9 (GPS9 10 Hz + ACCL), novatek-float,
 * novatek-a119v3, novatek-double (1 Hz), nmea (OUT.nmea beside a copy of the video),
 * blackvue (OUT.gps + OUT.3gf beside a copy); the second set: text-nmea, text-thinkware,
 * text-pndm, camm, 70mai, novatek-xor, novatek-rmc16, novatek-nmea, novatek-ts (--in a .ts);
 * the third: ssmd-rove, ssmd-fabricated, ssmd-ligo, ligogps-trailer, atc, blackvue-box,
 * gpx (OUT.gpx beside a copy), nmea-gsensor (OUT.nmea with $GSENSOR lines); the fourth:
 * novatek-a810 (70mai A810 freeGPS blocks), ligogps-ts (--in a .ts); the fifth:
 * ligogps-cipher (the digit cipher as a trailer; --duration 12 or more for a reader to learn
 * its table), novatek-a810-cold (the first 3 s without a fix), gpmf-orin (ACCL and GYRO stored
 * Y,-X,Z with ORIN "YxZ"), gpmf-hero6 (the same order, no ORIN, DVNM "Hero6 Black"), vueroid
 * (the tvxt track, 20 records a second). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry_writers5.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: synth-telemetry --format gpmf|gpmf9|novatek-float|novatek-a119v3|"
            "novatek-double|nmea|blackvue|text-nmea|text-thinkware|text-pndm|camm|70mai|"
            "novatek-xor|novatek-rmc16|novatek-nmea|novatek-ts|ssmd-rove|ssmd-fabricated|"
            "ssmd-ligo|ligogps-trailer|atc|blackvue-box|gpx|nmea-gsensor|novatek-a810|ligogps-ts|"
            "ligogps-cipher|novatek-a810-cold|gpmf-orin|gpmf-hero6|vueroid\n"
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
    } else if (!strcmp(format, "novatek-float") || !strcmp(format, "novatek-a119v3") ||
               !strcmp(format, "novatek-double")) {
        tw_novatek_layout l = !strcmp(format + 8, "a119v3")   ? TW_NOVATEK_A119V3
                              : !strcmp(format + 8, "double") ? TW_NOVATEK_DOUBLE
                                                              : TW_NOVATEK_FLOAT;
        rc = 0;
        for (int k = 0; k < n && !rc; k++) rc = tw_novatek_block(&s, l, k, false, &items[k]);
        if (!rc) rc = tw_mp4_add_novatek(in, out, items, n);
    } else if (!strncmp(format, "text-", 5)) {
        tw2_text_kind k = !strcmp(format + 5, "thinkware") ? TW2_TEXT_THINKWARE
                          : !strcmp(format + 5, "pndm")    ? TW2_TEXT_PNDM
                                                           : TW2_TEXT_NMEA;
        rc = tw2_mp4_add_text_track(&s, k, in, out);
    } else if (!strcmp(format, "camm")) {
        rc = tw2_mp4_add_camm(&s, 100, 0, in, out);
    } else if (!strcmp(format, "70mai")) {
        rc = tw2_mp4_add_70mai(&s, in, out);
    } else if (!strcmp(format, "novatek-xor") || !strcmp(format, "novatek-rmc16") ||
               !strcmp(format, "novatek-nmea")) {
        tw2_novatek_text k = !strcmp(format + 8, "xor")     ? TW2_NVT_XOR
                             : !strcmp(format + 8, "rmc16") ? TW2_NVT_RMC16
                                                            : TW2_NVT_NMEA;
        rc = tw2_mp4_add_novatek_text(&s, k, 0, in, out);
    } else if (!strcmp(format, "novatek-ts")) {
        rc = tw2_ts_add_novatek(&s, in, out);
    } else if (!strncmp(format, "ssmd-", 5)) {
        tw3_ssmd_kind k = !strcmp(format + 5, "fabricated") ? TW3_SSMD_FABRICATED
                          : !strcmp(format + 5, "ligo")     ? TW3_SSMD_LIGO
                                                            : TW3_SSMD_ROVE;
        rc = tw3_mp4_add_ssmd(&s, k, 10, in, out);
    } else if (!strcmp(format, "ligogps-cipher")) {
        rc = tw5_add_ligogps_cipher_trailer(&s, in, out);
    } else if (!strcmp(format, "novatek-a810-cold")) {
        rc = tw5_mp4_add_a810_cold(&s, 3, in, out);
    } else if (!strcmp(format, "gpmf-orin") || !strcmp(format, "gpmf-hero6")) {
        bool orin = !strcmp(format, "gpmf-orin");
        rc = tw5_mp4_add_gpmf_oriented(&s, "YxZ", orin, orin ? "HERO8 Black" : "Hero6 Black", in,
                                       out);
    } else if (!strcmp(format, "vueroid")) {
        rc = tw5_mp4_add_vueroid(&s, 20, 0, in, out);
    } else if (!strcmp(format, "novatek-a810")) {
        rc = tw4_mp4_add_a810(&s, in, out);
    } else if (!strcmp(format, "ligogps-ts")) {
        rc = tw4_ts_add_ligogps(&s, in, out);
    } else if (!strcmp(format, "ligogps-trailer")) {
        rc = tw3_add_ligogps_trailer(&s, in, out);
    } else if (!strcmp(format, "atc")) {
        rc = tw3_mp4_add_atc(&s, in, out);
    } else if (!strcmp(format, "blackvue-box")) {
        rc = tw3_mp4_add_blackvue_box(&s, in, out);
    } else if (!strcmp(format, "gpx")) {
        rc = tw3_gpx(&s, &a) || copy_file(in, out) || write_sidecar(out, ".gpx", &a);
    } else if (!strcmp(format, "nmea-gsensor")) {
        rc = tw3_nmea_gsensor(&s, 10, &a) || copy_file(in, out) || write_sidecar(out, ".nmea", &a);
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
