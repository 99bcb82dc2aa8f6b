/* How cameras name their files: one table, a row per convention, each a pattern over the
 * file name's stem plus the words its letters stand for (roles, kinds) and the folder names
 * the brand uses. The matcher reads the untrusted name strictly within its bounds: every
 * token consumes a known number of bytes, checked against the end before it is read, and the
 * whole stem must be used up. (group.h lists the rows and what they read.)
 *
 * Pattern tokens: %Y four-digit year, %y two-digit year (20YY), %m month, %d day, %H hour,
 * %M minute, %S second (two digits each), %<n>N a segment number of exactly n digits, %<n>D
 * n digits that are ignored, %K / %k a kind word (required / optional), %R / %r a role word
 * (required / optional), %x an optional ignored word; any other byte matches itself without
 * regard to case. An optional word is always followed by bytes none of its words start
 * with, so the matcher never needs to go back. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dashclaim/calendar.h"
#include "group_internal.h"

typedef struct {
    const char *text;
    int value;
} gr_word;

typedef struct {
    const char *name;
    dc_video_role role;     /* DC_ROLE_UNKNOWN = the folder says nothing of the role */
    dc_recording_kind kind; /* DC_RECORDING_UNKNOWN = nothing of the kind */
} gr_folder;

typedef struct {
    const char *name;
    const char *pattern;
    const gr_word *roles, *kinds, *extras; /* each ends with a NULL text */
    const gr_folder *folders;              /* ends with a NULL name; may be NULL */
    dc_video_role default_role;            /* when neither name nor folder gives one */
} gr_convention;

#define END_WORDS                                                                                  \
    { NULL, 0 }
static const gr_word letters_fri[] = {
    {"F", DC_ROLE_FRONT}, {"R", DC_ROLE_REAR}, {"I", DC_ROLE_INTERIOR}, END_WORDS};
static const gr_word blackvue_kinds[] = {{"N", DC_RECORDING_NORMAL},
                                         {"E", DC_RECORDING_EVENT},
                                         {"P", DC_RECORDING_PARKING},
                                         {"M", DC_RECORDING_MANUAL},
                                         END_WORDS};
static const gr_word viofo_kinds[] = {
    {"P", DC_RECORDING_PARKING}, {"E", DC_RECORDING_EVENT}, END_WORDS};
static const gr_word mai70_kinds[] = {{"NO", DC_RECORDING_NORMAL},
                                      {"EV", DC_RECORDING_EVENT},
                                      {"PA", DC_RECORDING_PARKING},
                                      {"LA", DC_RECORDING_PARKING},
                                      END_WORDS};
static const gr_word mai70_roles[] = {
    {"F", DC_ROLE_FRONT}, {"B", DC_ROLE_REAR}, {"I", DC_ROLE_INTERIOR}, END_WORDS};
static const gr_folder mai70_folders[] = {{"Front", DC_ROLE_FRONT, 0},
                                          {"Back", DC_ROLE_REAR, 0},
                                          {"Interior", DC_ROLE_INTERIOR, 0},
                                          {NULL, 0, 0}};
static const gr_word nextbase_roles[] = {
    {"F", DC_ROLE_FRONT}, {"R", DC_ROLE_REAR}, {"B", DC_ROLE_INTERIOR}, END_WORDS};
static const gr_word nextbase_quality[] = {{"H", 0}, {"L", 0}, END_WORDS};
static const gr_folder nextbase_folders[] = {{"Protected", 0, DC_RECORDING_EVENT}, {NULL, 0, 0}};
static const gr_word vantrue_roles[] = {
    {"A", DC_ROLE_FRONT}, {"B", DC_ROLE_REAR}, {"C", DC_ROLE_INTERIOR}, END_WORDS};
static const gr_folder vantrue_folders[] = {
    {"Event", 0, DC_RECORDING_EVENT}, {"Parking", 0, DC_RECORDING_PARKING}, {NULL, 0, 0}};
static const gr_word thinkware_kinds[] = {{"REC", DC_RECORDING_NORMAL},
                                          {"EVT", DC_RECORDING_EVENT},
                                          {"PARK", DC_RECORDING_PARKING},
                                          {"MAN", DC_RECORDING_MANUAL},
                                          END_WORDS};
