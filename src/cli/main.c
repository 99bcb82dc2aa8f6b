#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"assess", cli_cmd_assess, "assess dashcam videos and print claim assessments (JSON)"},
    {"bench", cli_cmd_bench,
     "assess a folder or manifest of videos and report rates, latency, memory"},
    {"calibrate", cli_cmd_calibrate,
     "fit conformal prediction thresholds from labelled assessments"},
    {"probe", cli_cmd_probe, "print a video's container and stream facts as JSON"},
    {"frames", cli_cmd_frames, "sample frames from a time range (timing, optional JPEG output)"},
    {"serve", cli_cmd_serve, "the claims HTTP API, review page and workers on a store"},
    {"worker", cli_cmd_worker, "assess queued claims from a store (no HTTP)"},
    {"keys", cli_cmd_keys, "add, list or revoke the service's API keys"},
    {"audit", cli_cmd_audit, "verify, checkpoint (sign) or list the service's audit trail"},
    {"telemetry", cli_cmd_telemetry, "print the GPS and G-sensor data a dashcam wrote"},
    {"match", cli_cmd_match, "list the store's claims that show a video's footage (JSON)"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: dashclaim COMMAND [options] [args]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'dashclaim COMMAND --help' shows a command's options.\n"
                 "'dashclaim --version' prints the version.\n");
}

_Noreturn void cli_exit_now(int code) {
    fflush(stdout);
    fflush(stderr);
    _exit(code);
}

int main(int argc, char **argv) {
    /* dashclaim's own messages name the file and the problem; FFmpeg's lines about the same
     * damage only repeat it less clearly. DASHCLAIM_AV_LOG=1 brings them back for debugging. */
    const char *av_log = getenv("DASHCLAIM_AV_LOG");
    av_log_set_level(av_log && *av_log && strcmp(av_log, "0") != 0 ? AV_LOG_INFO : AV_LOG_QUIET);
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("dashclaim %s\n", DC_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "dashclaim: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
