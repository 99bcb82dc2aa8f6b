/* libFuzzer harness: the camera file-name parser (dc_group_parse_name, src/group/conventions.c)
 * and the container creation_time reader grouping uses (group_parse_creation_time). The first
 * byte picks: even = a path, odd = a creation_time tag; the rest is the text (up to its first
 * NUL). Whatever the bytes, a match has a known row, a role and kind in range, a date that
 * exists, a key that is a string of that row; a miss leaves the value zeroed. Corpus:
 * tests/fuzz/corpus/group_name/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/calendar.h"
#include "group_internal.h"

static void check_name(const char *text) {
    dc_name_info n;
    bool hit = dc_group_parse_name(text, &n);
    if (!hit) {
        if (n.convention || n.segment != -1 || n.role != DC_ROLE_UNKNOWN || n.key[0]) abort();
        return;
    }
    bool known = false;
    for (int i = 0; i < dc_group_convention_count(); i++)
        known |= n.convention == dc_group_convention_name(i);
    if (!known || n.role < DC_ROLE_UNKNOWN || n.role >= DC_ROLE_COUNT ||
        n.kind <= DC_RECORDING_UNKNOWN || n.kind > DC_RECORDING_MANUAL || n.segment < -1 ||
        !group_valid_time(n.year, n.month, n.day, n.hour, n.minute, n.second) ||
        memchr(n.key, 0, sizeof n.key) == NULL ||
        strncmp(n.key, n.convention, strlen(n.convention)))
        abort();
    int64_t day = dc_days_from_civil(n.year, n.month, n.day);
    if (n.local_sec != day * 86400 + n.hour * 3600 + n.minute * 60 + n.second) abort();
}

static void check_creation(const char *text) {
    int64_t sec = -1;
    char out[32];
    memset(out, 'x', sizeof out);
    if (!group_parse_creation_time(text, &sec, out)) return;
    if (sec < 0 || !memchr(out, 0, sizeof out) || strlen(out) < 19) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 8192) return 0;
    char *text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    if (data[0] & 1) check_creation(text);
    else check_name(text);
    free(text);
    return 0;
}
