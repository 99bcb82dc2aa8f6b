/* dashclaim telemetry FILE...: the dashcam's own GPS and G-sensor data (telemetry.h), one
 * result per file as JSON (one object a line), CSV or GPX.
 *
 * The lists can hold a million samples, so the output is written as it goes rather than
 * built as a jansson tree first; jansson only escapes the strings. */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dashclaim/telemetry.h"

typedef enum { OUT_JSON, OUT_CSV, OUT_GPX } out_format;

static void telemetry_usage(FILE *f) {
    fprintf(f, "usage: dashclaim telemetry [--format json|csv|gpx] [--timeout S] FILE...\n"
               "Reads the GPS fixes and acceleration a dashcam wrote into FILE or beside it and\n"
               "prints them on the video's clock. Formats, in the order they are tried:\n");
    for (int i = 0; i < dc_telemetry_format_count(); i++)
        fprintf(f, "  %s\n", dc_telemetry_format_name(i));
    fprintf(
        f,
        "  --format json  one object a file (default): {\"schema\":\"dashclaim.telemetry/1\",\n"
        "                 \"file\",\"source\" (null: none),\"variant\",\"device\",\"status\",\n"
        "                 \"reason\",\"gps\":[{\"t_sec\",\"utc\",\"lat\",\"lon\",\"speed_kmh\",\n"
        "                 "
        "\"heading_deg\",\"valid\"}],\"accel\":[{\"t_sec\",\"x_g\",\"y_g\",\"z_g\"}],\n"
        "                 \"gyro\":[{\"t_sec\",\"x_rad_s\",\"y_rad_s\",\"z_rad_s\"}]}\n"
        "                 utc is ISO 8601 (UTC, milliseconds) or null; lat and lon are null\n"
        "                 without a fix; speed and heading null when not recorded.\n"
        "  --format csv   one row per fix or sample: file,kind,t_sec,utc,lat,lon,speed_kmh,\n"
        "                 heading_deg,valid,x_g,y_g,z_g\n"
        "  --format gpx   a GPX 1.1 track of the valid fixes of each file\n"
        "  --timeout S    stop reading a file after S seconds (default 60; what was read is\n"
        "                 printed, marked degraded)\n"
        "Damaged telemetry is reported (status \"degraded\" and a reason) and exits 0; a file\n"
        "that cannot be opened prints {\"file\",\"error\"} and the command exits 1.\n");
}

/* "2026-12-07T10:11:12.345Z" */
static void iso_utc(int64_t ms, char *out, size_t size) {
    time_t sec = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int rest = (int)(ms - (int64_t)sec * 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rest);
}

/* A JSON string literal (or null) for s. */
static void put_string(FILE *out, const char *s) {
    if (!s) {
        fputs("null", out);
        return;
    }
    json_t *j = json_string(s);
    char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    fputs(text ? text : "null", out);
    free(text);
    json_decref(j);
}

static void put_number(FILE *out, double v, int decimals) {
    if (v < 0 && v == -1) fputs("null", out);
    else fprintf(out, "%.*f", decimals, v);
}

static void print_json(FILE *out, const char *path, const dc_telemetry *t) {
    fputs("{\"schema\":\"dashclaim.telemetry/1\",\"file\":", out);
    put_string(out, path);
    fputs(",\"source\":", out);
    put_string(out, t->source);
    fputs(",\"variant\":", out);
    put_string(out, t->variant);
    fputs(",\"device\":", out);
    put_string(out, t->device[0] ? t->device : NULL);
    fprintf(out, ",\"status\":\"%s\",\"reason\":", t->degraded ? "degraded" : "ok");
    put_string(out, t->degraded ? t->reason : NULL);
    fputs(",\"gps\":[", out);
    for (int i = 0; i < t->gps_count; i++) {
        const dc_gps_fix *f = &t->gps[i];
        char utc[96] = "null";
        if (f->utc_ms != DC_TELEMETRY_NO_UTC) {
            utc[0] = '"';
            iso_utc(f->utc_ms, utc + 1, sizeof utc - 2);
            strcat(utc, "\"");
        }
        fprintf(out, "%s{\"t_sec\":%.4f,\"utc\":%s,\"lat\":", i ? "," : "", f->t_sec, utc);
        if (f->valid) fprintf(out, "%.7f,\"lon\":%.7f", f->lat, f->lon);
        else fputs("null,\"lon\":null", out);
        fputs(",\"speed_kmh\":", out);
        put_number(out, f->speed_kmh, 2);
        fputs(",\"heading_deg\":", out);
        put_number(out, f->heading_deg, 2);
        fprintf(out, ",\"valid\":%s}", f->valid ? "true" : "false");
    }
    fputs("],\"accel\":[", out);
    for (int i = 0; i < t->accel_count; i++) {
        const dc_accel_sample *a = &t->accel[i];
        fprintf(out, "%s{\"t_sec\":%.4f,\"x_g\":%.4f,\"y_g\":%.4f,\"z_g\":%.4f}", i ? "," : "",
                a->t_sec, a->x, a->y, a->z);
    }
    fputs("],\"gyro\":[", out);
    for (int i = 0; i < t->gyro_count; i++) {
        const dc_gyro_sample *g = &t->gyro[i];
        fprintf(out, "%s{\"t_sec\":%.4f,\"x_rad_s\":%.5f,\"y_rad_s\":%.5f,\"z_rad_s\":%.5f}",
                i ? "," : "", g->t_sec, g->x, g->y, g->z);
    }
    fputs("]}\n", out);
}

