/* libFuzzer harness: the bench's ground-truth readers (src/cli/ground_truth.c), a
 * `<video>.label.json` sidecar when the first byte is even, else a manifest CSV whose lines
 * are parsed one by one. A label is a severity in -1..3 and finite numbers; nothing crashes.
 * Corpus: tests/fuzz/corpus/ground_truth/. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "ground_truth.h"

static void check(const cli_ground_truth *t) {
    if (t->severity < -1 || t->severity > 3) abort();
    if (!isfinite(t->incident_sec) || !isfinite(t->fault_ratio)) abort();
    if (memchr(t->type, 0, sizeof t->type) == NULL) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    cli_ground_truth t;
    if (!(data[0] & 1)) {
        const char *path = fuzz_file("v.mp4.label.json", data + 1, size - 1);
        if (!path) return 0;
        char video[512];
        snprintf(video, sizeof video, "%.*s", (int)(strlen(path) - strlen(".label.json")), path);
        cli_truth_for_video(video, &t);
        check(&t);
        return 0;
    }
    char *text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        char path[4096];
        if (cli_truth_parse_manifest_line(line, path, sizeof path, &t)) {
            if (!memchr(path, 0, sizeof path)) abort();
            check(&t);
        }
    }
    free(text);
    return 0;
}
