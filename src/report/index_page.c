/* The batch index: one row per video with the verdict a claims team sorts by, and a link
 * to the claim page. Counts at the top say at a glance how the batch went. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dashclaim/files.h"
#include "report_internal.h"

/* Copies at most the source array's bytes: a damaged record may lack its terminator. */
static void copy_text(char *dst, size_t cap, const char *src, size_t src_cap) {
    if (!src) src = "";
    snprintf(dst, cap, "%.*s", (int)strnlen(src, src_cap), src);
}

void dc_report_index_entry_from_assessment(dc_report_index_entry *e, const dc_assessment *a,
                                           const char *href) {
    memset(e, 0, sizeof *e);
    copy_text(e->video, sizeof e->video, a->video.path, sizeof a->video.path);
    copy_text(e->href, sizeof e->href, href, sizeof e->href);
    e->video_count = a->video_count < 0                     ? 0
                     : a->video_count > DC_MAX_CLAIM_VIDEOS ? DC_MAX_CLAIM_VIDEOS
                                                            : a->video_count;
    e->status = a->status;
    e->error_class = a->error_class;
    copy_text(e->error_message, sizeof e->error_message, a->error_message, sizeof a->error_message);
    e->severity = report_claim_failed(a->status) ? DC_SEVERITY_UNSET : a->severity;
    e->review_priority = a->review_priority;
    e->recommended_action = a->recommended_action;
    e->fraud_score = a->fraud_score;
    e->fault_has_ratio = report_bool_byte(&a->fault_has_ratio);
    e->fault_ratio = a->fault_ratio;
}

char *dc_report_page_name(const char *video_path, char *out, size_t out_size) {
    if (!out || out_size == 0) return out;
    const char *base = dc_path_base(video_path);
    if (!*base) base = "video";
    static const char suffix[] = ".html";
    size_t room = out_size > sizeof suffix ? out_size - sizeof suffix : 0;
    size_t n = 0;
    for (; base[n] && n < room; n++) {
        char c = base[n];
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
        out[n] = keep ? c : '_';
    }
    if (n > 0 && out[0] == '.') out[0] = '_'; /* no hidden files */
    snprintf(out + n, out_size - n, "%s", suffix);
    return out;
}

static void put_count_cell(dc_str *p, const char *label, int count) {
    dc_str_appendf(p, "<div class=\"item\">%s<b>%d</b></div>\n", label, count);
}

static void put_summary(dc_str *p, const dc_report_index_entry *entries, int n) {
    int by_status[3] = {0, 0, 0};
    int by_severity[DC_SEVERITY_COUNT] = {0};
    int urgent = 0;
    for (int i = 0; i < n; i++) {
        const dc_report_index_entry *e = &entries[i];
        bool failed = report_claim_failed(e->status);
        by_status[failed ? DC_CLAIM_FAILED : e->status]++;
        if (!failed && e->severity >= DC_SEVERITY_NONE && e->severity <= DC_SEVERITY_HIGH)
            by_severity[e->severity]++;
        if (e->review_priority == DC_PRIORITY_URGENT) urgent++;
    }
    dc_str_appendf(p, "<section class=\"banner %s\" id=\"summary\">\n",
                   by_status[DC_CLAIM_FAILED] ? "sev-unset" : "sev-none");
    dc_str_appendf(p, "<div class=\"verdict\">%d video%s</div>\n", n, n == 1 ? "" : "s");
    put_count_cell(p, "ok", by_status[DC_CLAIM_OK]);
    put_count_cell(p, "degraded", by_status[DC_CLAIM_DEGRADED]);
    put_count_cell(p, "failed", by_status[DC_CLAIM_FAILED]);
    for (int s = DC_SEVERITY_COUNT - 1; s >= 0; s--)
        put_count_cell(p, dc_severity_name((dc_severity)s), by_severity[s]);
    put_count_cell(p, "urgent reviews", urgent);
    dc_str_append(p, "</section>\n");
}

static const char *severity_colour(dc_severity s) {
    switch (s) {
    case DC_SEVERITY_NONE: return "#1f7a3a";
    case DC_SEVERITY_LOW: return "#5d7f12";
    case DC_SEVERITY_MEDIUM: return "#c26a00";
    case DC_SEVERITY_HIGH: return "#b42318";
    case DC_SEVERITY_UNSET: break;
    }
    return "#59636e";
}

/* href is a file path relative to the index page, not a URL: every byte outside the
 * unreserved set and '/' is percent-encoded, so a '#', '?', ':' or space in a name links to
 * that file instead of to a fragment, a query or another scheme (javascript: included). */
static void put_href(dc_str *p, const char *href) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)href; *c; c++) {
        bool plain = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                     (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.' || *c == '~' ||
                     *c == '/';
        if (plain) {
            dc_str_appendn(p, (const char *)c, 1);
        } else {
            char esc[3] = {'%', hex[*c >> 4], hex[*c & 15]};
            dc_str_appendn(p, esc, 3);
        }
    }
}

/* Video cell: the file name (linked to its page), and the directory under it in small
 * print, so long paths do not crowd the verdict columns. */
