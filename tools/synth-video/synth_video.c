/* synth-video: writes dashcam-like test videos from a scene: one file, optionally damaged the
 * ways real uploads are (cut off, corrupt bytes, no audio, variable frame rate, moov atom at the
 * end), or a whole recording - front, rear and cabin channels of loop-recorded segments named
 * as a real camera names them (recording.h). The encoding is encoder.c's. */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "camera_names.h"
#include "encoder.h"
#include "recording.h"
#include "scene.h"

typedef struct {
    const char *out, *scene, *out_dir;
    sv_encoding enc;
    double duration, incident_at;
    sv_damage dmg;
    const char *creation_time; /* single file: the container tag as given */
    /* pairs and series (recording.h) */
    sv_recording rec;
    bool channels_given;
} options;

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: synth-video [options] -o FILE\n"
        "       synth-video [options] --out DIR [--pair SCENE] [recording options]\n"
        "  --scene NAME       what the camera sees (default %s)\n"
        "  --duration S       length in seconds (default 10)\n"
        "  --incident-at S    incident time for scenes that have one (default: scene picks);\n"
        "                     with --out, on the whole recording's timeline\n"
        "  --size WxH         frame size (default 1280x720)\n"
        "  --fps N            frames per second (default 30)\n"
        "  --gop N            keyframe interval in frames (default = fps: 1 s)\n"
        "  --codec C          h264 (default), hevc or mjpeg\n"
        "  --crf N            x264/x265 quality (default 23)\n"
        "  --bframes N        x264/x265 B-frames between references (default 0, as most\n"
        "                     dashcams): decode order then differs from display order\n"
        "  --seed N           random seed (default 1)\n"
        "  --damage D         truncate | corrupt | noaudio | vfr | moov-end | undecodable\n"
        "  --rotate DEG       display rotation metadata: 90, 180 or 270 (clockwise)\n"
        "  --creation-time T  container creation_time tag (e.g. 2026-03-14T12:03:00Z)\n"
        "  -o FILE            output; container from the extension (.mp4 .mov .mkv .avi .ts)\n"
        "Writes FILE.label.json when the scene labels an incident.\n"
        "A recording (every channel of every segment, as a dashcam's card holds it):\n"
        "  --out DIR          the folder (created); files are named as --camera names them\n"
        "  --pair SCENE       --scene SCENE with the front and rear channels\n"
        "  --camera BRAND     blackvue (default), viofo, 70mai, nextbase, vantrue, thinkware,\n"
        "                     tesla\n"
        "  --channels LIST    front,rear,interior,left,right (default front; rear too with\n"
        "                     --pair)\n"
        "  --start T          the camera clock at the first frame (default 2026-03-14T12:03:00)\n"
        "  --segments N       loop segments, back to back (default 1)\n"
        "  --segment-sec S    each segment's length (default --duration)\n"
        "  --first-number N   the camera's file counter of the first segment (default 1)\n"
        "  --silent CH        channel CH has no audio stream (many rear cameras)\n"
        "  --undecodable CH   channel CH's video does not decode (headers intact)\n"
        "  --shorter CH=S     channel CH stops S seconds before the others\n"
        "  --late CH=S        channel CH starts S seconds after the others (its first file\n"
        "                     runs to the next segment boundary)\n"
        "  --clock-jump K=S   from segment K (0-based) on, names and creation times run S\n"
        "                     seconds ahead (a camera clock set mid-trip)\n"
        "Writes DIR/recording.label.json (incident on the timeline, its file and channel,\n"
        "every file) and FILE.label.json per file; prints the files' paths.\nscenes:\n",
        sv_default_scene_name());
    for (int i = 0; sv_scene_at(i); i++)
        fprintf(f, "  %-12s %s\n", sv_scene_at(i)->name, sv_scene_at(i)->summary);
}

static bool channel_arg(const char *arg, sv_camera *c) {
    if (sv_camera_from_role_name(arg, c)) return true;
    fprintf(stderr, "synth-video: unknown channel '%s'\n", arg);
    return false;
}

/* "front,rear,interior" */
static bool parse_channels(const char *arg, sv_recording *r) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", arg);
    r->channel_count = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        sv_camera c;
        if (!channel_arg(tok, &c)) return false;
        for (int i = 0; i < r->channel_count; i++)
            if (r->channels[i] == c) return false;
        r->channels[r->channel_count++] = c;
    }
    return r->channel_count > 0;
}