static const gr_word thinkware_roles[] = {{"F", DC_ROLE_FRONT}, {"R", DC_ROLE_REAR}, END_WORDS};
static const gr_word tesla_roles[] = {{"front", DC_ROLE_FRONT},
                                      {"back", DC_ROLE_REAR},
                                      {"left_repeater", DC_ROLE_LEFT},
                                      {"right_repeater", DC_ROLE_RIGHT},
                                      {"left_pillar", DC_ROLE_LEFT},
                                      {"right_pillar", DC_ROLE_RIGHT},
                                      END_WORDS};
static const gr_folder tesla_folders[] = {{"RecentClips", 0, DC_RECORDING_NORMAL},
                                          {"SavedClips", 0, DC_RECORDING_MANUAL},
                                          {"SentryClips", 0, DC_RECORDING_PARKING},
                                          {NULL, 0, 0}};
static const gr_word no_words[] = {END_WORDS};

static const gr_convention conventions[] = {
    {"blackvue", "%Y%m%d_%H%M%S_%K%R", letters_fri, blackvue_kinds, no_words, NULL,
     DC_ROLE_UNKNOWN},
    {"viofo", "%Y_%m%d_%H%M%S_%3N%k%r", letters_fri, viofo_kinds, no_words, NULL, DC_ROLE_FRONT},
    {"viofo-new", "%Y%m%d%H%M%S_%6N%k%r", letters_fri, viofo_kinds, no_words, NULL, DC_ROLE_FRONT},
    {"70mai", "%K%Y%m%d-%H%M%S-%6N%r", mai70_roles, mai70_kinds, no_words, mai70_folders,
     DC_ROLE_FRONT},
    {"nextbase", "%y%m%d_%H%M%S_%3N_%R%x", nextbase_roles, no_words, nextbase_quality,
     nextbase_folders, DC_ROLE_UNKNOWN},
    {"vantrue", "%Y%m%d_%H%M%S_%5N_%1D_%R", vantrue_roles, no_words, no_words, vantrue_folders,
     DC_ROLE_UNKNOWN},
    {"thinkware", "%K_%Y_%m_%d_%H_%M_%S_%R", thinkware_roles, thinkware_kinds, no_words, NULL,
     DC_ROLE_UNKNOWN},
    {"tesla", "%Y-%m-%d_%H-%M-%S-%R", tesla_roles, no_words, no_words, tesla_folders,
     DC_ROLE_UNKNOWN},
};
enum { CONVENTION_COUNT = sizeof conventions / sizeof conventions[0] };

int dc_group_convention_count(void) { return CONVENTION_COUNT; }

const char *dc_group_convention_name(int i) {
    return i >= 0 && i < CONVENTION_COUNT ? conventions[i].name : NULL;
}

