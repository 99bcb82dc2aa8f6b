/* A small bounded ISO-BMFF (MP4/MOV) walker: just enough to find telemetry without libavformat
 * (which drops or hides data tracks it does not know, and never shows Novatek's 'gps ' box).
 *
 * Guarantees: every read is bounded by the file's size and by the TM_MAX_* caps; a box never
 * reaches past its parent (a box that claims more is cut to what its parent has, and the cut
 * is noted once); a table's entry count is checked against the bytes of its box before any
 * entry is read, so an absurd count costs nothing; recursion is at most 6 levels (the depth of
 * moov/trak/mdia/minf/stbl/stsd). Only the moov box is read into memory; samples are read one
 * at a time by the readers. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tm_internal.h"

uint8_t *tm_file_read(const tm_file *f, uint64_t off, size_t len, size_t *got, bool *oom) {
    *got = 0;
    if (f->fd < 0 || off >= f->size) return NULL;
    if (len > f->size - off) len = (size_t)(f->size - off);
    if (len == 0) return NULL;
    uint8_t *buf = malloc(len);
    if (!buf) {
        *oom = true;
        return NULL;
    }
    size_t n = 0;
    while (n < len) {
        ssize_t r = pread(f->fd, buf + n, len - n, (off_t)(off + n));
        if (r <= 0) break;
        n += (size_t)r;
    }
    if (n == 0) {
        free(buf);
        return NULL;
    }
    *got = n;
    return buf;
}

bool tm_box_next(tm_bytes *rest, tm_box *box, bool *cut) {
    if (rest->n < 8) return false;
    const uint8_t *p = rest->p;
    uint64_t size = tm_be32(p);
    size_t header = 8;
    box->type = tm_be32(p + 4);
    if (size == 1) { /* 64-bit size follows */
        if (rest->n < 16) return false;
        size = tm_be64(p + 8);
        header = 16;
    } else if (size == 0) { /* to the end of the parent */
        size = rest->n;
    }
    if (size < header) { /* a box smaller than its header: nothing after it can be trusted */
        *cut = true;
        rest->n = 0;
        return false;
    }
    if (size > rest->n) {
        *cut = true;
        size = rest->n;
    }
    box->body = (tm_bytes){p + header, (size_t)size - header};
    rest->p += size;
    rest->n -= (size_t)size;
    return true;
}

bool tm_box_find(tm_bytes in, uint32_t type, tm_box *box) {
    bool cut = false;
    while (tm_box_next(&in, box, &cut))
        if (box->type == type) return true;
    return false;
}

bool tm_top_box_at(const tm_file *f, uint64_t pos, uint32_t *type, uint64_t *size,
                   uint64_t *header) {
    uint8_t h[16];
    if (f->fd < 0 || pos + 8 > f->size) return false;
    ssize_t r = pread(f->fd, h, sizeof h, (off_t)pos);
    if (r < 8) return false;
    *size = tm_be32(h);
    *type = tm_be32(h + 4);
    *header = 8;
    if (*size == 1) { /* 64-bit size follows */
        if (r < 16) return false;
        *size = tm_be64(h + 8);
        *header = 16;
    } else if (*size == 0) { /* to the end of the file */
        *size = f->size - pos;
    }
    return *size >= *header;
}

/* Top-level boxes, one header at a time: the moov's place and size. */
static bool find_moov(const tm_file *f, uint64_t *off, uint64_t *len, bool *is_mp4) {
    uint64_t pos = 0, size, header;
    uint32_t type;
    for (int i = 0; i < TM_MAX_TOP_BOXES && tm_top_box_at(f, pos, &type, &size, &header); i++) {
        if (i == 0) {
            /* an ISO-BMFF file starts with one of these; anything else is another container */
            *is_mp4 =
                type == TM_FOURCC('f', 't', 'y', 'p') || type == TM_FOURCC('m', 'o', 'o', 'v') ||
                type == TM_FOURCC('w', 'i', 'd', 'e') || type == TM_FOURCC('f', 'r', 'e', 'e') ||
                type == TM_FOURCC('m', 'd', 'a', 't') || type == TM_FOURCC('s', 'k', 'i', 'p');
            if (!*is_mp4) return false;
        }
        if (type == TM_FOURCC('m', 'o', 'o', 'v')) {
            *off = pos + header;
            *len = size - header;
            return true;
        }
        if (size > f->size - pos) return false;
        pos += size;
    }
    return false;
}

