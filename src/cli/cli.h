/* Subcommands of the dashclaim executable. Each lives in its own cmd_<name>.c and returns
 * the process exit code, one of these. */
#ifndef DASHCLAIM_CLI_H
#define DASHCLAIM_CLI_H

#include "dashclaim/status.h"

enum {
    CLI_EXIT_OK = 0,       /* done; for assess and bench also when some videos failed (their
                            records say so) */
    CLI_EXIT_INPUT = 1,    /* the input could not be processed (probe, frames, calibrate), the
                            store or server could not start (serve, worker, keys, audit) */
    CLI_EXIT_USAGE = 2,    /* bad command line, or a file it names (model, labels) is unusable */
    CLI_EXIT_OUTPUT = 3,   /* the output could not be written (assess, bench, frames -o) */
    CLI_EXIT_TAMPERED = 4, /* audit verify (or checkpoint) found the audit trail or the tables
                              tampered with: the output names the first bad row */
};

/* Prints {"error": {"class": ..., "message": ...}} on stdout (probe and frames answer in JSON,
 * failures included); returns CLI_EXIT_INPUT. */
int cli_print_error(const dc_status *st);

/* DASHCLAIM_DECODE_WORKERS, the sample requests' decode_workers: 0 (one per core) when unset
 * or not a positive number. The library reads no environment; the commands pass this on. */
int cli_env_decode_workers(void);

/* Ends the process now with code, its output flushed, running no exit handler: for a service
 * stop that left a thread inside the model (dc_workers_stop false), whose engine exit's
 * destructors would free under it. */
_Noreturn void cli_exit_now(int code);

/* Seconds since this process started (before main: loading its libraries), from
 * /proc/self/stat at the clock tick's resolution; 0 when it cannot be told. */
double cli_process_age_sec(void);

int cli_cmd_probe(int argc, char **argv);
int cli_cmd_frames(int argc, char **argv);
int cli_cmd_assess(int argc, char **argv);
int cli_cmd_bench(int argc, char **argv);
int cli_cmd_calibrate(int argc, char **argv);
int cli_cmd_serve(int argc, char **argv);
int cli_cmd_worker(int argc, char **argv);
int cli_cmd_keys(int argc, char **argv);
int cli_cmd_audit(int argc, char **argv);
int cli_cmd_telemetry(int argc, char **argv);
int cli_cmd_match(int argc, char **argv);

#endif
