/* What uploaded bytes are. The type a client declares is never what we serve back: a declared
 * "text/html" or "image/svg+xml" served as such would run the uploader's script in a reviewer's
 * browser. The served type comes from the file's first bytes, and is one of a few video types
 * or opaque bytes. The checks below look at the container's fixed signature only (the media
 * probe reads the rest later, in the worker); a file that matches none is stored and assessed
 * all the same, and served as application/octet-stream. A leaf: calls nothing in this folder. */
#include <string.h>
#include <strings.h>

#include "serve_internal.h"

typedef struct {
    const char *type, *extension;
} video_type;

static const video_type video_types[] = {
    {"video/mp4", "mp4"},   {"video/quicktime", "mov"}, {"video/x-matroska", "mkv"},
    {"video/webm", "webm"}, {"video/mp2t", "ts"},       {"video/x-msvideo", "avi"},
};
enum { VIDEO_TYPES = sizeof video_types / sizeof video_types[0] };

static const char opaque[] = "application/octet-stream";

/* "video/mp4; codecs=..." has the media type "video/mp4". */
static bool same_media_type(const char *declared, const char *type) {
    size_t n = strcspn(declared, "; \t");
    return n == strlen(type) && !strncasecmp(declared, type, n);
}

bool serve_upload_type_allowed(const char *content_type) {
    if (!content_type) return false;
    if (same_media_type(content_type, opaque)) return true;
    for (int i = 0; i < VIDEO_TYPES; i++)
        if (same_media_type(content_type, video_types[i].type)) return true;
    return false;
}

const char *serve_video_type_safe(const char *stored) {
    for (int i = 0; stored && i < VIDEO_TYPES; i++)
        if (same_media_type(stored, video_types[i].type)) return video_types[i].type;
    return opaque;
}

const char *serve_video_extension(const char *type) {
    for (int i = 0; type && i < VIDEO_TYPES; i++)
        if (!strcmp(type, video_types[i].type)) return video_types[i].extension;
    return "bin";
}

/* MPEG-TS: sync bytes 0x47 every 188 bytes (or every 192 in M2TS, after a 4-byte timestamp). */
static bool is_transport_stream(const unsigned char *p, size_t n) {
    if (n >= 3 * 188 && p[0] == 0x47 && p[188] == 0x47 && p[376] == 0x47) return true;
    return n >= 4 + 2 * 192 + 1 && p[4] == 0x47 && p[196] == 0x47 && p[388] == 0x47;
}

const char *serve_sniff_video(const unsigned char *p, size_t n) {
    /* ISO BMFF / QuickTime: a box size, then "ftyp" (or an older QuickTime file's first atom) */
    if (n >= 12 && !memcmp(p + 4, "ftyp", 4))
        return !memcmp(p + 8, "qt  ", 4) ? "video/quicktime" : "video/mp4";
    if (n >= 8 && (!memcmp(p + 4, "moov", 4) || !memcmp(p + 4, "mdat", 4) ||
                   !memcmp(p + 4, "wide", 4) || !memcmp(p + 4, "free", 4)))
        return "video/quicktime";
    /* Matroska / WebM: the EBML magic; the DocType says which */
    if (n >= 4 && p[0] == 0x1a && p[1] == 0x45 && p[2] == 0xdf && p[3] == 0xa3) {
        for (size_t i = 4; i + 4 <= n && i < 64; i++)
            if (!memcmp(p + i, "webm", 4)) return "video/webm";
        return "video/x-matroska";
    }
    if (n >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "AVI ", 4)) return "video/x-msvideo";
    if (is_transport_stream(p, n)) return "video/mp2t";
    return opaque;
}