static void read_track(tm_bytes trak, tm_track *t) {
    tm_box mdia, hdlr, mdhd, minf, stbl, stsd, b;
    memset(t, 0, sizeof *t);
    if (!tm_box_find(trak, TM_FOURCC('m', 'd', 'i', 'a'), &mdia)) return;
    if (tm_box_find(mdia.body, TM_FOURCC('h', 'd', 'l', 'r'), &hdlr) && hdlr.body.n >= 12)
        t->handler = tm_be32(hdlr.body.p + 8);
    if (tm_box_find(mdia.body, TM_FOURCC('m', 'd', 'h', 'd'), &mdhd) && mdhd.body.n >= 4) {
        /* version 1 has 64-bit times before the timescale */
        size_t at = mdhd.body.p[0] == 1 ? 20 : 12;
        if (mdhd.body.n >= at + 4) t->timescale = tm_be32(mdhd.body.p + at);
    }
    if (!tm_box_find(mdia.body, TM_FOURCC('m', 'i', 'n', 'f'), &minf)) return;
    if (!tm_box_find(minf.body, TM_FOURCC('s', 't', 'b', 'l'), &stbl)) return;
    /* stsd: version/flags, entry count, then sample entries (boxes) */
    if (tm_box_find(stbl.body, TM_FOURCC('s', 't', 's', 'd'), &stsd) && stsd.body.n >= 16)
        t->format = tm_be32(stsd.body.p + 12);
    if (tm_box_find(stbl.body, TM_FOURCC('s', 't', 't', 's'), &b)) t->stts = b.body;
    if (tm_box_find(stbl.body, TM_FOURCC('s', 't', 's', 'c'), &b)) t->stsc = b.body;
    if (tm_box_find(stbl.body, TM_FOURCC('s', 't', 's', 'z'), &b)) t->stsz = b.body;
    if (tm_box_find(stbl.body, TM_FOURCC('s', 't', 'c', 'o'), &b)) {
        t->stco = b.body;
    } else if (tm_box_find(stbl.body, TM_FOURCC('c', 'o', '6', '4'), &b)) {
        t->stco = b.body;
        t->co64 = true;
    }
}

tm_mp4 *tm_mp4_open(const tm_file *f, tm_sink *s, bool *oom) {
    uint64_t off = 0, len = 0;
    bool is_mp4 = false;
    if (f->fd < 0 || !find_moov(f, &off, &len, &is_mp4)) {
        if (is_mp4) tm_damage(s, "%s: no usable moov box (file cut or damaged)", f->path);
        return NULL;
    }
    if (len > TM_MAX_MOOV) {
        tm_damage(s, "%s: moov box claims %llu bytes, over the %d MiB read; only that much read",
                  f->path, (unsigned long long)len, TM_MAX_MOOV >> 20);
        len = TM_MAX_MOOV;
    }
    tm_mp4 *m = calloc(1, sizeof *m);
    if (!m) {
        *oom = true;
        return NULL;
    }
    size_t got = 0;
    m->moov = tm_file_read(f, off, (size_t)len, &got, oom);
    m->moov_len = got;
    if (got < len) tm_damage(s, "%s: moov box cut at the file's end", f->path);
    tm_bytes rest = {m->moov, m->moov_len};
    tm_box box;
    bool cut = false;
    while (tm_box_next(&rest, &box, &cut)) {
        if (box.type == TM_FOURCC('t', 'r', 'a', 'k') && m->track_count < TM_MAX_TRACKS)
            read_track(box.body, &m->tracks[m->track_count++]);
        else if (box.type == TM_FOURCC('g', 'p', 's', ' ') && !m->gps.n) m->gps = box.body;
    }
    if (cut) tm_damage(s, "%s: a box in moov claims more bytes than moov has", f->path);
    return m;
}