const char *dc_recording_kind_name(dc_recording_kind k) {
    static const char *const names[] = {"unknown", "normal", "event", "parking", "manual"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

/* A view of bytes that is not NUL-terminated where we need it to end. */
typedef struct {
    const char *p;
    size_t n;
} gr_span;

/* Reads exactly `digits` decimal digits at s[*at]; false when fewer remain or one is not a
 * digit. At most 9 digits, so the value fits an int. */
static bool take_number(gr_span s, size_t *at, int digits, int *value) {
    if (digits < 1 || digits > 9 || s.n - *at < (size_t)digits) return false;
    int v = 0;
    for (int i = 0; i < digits; i++) {
        unsigned char c = (unsigned char)s.p[*at + (size_t)i];
        if (!isdigit(c)) return false;
        v = v * 10 + (c - '0');
    }
    *at += (size_t)digits;
    *value = v;
    return true;
}

/* The longest word of the list that s continues with at *at, case-insensitively. */
static const gr_word *take_word(gr_span s, size_t *at, const gr_word *words) {
    const gr_word *best = NULL;
    size_t best_len = 0;
    for (const gr_word *w = words; w && w->text; w++) {
        size_t len = strlen(w->text);
        if (len > best_len && s.n - *at >= len && !strncasecmp(s.p + *at, w->text, len)) {
            best = w;
            best_len = len;
        }
    }
    if (best) *at += best_len;
    return best;
}

/* Matches the stem against one row; fills out (convention, role, segment, time, kind) from
 * the name alone. */
static bool match_row(const gr_convention *c, gr_span s, dc_name_info *out) {
    const char *p = c->pattern;
    size_t at = 0;
    int year = -1, month = -1, day = -1, hour = -1, minute = -1, second = -1;
    while (*p) {
        if (*p != '%') {
            if (at >= s.n || tolower((unsigned char)s.p[at]) != tolower((unsigned char)*p))
                return false;
            at++, p++;
            continue;
        }
        p++;
        int width = 0;
        while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
        int ignored;
        const gr_word *w;
        switch (*p++) {
        case 'Y':
            if (!take_number(s, &at, 4, &year)) return false;
            break;
        case 'y':
            if (!take_number(s, &at, 2, &year)) return false;
            year += 2000;
            break;
        case 'm':
            if (!take_number(s, &at, 2, &month)) return false;
            break;
        case 'd':
            if (!take_number(s, &at, 2, &day)) return false;
            break;
        case 'H':
            if (!take_number(s, &at, 2, &hour)) return false;
            break;
        case 'M':
            if (!take_number(s, &at, 2, &minute)) return false;
            break;
        case 'S':
            if (!take_number(s, &at, 2, &second)) return false;
            break;
        case 'N':
            if (!take_number(s, &at, width, &out->segment)) return false;
            break;
        case 'D':
            if (!take_number(s, &at, width, &ignored)) return false;
            break;
        case 'K':
        case 'k':
            w = take_word(s, &at, c->kinds);
            if (w) out->kind = (dc_recording_kind)w->value;
            else if (p[-1] == 'K') return false;
            break;
        case 'R':
        case 'r':
            w = take_word(s, &at, c->roles);
            if (w) out->role = (dc_video_role)w->value;
            else if (p[-1] == 'R') return false;
            break;
        case 'x': take_word(s, &at, c->extras); break;
        default: return false; /* a broken pattern matches nothing */
        }
    }
    if (at != s.n || !group_valid_time(year, month, day, hour, minute, second)) return false;
    out->year = year, out->month = month, out->day = day;
    out->hour = hour, out->minute = minute, out->second = second;
    out->local_sec =
        dc_days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    return true;
}

/* The path's last component (name) and the two folders above it, as spans. */
static void split_path(const char *path, gr_span *name, gr_span *parent, gr_span *grandparent) {
    gr_span parts[3] = {{"", 0}, {"", 0}, {"", 0}};
    size_t end = strlen(path);
    for (int k = 0; k < 3; k++) {
        size_t start = end;
        while (start > 0 && path[start - 1] != '/') start--;
        parts[k] = (gr_span){path + start, end - start};
        if (start == 0) break;
        end = start - 1;
        while (end > 0 && path[end - 1] == '/') end--; /* "a//b" */
    }
    *name = parts[0], *parent = parts[1], *grandparent = parts[2];
}

static const gr_folder *folder_for(const gr_convention *c, gr_span folder) {
    for (const gr_folder *f = c->folders; f && f->name; f++)
        if (strlen(f->name) == folder.n && !strncasecmp(f->name, folder.p, folder.n)) return f;
    return NULL;
}

/* Longest stem read: names longer than this are no camera's. */
enum { MAX_STEM = 255 };

bool dc_group_parse_name(const char *path, dc_name_info *out) {
    memset(out, 0, sizeof *out);
    out->segment = -1;
    if (!path) return false;
    gr_span name, parent, grandparent;
    split_path(path, &name, &parent, &grandparent);
    size_t stem = name.n;
    while (stem > 0 && name.p[stem - 1] != '.') stem--;
    stem = stem > 0 ? stem - 1 : name.n; /* no dot: the whole name */
    if (stem == 0 || stem > MAX_STEM) return false;
    gr_span s = {name.p, stem};
    for (int i = 0; i < CONVENTION_COUNT; i++) {
        const gr_convention *c = &conventions[i];
        dc_name_info info = {.segment = -1};
        if (!match_row(c, s, &info)) continue;
        info.convention = c->name;
        const gr_span folders[2] = {parent, grandparent};
        for (int k = 0; k < 2; k++) {
            const gr_folder *f = folder_for(c, folders[k]);
            if (!f) continue;
            if (info.role == DC_ROLE_UNKNOWN) info.role = f->role;
            if (info.kind == DC_RECORDING_UNKNOWN) info.kind = f->kind;
        }
        if (info.role == DC_ROLE_UNKNOWN) info.role = c->default_role;
        if (info.kind == DC_RECORDING_UNKNOWN) info.kind = DC_RECORDING_NORMAL;
        snprintf(info.key, sizeof info.key, "%s|%s|%04d%02d%02d%02d%02d%02d", c->name,
                 dc_recording_kind_name(info.kind), info.year, info.month, info.day, info.hour,
                 info.minute, info.second);
        *out = info;
        return true;
    }
    return false;
}