static int parse(int argc, char **argv, options *o) {
    *o = (options){.enc = {.width = 1280,
                           .height = 720,
                           .fps = 30,
                           .seed = 1,
                           .codec = "h264",
                           .crf = 23,
                           .audio_rate = 48000},
                   .duration = 10,
                   .incident_at = -1,
                   .rec = {.brand = "blackvue",
                           .channels = {SV_CAMERA_FRONT},
                           .channel_count = 1,
                           .segments = 1,
                           .first_number = 1}};
    o->scene = sv_default_scene_name();
    sv_parse_wall_clock("2026-03-14T12:03:00", &o->rec.start);
    sv_encoding *e = &o->enc;
    sv_recording *r = &o->rec;
    enum {
        O_SCENE = 256,
        O_DUR,
        O_INC,
        O_SIZE,
        O_FPS,
        O_GOP,
        O_CODEC,
        O_SEED,
        O_DMG,
        O_CRF,
        O_ROT,
        O_BFRAMES,
        O_CTIME,
        O_OUT,
        O_PAIR,
        O_CAMERA,
        O_CHANNELS,
        O_START,
        O_SEGMENTS,
        O_SEGSEC,
        O_FIRST,
        O_SILENT,
        O_UNDEC,
        O_SHORTER,
        O_LATE,
        O_JUMP
    };
    static const struct option longs[] = {{"scene", 1, 0, O_SCENE},
                                          {"duration", 1, 0, O_DUR},
                                          {"incident-at", 1, 0, O_INC},
                                          {"size", 1, 0, O_SIZE},
                                          {"fps", 1, 0, O_FPS},
                                          {"gop", 1, 0, O_GOP},
                                          {"codec", 1, 0, O_CODEC},
                                          {"seed", 1, 0, O_SEED},
                                          {"damage", 1, 0, O_DMG},
                                          {"crf", 1, 0, O_CRF},
                                          {"rotate", 1, 0, O_ROT},
                                          {"bframes", 1, 0, O_BFRAMES},
                                          {"creation-time", 1, 0, O_CTIME},
                                          {"out", 1, 0, O_OUT},
                                          {"pair", 1, 0, O_PAIR},
                                          {"camera", 1, 0, O_CAMERA},
                                          {"channels", 1, 0, O_CHANNELS},
                                          {"start", 1, 0, O_START},
                                          {"segments", 1, 0, O_SEGMENTS},
                                          {"segment-sec", 1, 0, O_SEGSEC},
                                          {"first-number", 1, 0, O_FIRST},
                                          {"silent", 1, 0, O_SILENT},
                                          {"undecodable", 1, 0, O_UNDEC},
                                          {"shorter", 1, 0, O_SHORTER},
                                          {"late", 1, 0, O_LATE},
                                          {"clock-jump", 1, 0, O_JUMP},
                                          {"help", 0, 0, 'h'},
                                          {0, 0, 0, 0}};
    bool pair = false;
    int c;
    sv_camera ch;
    char name[32];
    double sec;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case O_SCENE: o->scene = optarg; break;
        case O_DUR: o->duration = atof(optarg); break;
        case O_INC: o->incident_at = atof(optarg); break;
        case O_SIZE:
            if (sscanf(optarg, "%dx%d", &e->width, &e->height) != 2) return 2;
            break;
        case O_FPS: e->fps = atof(optarg); break;
        case O_GOP: e->gop = atoi(optarg); break;
        case O_CODEC: e->codec = optarg; break;
        case O_SEED: e->seed = strtoull(optarg, NULL, 10); break;
        case O_CRF: e->crf = atoi(optarg); break;
        case O_ROT: e->rotate = atoi(optarg); break;
        case O_BFRAMES: e->bframes = atoi(optarg); break;
        case O_CTIME: o->creation_time = optarg; break;
        case O_DMG:
            if (!strcmp(optarg, "truncate")) o->dmg = SV_DMG_TRUNCATE;
            else if (!strcmp(optarg, "corrupt")) o->dmg = SV_DMG_CORRUPT;
            else if (!strcmp(optarg, "noaudio")) o->dmg = SV_DMG_NOAUDIO;
            else if (!strcmp(optarg, "vfr")) o->dmg = SV_DMG_VFR;
            else if (!strcmp(optarg, "moov-end")) o->dmg = SV_DMG_MOOV_END;
            else if (!strcmp(optarg, "undecodable")) o->dmg = SV_DMG_UNDECODABLE;
            else return 2;
            break;
        case O_OUT: o->out_dir = optarg; break;
        case O_PAIR:
            o->scene = optarg;
            pair = true;
            break;
        case O_CAMERA:
            if (!sv_camera_brand_known(optarg)) {
                fprintf(stderr, "synth-video: unknown camera '%s'\n", optarg);
                return 2;
            }
            r->brand = optarg;
            break;
        case O_CHANNELS:
            if (!parse_channels(optarg, r)) return 2;
            o->channels_given = true;
            break;
        case O_START:
            if (!sv_parse_wall_clock(optarg, &r->start)) {
                fprintf(stderr, "synth-video: --start wants YYYY-MM-DDTHH:MM:SS\n");
                return 2;
            }
            break;
        case O_SEGMENTS: r->segments = atoi(optarg); break;
        case O_SEGSEC: r->segment_sec = atof(optarg); break;
        case O_FIRST: r->first_number = atoi(optarg); break;
        case O_SILENT:
            if (!channel_arg(optarg, &ch)) return 2;
            r->silent |= 1u << ch;
            break;
        case O_UNDEC:
            if (!channel_arg(optarg, &ch)) return 2;
            r->undecodable |= 1u << ch;
            break;
        case O_SHORTER:
            if (sscanf(optarg, "%31[a-z]=%lf", name, &sec) != 2 || !channel_arg(name, &ch) ||
                !(sec > 0))
                return 2;
            r->shorter_sec[ch] = sec;
            break;
        case O_LATE:
            if (sscanf(optarg, "%31[a-z]=%lf", name, &sec) != 2 || !channel_arg(name, &ch) ||
                !(sec > 0))
                return 2;
            r->late_sec[ch] = sec;
            break;
        case O_JUMP:
            if (sscanf(optarg, "%d=%lf", &r->clock_jump_segment, &r->clock_jump_sec) != 2 ||
                r->clock_jump_segment < 1)
                return 2;
            break;
        case 'h': usage(stdout); exit(0);
        default: return 2;
        }
    }
    if (!o->out == !o->out_dir || optind != argc) {
        fprintf(stderr, "synth-video: give either -o FILE or --out DIR\n");
        return 2;
    }
    if (pair && !o->channels_given) {
        r->channels[1] = SV_CAMERA_REAR;
        r->channel_count = 2;
    }
    if (e->width < 16 || e->height < 16 || e->width % 2 || e->height % 2) {
        fprintf(stderr, "synth-video: --size needs even sides of at least 16\n");
        return 2;
    }
    if (!(e->fps > 0 && e->fps <= 240) || !(o->duration > 0)) {
        fprintf(stderr, "synth-video: --fps must be in (0, 240] and --duration > 0\n");
        return 2;
    }
    if (e->gop <= 0) e->gop = (int)lround(e->fps);
    if (e->bframes < 0 || e->bframes > 16) {
        fprintf(stderr, "synth-video: --bframes must be in [0, 16]\n");
        return 2;
    }
    if (e->rotate % 90 || e->rotate < 0 || e->rotate >= 360) {
        fprintf(stderr, "synth-video: --rotate must be 0, 90, 180 or 270\n");
        return 2;
    }
    if (o->out_dir) {
        if (r->segment_sec <= 0) r->segment_sec = o->duration;
        if (r->segments < 1 || r->segments > 1000 || r->first_number < 0 ||
            r->segments * r->segment_sec > 6 * 3600) {
            fprintf(stderr, "synth-video: --segments in [1, 1000], at most 6 hours in all\n");
            return 2;
        }
        if (o->dmg != SV_DMG_NONE) {
            fprintf(stderr, "synth-video: with --out, damage one channel: --silent, "
                            "--undecodable\n");
            return 2;
        }
    }
    return 0;
}