void tm_mp4_free(tm_mp4 *m) {
    if (!m) return;
    free(m->moov);
    free(m);
}

/* A full box's entry count, cut to the entries its body holds (a count of 2^32 costs nothing);
 * *first = the first entry. 0 when the body is shorter than its header. */
static uint32_t table_count(tm_bytes body, size_t header, size_t entry, const uint8_t **first) {
    if (body.n < header) return 0;
    uint32_t n = tm_be32(body.p + header - 4);
    if ((uint64_t)n * entry > body.n - header) n = (uint32_t)((body.n - header) / entry);
    *first = body.p + header;
    return n;
}

tm_sample *tm_track_samples(const tm_track *t, const tm_file *f, tm_sink *s, int *count) {
    *count = 0;
    const uint8_t *stts = NULL, *stsc = NULL, *stco = NULL, *sizes = NULL;
    uint32_t n_stts = table_count(t->stts, 8, 8, &stts);
    uint32_t n_stsc = table_count(t->stsc, 8, 12, &stsc);
    uint32_t n_chunks = table_count(t->stco, 8, t->co64 ? 8 : 4, &stco);
    uint32_t fixed = t->stsz.n >= 12 ? tm_be32(t->stsz.p + 4) : 0;
    uint32_t n_samples = t->stsz.n >= 12 ? tm_be32(t->stsz.p + 8) : 0;
    if (!fixed) n_samples = table_count(t->stsz, 12, 4, &sizes);
    if (!t->timescale || !n_stts || !n_stsc || !n_chunks || !n_samples) {
        tm_damage(s, "%s: the telemetry track's sample tables are empty or damaged", f->path);
        return NULL;
    }
    if (n_samples > TM_MAX_TRACK_SAMPLES) {
        tm_damage(s, "%s: the telemetry track claims %u samples; the first %d read", f->path,
                  n_samples, TM_MAX_TRACK_SAMPLES);
        n_samples = TM_MAX_TRACK_SAMPLES;
    }
    tm_sample *out = malloc((size_t)n_samples * sizeof *out);
    if (!out) {
        s->oom = s->stopped = true;
        return NULL;
    }
    /* walk chunks (stco) with their samples-per-chunk (stsc), sizes (stsz), times (stts) */
    uint32_t si = 0, stsc_i = 0, stts_i = 0, stts_left = tm_be32(stts);
    uint64_t ticks = 0;
    bool bad_time = false;
    for (uint32_t c = 0; c < n_chunks && si < n_samples; c++) {
        while (stsc_i + 1 < n_stsc && tm_be32(stsc + (size_t)(stsc_i + 1) * 12) <= c + 1) stsc_i++;
        uint32_t per_chunk = tm_be32(stsc + (size_t)stsc_i * 12 + 4);
        uint64_t off = t->co64 ? tm_be64(stco + (size_t)c * 8) : tm_be32(stco + (size_t)c * 4);
        for (uint32_t k = 0; k < per_chunk && si < n_samples; k++, si++) {
            uint32_t size = fixed ? fixed : tm_be32(sizes + (size_t)si * 4);
            while (stts_left == 0 && stts_i + 1 < n_stts)
                stts_left = tm_be32(stts + (size_t)++stts_i * 8);
            uint32_t delta = tm_be32(stts + (size_t)stts_i * 8 + 4);
            if (stts_left == 0) bad_time = true; /* more samples than stts counts: last delta */
            else stts_left--;
            out[si] = (tm_sample){.offset = off,
                                  .size = size,
                                  .t_sec = (double)ticks / t->timescale,
                                  .dur_sec = (double)delta / t->timescale};
            ticks += delta;
            off += size;
        }
    }
    if (si < n_samples || bad_time)
        tm_damage(s, "%s: the telemetry track's tables disagree (%u of %u samples placed)", f->path,
                  si, n_samples);
    *count = (int)si;
    return out;
}