/* CSV: the path is quoted when it holds a comma, a quote or a line break. */
static void put_csv_path(FILE *out, const char *path) {
    if (!strpbrk(path, ",\"\n\r")) {
        fputs(path, out);
        return;
    }
    fputc('"', out);
    for (const char *c = path; *c; c++) {
        if (*c == '"') fputc('"', out);
        fputc(*c, out);
    }
    fputc('"', out);
}

static void print_csv(FILE *out, const char *path, const dc_telemetry *t) {
    for (int i = 0; i < t->gps_count; i++) {
        const dc_gps_fix *f = &t->gps[i];
        char utc[96] = "";
        if (f->utc_ms != DC_TELEMETRY_NO_UTC) iso_utc(f->utc_ms, utc, sizeof utc);
        put_csv_path(out, path);
        fprintf(out, ",gps,%.4f,%s,", f->t_sec, utc);
        if (f->valid) fprintf(out, "%.7f,%.7f,", f->lat, f->lon);
        else fputs(",,", out);
        if (f->speed_kmh >= 0) fprintf(out, "%.2f", f->speed_kmh);
        fputc(',', out);
        if (f->heading_deg >= 0) fprintf(out, "%.2f", f->heading_deg);
        fprintf(out, ",%d,,,\n", f->valid ? 1 : 0);
    }
    for (int i = 0; i < t->accel_count; i++) {
        const dc_accel_sample *a = &t->accel[i];
        put_csv_path(out, path);
        fprintf(out, ",accel,%.4f,,,,,,,%.4f,%.4f,%.4f\n", a->t_sec, a->x, a->y, a->z);
    }
}

/* XML text: & < > " escaped. */
static void put_xml(FILE *out, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

static void print_gpx_track(FILE *out, const char *path, const dc_telemetry *t) {
    fputs("<trk><name>", out);
    put_xml(out, path);
    fputs("</name><trkseg>\n", out);
    for (int i = 0; i < t->gps_count; i++) {
        const dc_gps_fix *f = &t->gps[i];
        if (!f->valid) continue;
        fprintf(out, "<trkpt lat=\"%.7f\" lon=\"%.7f\">", f->lat, f->lon);
        if (f->utc_ms != DC_TELEMETRY_NO_UTC) {
            char utc[96];
            iso_utc(f->utc_ms, utc, sizeof utc);
            fprintf(out, "<time>%s</time>", utc);
        }
        fputs("</trkpt>\n", out);
    }
    fputs("</trkseg></trk>\n", out);
}

int cli_cmd_telemetry(int argc, char **argv) {
    out_format format = OUT_JSON;
    double timeout = 60;
    static const struct option longs[] = {
        {"format", 1, 0, 'f'}, {"timeout", 1, 0, 't'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!strcmp(optarg, "json")) format = OUT_JSON;
            else if (!strcmp(optarg, "csv")) format = OUT_CSV;
            else if (!strcmp(optarg, "gpx")) format = OUT_GPX;
            else {
                fprintf(stderr, "dashclaim telemetry: --format is json, csv or gpx\n");
                return CLI_EXIT_USAGE;
            }
            break;
        case 't': timeout = atof(optarg); break;
        case 'h': telemetry_usage(stdout); return CLI_EXIT_OK;
        default: telemetry_usage(stderr); return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        telemetry_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (format == OUT_CSV)
        puts("file,kind,t_sec,utc,lat,lon,speed_kmh,heading_deg,valid,x_g,y_g,z_g");
    if (format == OUT_GPX)
        puts("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<gpx version=\"1.1\" creator=\"dashclaim\" "
             "xmlns=\"http://www.topografix.com/GPX/1/1\">");
    int rc = CLI_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        dc_telemetry t;
        dc_status st = DC_STATUS_OK;
        if (dc_telemetry_read(argv[i], dc_deadline_in(timeout), &t, &st) != DC_OK) {
            rc = CLI_EXIT_INPUT;
            if (format == OUT_JSON) {
                fputs("{\"file\":", stdout);
                put_string(stdout, argv[i]);
                fprintf(stdout,
                        ",\"error\":{\"class\":\"%s\",\"message\":", dc_error_class_name(st.code));
                put_string(stdout, st.message);
                fputs("}}\n", stdout);
            } else {
                fprintf(stderr, "dashclaim telemetry: %s\n", st.message);
            }
            dc_telemetry_free(&t);
            continue;
        }
        if (format == OUT_JSON) print_json(stdout, argv[i], &t);
        else if (format == OUT_CSV) print_csv(stdout, argv[i], &t);
        else print_gpx_track(stdout, argv[i], &t);
        if (t.degraded && format != OUT_JSON)
            fprintf(stderr, "dashclaim telemetry: %s: %s\n", argv[i], t.reason);
        dc_telemetry_free(&t);
    }
    if (format == OUT_GPX) puts("</gpx>");
    if (fflush(stdout) != 0) return CLI_EXIT_OUTPUT;
    return rc;
}