static int fail(const char *what) {
    fprintf(stderr, "synth-video: %s\n", what);
    return 1;
}

static void write_label(const sv_scene_class *cls, sv_scene *scene, const char *out,
                        double duration) {
    if (!cls->label_json) return;
    char buf[8192] = "";
    cls->label_json(scene, 0, duration, buf, sizeof buf);
    size_t n = strlen(out) + 16;
    char *path = malloc(n);
    if (!path) return;
    snprintf(path, n, "%s.label.json", out);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%s\n", buf);
        fclose(f);
    } else {
        fprintf(stderr, "synth-video: cannot write %s\n", path);
    }
    free(path);
}

/* One file: the whole scene from 0, and its label. */
static int write_single(const options *o, const sv_scene_class *cls) {
    sv_scene_params sp = {.duration_sec = o->duration,
                          .incident_sec = o->incident_at,
                          .width = o->enc.width,
                          .height = o->enc.height,
                          .fps = o->enc.fps,
                          .seed = o->enc.seed,
                          .audio_rate = o->enc.audio_rate};
    sv_scene *scene = cls->create(&sp);
    if (!scene) return fail("cannot create the scene");
    sv_file_job job = {.path = o->out,
                       .cls = cls,
                       .scene = scene,
                       .t0_sec = 0,
                       .duration_sec = o->duration,
                       .damage = o->dmg,
                       .creation_time = o->creation_time};
    long corrupted = 0;
    int rc = sv_encode_file(&o->enc, &job, &corrupted);
    if (!rc) write_label(cls, scene, o->out, o->duration);
    if (!rc && o->dmg == SV_DMG_CORRUPT)
        fprintf(stderr, "synth-video: corrupted %ld video packets\n", corrupted);
    cls->destroy(scene);
    return rc;
}

/* LeakSanitizer hook (sanitizer builds only): libx265 keeps some allocations past
 * x265_encoder_close. They are not ours to free. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libx265.so\n"; }

int main(int argc, char **argv) {
    options o;
    int rc = parse(argc, argv, &o);
    if (rc) {
        usage(stderr);
        return rc;
    }
    av_log_set_level(AV_LOG_ERROR);
    const sv_scene_class *cls = sv_scene_find(o.scene);
    if (!cls) {
        fprintf(stderr, "synth-video: unknown scene '%s'\n", o.scene);
        usage(stderr);
        return 2;
    }
    if (!o.out_dir) return write_single(&o, cls);
    o.rec.out_dir = o.out_dir;
    o.rec.cls = cls;
    o.rec.incident_at = o.incident_at;
    return sv_write_recording(&o.enc, &o.rec);
}