static void put_video_cell(dc_str *p, const dc_report_index_entry *e) {
    const char *name = *dc_path_base(e->video) ? dc_path_base(e->video) : e->video;
    dc_str_append(p, "<td class=\"video\">");
    if (e->href[0]) {
        dc_str_append(p, "<a href=\"");
        put_href(p, e->href);
        dc_str_append(p, "\">");
        report_page_put_escaped(p, name);
        dc_str_append(p, "</a>");
    } else {
        report_page_put_escaped(p, name);
    }
    if (name != e->video) {
        dc_str_append(p, "<div class=\"sub\">");
        char dir[sizeof e->video];
        snprintf(dir, sizeof dir, "%.*s", (int)(name - e->video), e->video);
        report_page_put_escaped(p, dir);
        dc_str_append(p, "</div>");
    }
    if (e->video_count > 1 && e->video_count <= DC_MAX_CLAIM_VIDEOS)
        dc_str_appendf(p, "<div class=\"sub\">claim of %d files</div>", e->video_count);
    dc_str_append(p, "</td>");
}

static void put_row(dc_str *p, const dc_report_index_entry *entry) {
    dc_report_index_entry safe = *entry, *e = &safe;
    safe.video[sizeof safe.video - 1] = '\0';
    safe.href[sizeof safe.href - 1] = '\0';
    safe.error_message[sizeof safe.error_message - 1] = '\0';
    if (!isfinite(safe.fraud_score)) safe.fraud_score = 0;
    safe.fault_has_ratio = report_bool_byte(&entry->fault_has_ratio);
    bool failed = report_claim_failed(e->status);
    dc_str_append(p, "<tr class=\"entry\">");
    put_video_cell(p, e);
    const char *status = dc_claim_status_name(e->status);
    dc_str_appendf(p, "<td>%s", status ? status : "unknown");
    if (failed) {
        dc_error_class ec = e->error_class == DC_OK ? DC_ERR_INTERNAL : e->error_class;
        dc_str_appendf(p, " <span class=\"pill\" style=\"background:#d1242f\">%s</span>",
                       dc_error_class_name(ec));
    }
    dc_str_append(p, "</td><td>");
    const char *sev = failed ? NULL : dc_severity_name(e->severity);
    if (sev) {
        dc_str_appendf(p, "<span class=\"pill\" style=\"background:%s\">%s</span>",
                       severity_colour(e->severity), sev);
    } else {
        dc_str_append(p, "&mdash;");
    }
    const char *priority = dc_review_priority_name(e->review_priority);
    const char *action = dc_recommended_action_name(e->recommended_action);
    dc_str_appendf(p, "</td><td>%s</td><td>%s</td><td class=\"num\">", priority ? priority : "-",
                   action ? action : "-");
    if (e->fault_has_ratio && !failed) {
        dc_str_appendf(p, "%d%%", e->fault_ratio);
    } else {
        dc_str_append(p, "&mdash;");
    }
    dc_str_appendf(p, "</td><td class=\"num\">%.2f</td></tr>\n", e->fraud_score);
    /* the error of a failed claim gets a row of its own: it is what the reviewer acts on */
    if (failed || (e->status == DC_CLAIM_DEGRADED && e->error_message[0])) {
        dc_str_appendf(p, "<tr class=\"error\"><td></td><td colspan=\"6\">%s",
                       failed ? "" : "degraded: ");
        report_page_put_escaped(p,
                                e->error_message[0] ? e->error_message : "(no message recorded)");
        dc_str_append(p, "</td></tr>\n");
    }
}

dc_error_class dc_report_render_index_html(const dc_report_index_entry *entries, int n, dc_str *out,
                                           dc_status *st) {
    if (n < 0 || (n > 0 && !entries))
        return dc_fail(st, DC_ERR_INPUT, "report: %d index entries but no array", n);
    dc_error_class rc = report_page_check_output(out, st);
    if (rc != DC_OK) return rc;
    if (st) *st = DC_STATUS_OK;

    dc_str *p = out;
    report_page_begin(p, "dashclaim batch report");
    dc_str_append(p, "<h1>Batch report</h1>\n<div class=\"sub\">One row per video; the video "
                     "name opens its claim page.</div>\n");
    put_summary(p, entries, n);
    dc_str_append(p, "<section class=\"card\" id=\"entries\"><table class=\"list\">\n<tr><th>video"
                     "</th><th>status</th><th>severity</th><th>priority</th><th>action</th>"
                     "<th class=\"num\">fault (ego)</th><th class=\"num\">fraud score</th></tr>\n");
    for (int i = 0; i < n; i++) put_row(p, &entries[i]);
    if (n == 0) dc_str_append(p, "<tr><td colspan=\"7\">No videos.</td></tr>\n");
    dc_str_append(p, "</table>\n</section>\n");
    report_page_end(p);
    return report_page_finish(p, st);
}

dc_error_class dc_report_write_index_html(const char *path, const dc_report_index_entry *entries,
                                          int n, dc_status *st) {
    if (!path || !*path) return dc_fail(st, DC_ERR_INPUT, "report: no output path given");
    dc_str page = {0};
    dc_status rst = DC_STATUS_OK;
    dc_error_class rc = dc_report_render_index_html(entries, n, &page, &rst);
    if (rc != DC_OK) dc_fail(st, rc, "%s: %s", path, rst.message);
    else rc = report_page_write_file(&page, path, st);
    dc_str_free(&page);
    return rc;
}
