/* dashclaim calibrate: fit a conformal prediction threshold from labelled assessments, so
 * that later assessments carry calibrated prediction sets. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dashclaim/claim.h"

static void calibrate_usage(FILE *out) {
    fprintf(
        out,
        "usage: dashclaim calibrate --labels FILE --assessments FILE [--alpha A]\n"
        "                           [--method lac|aps] -o calib.json\n"
        "\n"
        "Fits a split-conformal threshold so that prediction sets contain the true severity\n"
        "for at least 1-alpha of claims like these.\n"
        "\n"
        "  --labels FILE       CSV, one \"claim_id,SEVERITY\" per line (NONE|LOW|MEDIUM|HIGH;\n"
        "                      '#' comments and a header line allowed)\n"
        "  --assessments FILE  assessment records from 'dashclaim assess' (NDJSON or a JSON\n"
        "                      array), paired with the labels by claim_id; failed ones and\n"
        "                      ones without severity probabilities are skipped\n"
        "  --alpha A           allowed miscoverage, 0 < A < 1 (default 0.1); needs at least\n"
        "                      1/A - 1 labelled assessments\n"
        "  --method M          lac (score 1 - p(true label), default) or aps (cumulative mass)\n"
        "  -o, --output FILE   where to write the calibration (JSON)\n"
        "  -h, --help          this text\n");
}

int cli_cmd_calibrate(int argc, char **argv) {
    static const struct option options[] = {
        {"labels", required_argument, NULL, 'l'},
        {"assessments", required_argument, NULL, 'a'},
        {"alpha", required_argument, NULL, 'A'},
        {"method", required_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *labels = NULL, *assessments = NULL, *output = NULL;
    double alpha = DC_DEFAULT_ALPHA;
    dc_conformal_method method = DC_CONFORMAL_LAC;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (c) {
        case 'l': labels = optarg; break;
        case 'a': assessments = optarg; break;
        case 'o': output = optarg; break;
        case 'A': {
            char *end;
            errno = 0;
            alpha = strtod(optarg, &end);
            if (errno || *end || !(alpha > 0 && alpha < 1)) {
                fprintf(stderr, "dashclaim calibrate: --alpha '%s' is not a number in (0,1)\n",
                        optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        }
        case 'm':
            if (!strcmp(optarg, "lac")) method = DC_CONFORMAL_LAC;
            else if (!strcmp(optarg, "aps")) method = DC_CONFORMAL_APS;
            else {
                fprintf(stderr, "dashclaim calibrate: --method must be lac or aps, not '%s'\n",
                        optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'h': calibrate_usage(stdout); return CLI_EXIT_OK;
        default: calibrate_usage(stderr); return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "dashclaim calibrate: unexpected argument '%s'\n", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (!labels || !assessments || !output) {
        fprintf(stderr, "dashclaim calibrate: --labels, --assessments and -o are required\n\n");
        calibrate_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    dc_calibration cal;
    dc_calibration_report rep;
    dc_status st;
    if (dc_calibration_fit_files(labels, assessments, alpha, method, &cal, &rep, &st) != DC_OK) {
        fprintf(stderr, "dashclaim calibrate: %s\n", st.message);
        return CLI_EXIT_INPUT;
    }
    if (dc_calibration_save(output, &cal, &st) != DC_OK) {
        fprintf(stderr, "dashclaim calibrate: %s\n", st.message);
        return CLI_EXIT_INPUT;
    }
    fprintf(
        stderr,
        "dashclaim calibrate: %d labels, %d assessments: %d paired, %d failed skipped, %d without "
        "probabilities skipped, %d unlabelled\n"
        "dashclaim calibrate: %s alpha %g -> qhat %.6f (n %d), written to %s\n",
        rep.labels, rep.assessments, rep.paired, rep.skipped_failed, rep.skipped_no_probs,
        rep.unlabelled, dc_conformal_method_name(cal.method), cal.alpha, cal.qhat, cal.n, output);
    return CLI_EXIT_OK;
}
