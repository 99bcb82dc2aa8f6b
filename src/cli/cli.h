/* Subcommands of the dashclaim executable. Each lives in its own cmd_<name>.c and returns
 * the process exit code: 0 success, 1 the input could not be processed (probe/frames),
 * 2 usage error. */
#ifndef DASHCLAIM_CLI_H
#define DASHCLAIM_CLI_H

int dc_cmd_probe(int argc, char **argv);
int dc_cmd_frames(int argc, char **argv);
int dc_cmd_assess(int argc, char **argv);
int dc_cmd_bench(int argc, char **argv);
int dc_cmd_calibrate(int argc, char **argv);

#endif
