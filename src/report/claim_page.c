/* The claim page: everything a reviewer needs to check one assessment, on one page.
 *
 * Order follows the reviewer's questions: what is the verdict and what should I do (banner),
 * how sure is it (probabilities, prediction set), who pays and why (fault rules), should I
 * be suspicious (fraud indicators), what did it see (evidence frames, timeline, facts), and
 * what produced it (engine, model, versions, cost). A failed claim shows its error where
 * the verdict would be and no severity anywhere: there is none. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/files.h"
#include "report_internal.h"

static const char *severity_meaning(dc_severity s) {
    switch (s) {
    case DC_SEVERITY_NONE: return "ordinary driving";
    case DC_SEVERITY_LOW: return "minor bump";
    case DC_SEVERITY_MEDIUM: return "near-miss";
    case DC_SEVERITY_HIGH: return "collision";
    case DC_SEVERITY_UNSET: break;
    }
    return "no severity";
}

static const char *priority_colour(dc_review_priority p) {
    switch (p) {
    case DC_PRIORITY_URGENT: return "#b42318";
    case DC_PRIORITY_STANDARD: return "#0969da";
    case DC_PRIORITY_LOW: break;
    }
    return "#6e7781";
}

static const char *name_or(const char *name, const char *fallback) {
    return name && *name ? name : fallback;
}

static void put_header(dc_str *p, const dc_assessment *a) {
    dc_str_append(p, "<h1>Claim assessment");
    if (a->claim_id[0]) {
        dc_str_append(p, " <span class=\"mono\">");
        report_page_put_escaped(p, a->claim_id);
        dc_str_append(p, "</span>");
    }
    dc_str_append(p, "</h1>\n<div class=\"sub\">");
    report_page_put_escaped(p, a->video.path[0] ? a->video.path : "(no video path)");
    dc_str_append(p, " &middot; assessed ");
    report_page_put_escaped(p, a->created_at);
    if (report_several_videos(a))
        dc_str_appendf(p, " &middot; <a href=\"#videos\">%d files</a>", a->video_count);
    dc_str_appendf(p, " &middot; status <b>%s</b></div>\n",
                   name_or(dc_claim_status_name(a->status), "unknown"));
}

static void put_banner_item(dc_str *p, const char *label, const char *value) {
    dc_str_appendf(p, "<div class=\"item\">%s<b>", label);
    report_page_put_escaped(p, value);
    dc_str_append(p, "</b></div>\n");
}

static void put_banner(dc_str *p, const dc_assessment *a) {
    bool failed = report_claim_failed(a->status);
    dc_str_appendf(p, "<section class=\"banner %s\" id=\"verdict\">\n",
                   report_severity_class(a->status, a->severity));
    const char *action = name_or(dc_recommended_action_name(a->recommended_action), "REVIEW");
    const char *priority = name_or(dc_review_priority_name(a->review_priority), "STANDARD");
    if (failed) {
        dc_error_class ec = a->error_class == DC_OK ? DC_ERR_INTERNAL : a->error_class;
        dc_str_append(p, "<div class=\"verdict\">CLAIM FAILED</div>\n");
        char cls[48];
        snprintf(cls, sizeof cls, "%s error", dc_error_class_name(ec));
        put_banner_item(p, "error class", cls);
        put_banner_item(p, "recommended action", action);
        put_banner_item(p, "review priority", priority);
        dc_str_append(p, "<div class=\"errmsg\" id=\"error\">");
        report_page_put_escaped(p, a->error_message[0] ? a->error_message
                                                       : "(no error message was recorded)");
        dc_str_append(p, "</div>\n");
    } else {
        const char *sev = dc_severity_name(a->severity);
        dc_str_appendf(p, "<div class=\"verdict\" data-severity=\"%s\">%s</div>\n",
                       name_or(sev, "UNSET"), name_or(sev, "NO SEVERITY"));
        put_banner_item(p, "meaning", severity_meaning(a->severity));
        put_banner_item(p, "recommended action", action);
        put_banner_item(p, "review priority", priority);
        char buf[64];
        if (a->fault_has_ratio) {
            snprintf(buf, sizeof buf, "%d%% ego vehicle", a->fault_ratio);
        } else {
            snprintf(buf, sizeof buf, "no fault ratio");
        }
        put_banner_item(p, "fault", buf);
        snprintf(buf, sizeof buf, "%.2f", a->fraud_score);
        put_banner_item(p, "fraud score", buf);
    }
    dc_str_append(p, "</section>\n");
    if (a->status == DC_CLAIM_DEGRADED) {
        dc_str_append(p, "<div class=\"note\" id=\"degraded\"><b>Degraded assessment:</b> ");
        report_page_put_escaped(p, a->error_message[0] ? a->error_message
                                                       : "(no reason was recorded)");
        dc_str_append(p, "</div>\n");
    }
}

static void put_severity_card(dc_str *p, const dc_assessment *a) {
    dc_str_append(p, "<section class=\"card\" id=\"severity\"><h2>Severity</h2>\n");
    if (report_claim_failed(a->status)) {
        dc_str_append(p, "<p>No severity: the assessment failed (see the error above).</p>"
                         "</section>\n");
        return;
    }
    bool any = false;
    for (int s = 0; s < DC_SEVERITY_COUNT; s++) any = any || a->severity_probs[s] > 0;
    if (!any) dc_str_append(p, "<p>The engine gave no probability distribution.</p>\n");
    dc_str_append(p, "<div class=\"bars\">\n");
    for (int s = 0; s < DC_SEVERITY_COUNT; s++) {
        double prob = a->severity_probs[s];
        if (!isfinite(prob) || prob < 0) prob = 0;
        if (prob > 1) prob = 1;
        bool in_set = (a->prediction_set >> s) & 1u;
        dc_str_appendf(p,
                       "<div><b>%s</b></div><div class=\"bar%s\"><span style=\"width:%.1f%%\">"
                       "</span></div><div class=\"num\">%.1f%%</div><div>%s</div>\n",
                       dc_severity_name((dc_severity)s), in_set ? " inset" : "", prob * 100,
                       prob * 100,
                       in_set ? "<span class=\"tag\" data-in-set=\"1\">in set</span>" : "");
    }
    dc_str_append(p, "</div>\n<p>Prediction set: <b>{");
    bool first = true;
    for (int s = 0; s < DC_SEVERITY_COUNT; s++) {
        if (!((a->prediction_set >> s) & 1u)) continue;
        dc_str_appendf(p, "%s%s", first ? "" : ", ", dc_severity_name((dc_severity)s));
        first = false;
    }
    dc_str_appendf(p, "}</b> &middot; calibrated: <span class=\"tag%s\">%s</span></p>\n",
                   a->calibrated ? "" : " off", a->calibrated ? "yes" : "no");
    if (a->calibrated) {
        dc_str_append(p, "<p class=\"sub\">The set covers the true severity at the calibrated "
                         "rate.</p>\n");
    } else {
        dc_str_appendf(p,
                       "<p class=\"sub\">Uncalibrated: the set holds the most likely labels "
                       "up to %.0f%% of the engine's own probability; no coverage is "
                       "guaranteed.</p>\n",
                       (1.0 - DC_DEFAULT_ALPHA) * 100);
    }
    dc_str_append(p, "</section>\n");
}

static void put_fault_card(dc_str *p, const dc_assessment *a) {
    dc_str_append(p, "<section class=\"card\" id=\"fault\"><h2>Fault</h2>\n");
    if (a->fault_has_ratio) {
        dc_str_appendf(p, "<div class=\"big\">%d%% ego vehicle &middot; %d%% other party</div>\n",
                       a->fault_ratio, 100 - a->fault_ratio);
    } else {
        dc_str_append(p, "<div class=\"big\">no fault ratio</div>\n");
    }
    dc_str_append(p, "<p>Scenario: <b>");
    report_page_put_escaped(p, report_label_scenario(a->scenario));
    dc_str_append(p, "</b></p>\n");
    if (a->fault_rule_count <= 0) {
        dc_str_append(p, "<p class=\"sub\">No fault rule applied.</p>\n");
    } else {
        dc_str_append(p, "<table class=\"list\"><tr><th>rule</th><th>why it applied</th></tr>\n");
        for (int i = 0; i < a->fault_rule_count && i < DC_MAX_FAULT_RULES; i++) {
            dc_str_append(p, "<tr><td class=\"mono\">");
            report_page_put_escaped(p, a->fault_rules[i].id);
            dc_str_append(p, "</td><td>");
            report_page_put_escaped(p, a->fault_rules[i].reason);
            dc_str_append(p, "</td></tr>\n");
        }
        dc_str_append(p, "</table>\n");
    }
    dc_str_append(p, "</section>\n");
}

static void put_fraud_card(dc_str *p, const dc_assessment *a) {
    double score = isfinite(a->fraud_score) ? a->fraud_score : 0;
    dc_str_append(p, "<section class=\"card\" id=\"fraud\"><h2>Fraud indicators</h2>\n");
    dc_str_appendf(p,
                   "<div class=\"big\">%.2f</div><div class=\"bar\" style=\"margin:6px 0 "
                   "10px\"><span style=\"width:%.1f%%;background:%s\"></span></div>\n",
                   score, fmin(fmax(score, 0), 1) * 100, score >= 0.5 ? "#b42318" : "#8c959f");
    if (a->fraud_indicator_count <= 0) {
        dc_str_append(p, "<p class=\"sub\">No fraud indicator fired.</p>\n");
    } else {
        dc_str_append(p, "<table class=\"list\"><tr><th>indicator</th><th class=\"num\">weight"
                         "</th><th>reason</th></tr>\n");
        for (int i = 0; i < a->fraud_indicator_count && i < DC_MAX_FRAUD_INDICATORS; i++) {
            const dc_fraud_indicator *f = &a->fraud_indicators[i];
            dc_str_append(p, "<tr><td class=\"mono\">");
            report_page_put_escaped(p, f->id);
            dc_str_appendf(p, "</td><td class=\"num\">%.2f</td><td>", f->weight);
            report_page_put_escaped(p, f->reason);
            dc_str_append(p, "</td></tr>\n");
        }
        dc_str_append(p, "</table>\n");
    }
    dc_str_append(p, "</section>\n");
}

static void put_review_card(dc_str *p, const dc_assessment *a) {
    dc_review_priority pr = a->review_priority;
    dc_str_append(p, "<section class=\"card\" id=\"review\"><h2>Review</h2>\n<table>\n");
    dc_str_appendf(p,
                   "<tr><th>priority</th><td><span class=\"pill\" style=\"background:%s\">"
                   "%s</span></td></tr>\n",
                   priority_colour(pr), name_or(dc_review_priority_name(pr), "unknown"));
    dc_str_appendf(p, "<tr><th>recommended action</th><td><b>%s</b></td></tr>\n",
                   name_or(dc_recommended_action_name(a->recommended_action), "unknown"));
    dc_str_append(p, "<tr><th>decided by rule</th><td class=\"mono\">");
    report_page_put_escaped(p, a->review_rule[0] ? a->review_rule : "-");
    dc_str_append(p, "</td></tr>\n<tr><th>status</th><td>");
    report_page_put_escaped(p, name_or(dc_claim_status_name(a->status), "unknown"));
    dc_str_append(p, "</td></tr>\n</table>\n</section>\n");
}

/* A claim of several videos: after a time on the claim's timeline, the file it falls in and
 * the time within that file (cell text; nothing for one video or an index naming no file). */
static void put_in_file(dc_str *p, const dc_assessment *a, int video, double t_in_file) {
    char in_file[64];
    if (report_several_videos(a) && report_format_in_file(a, video, t_in_file, in_file)[0])
        dc_str_appendf(p, "<div class=\"sub\">%s</div>", in_file);
}

static void put_timeline_card(dc_str *p, const dc_assessment *a, const dc_report_inputs *in) {
    dc_str_append(p, "<section class=\"card\" id=\"timeline\"><h2>Danger timeline</h2>\n");
    report_put_timeline(p, a, in);
    report_put_telemetry(p, a, in, report_timeline_duration(a, in));
    if (a->window_count > 0) {
        dc_str_append(p, "<table class=\"list\" style=\"margin-top:8px\"><tr><th>window</th>"
                         "<th>from</th><th>to</th><th>peak</th><th class=\"num\">danger</th>"
                         "<th>signals</th></tr>\n");
        for (int i = 0; i < a->window_count && i < DC_MAX_WINDOWS; i++) {
            const dc_window *w = &a->windows[i];
            char t0[32], t1[32], tp[32];
            dc_str_appendf(p, "<tr><td>W%d</td><td>%s</td><td>%s</td><td>%s", i + 1,
                           report_format_time(w->start_sec, t0), report_format_time(w->end_sec, t1),
                           report_format_time(w->peak_sec, tp));
            put_in_file(p, a, w->video, w->video_peak_sec);
            dc_str_appendf(p, "</td><td class=\"num\">%.2f</td><td>", w->danger);
            for (int s = 0; s < w->signal_count && s < DC_MAX_WINDOW_SIGNALS; s++) {
                if (s) dc_str_append(p, ", ");
                report_page_put_escaped(p, w->signals[s]);
            }
            dc_str_append(p, "</td></tr>\n");
        }
        dc_str_append(p, "</table>\n");
    }
    dc_str_append(p, "</section>\n");
}

static void put_fact_row(dc_str *p, const char *name, const char *value) {
    dc_str_appendf(p, "<tr><th>%s</th><td>", name);
    report_page_put_escaped(p, value);
    dc_str_append(p, "</td></tr>\n");
}

/* Facts are many short pairs: a four-column grid (name, value, name, value) keeps them on
 * one screen. */
static void put_fact(dc_str *p, const char *name, const char *value) {
    dc_str_appendf(p, "<div class=\"k\">%s</div><div class=\"v\">", name);
    report_page_put_escaped(p, value);
    dc_str_append(p, "</div>\n");
}

static void put_facts_card(dc_str *p, const dc_assessment *a) {
    const dc_facts *f = &a->facts;
    dc_str_append(p, "<section class=\"card\" id=\"facts\"><h2>Observed facts</h2>\n"
                     "<div class=\"facts\">\n");
    put_fact(p, "scenario", report_label_scenario(a->scenario));
    put_fact(p, "physical contact", report_label_tristate(f->contact));
    put_fact(p, "ego vehicle", report_label_action(f->ego_action));
    put_fact(p, "other party", report_label_action(f->other_action));
    put_fact(p, "other party position", report_label_position(f->other_position));
    put_fact(p, "light facing ego", report_label_signal(f->traffic_signal));
    put_fact(p, "light facing other", report_label_signal(f->other_signal));
    put_fact(p, "ego had right of way", report_label_tristate(f->ego_right_of_way));
    put_fact(p, "other braked suddenly", report_label_tristate(f->other_braked_suddenly));
    put_fact(p, "visible reason for braking", report_label_tristate(f->brake_cause_visible));
    put_fact(p, "ego speeding", report_label_tristate(f->ego_speeding));
    char speed[32];
    if (f->speed_kmh >= 0) {
        snprintf(speed, sizeof speed, "%d km/h", f->speed_kmh);
    } else {
        snprintf(speed, sizeof speed, "no readout");
    }
    put_fact(p, "ego speed (on-screen)", speed);
    put_fact(p, "other party waited in place", report_label_tristate(f->other_positioned_before));
    dc_str_append(p, "<div class=\"k\">road users</div><div class=\"v\">");
    if (f->actor_count <= 0) dc_str_append(p, "none reported");
    for (int i = 0; i < f->actor_count && i < DC_MAX_ACTORS; i++) {
        if (i) dc_str_append(p, ", ");
        dc_str_append(p, report_label_actor(f->actors[i]));
    }
    dc_str_append(p, "</div>\n");
    put_fact(p, "road", report_label_road(f->road));
    put_fact(p, "weather", report_label_weather(f->weather));
    put_fact(p, "light", report_label_light(f->light));
    put_fact(p, "visibility", report_label_visibility(f->visibility));
    dc_str_append(p, "</div>\n</section>\n");
}

static void put_hazards_and_reasoning(dc_str *p, const dc_assessment *a) {
    dc_str_append(p, "<section class=\"card\" id=\"hazards\"><h2>Hazards</h2>\n");
    if (a->hazard_count <= 0) {
        dc_str_append(p, "<p class=\"sub\">None reported.</p>\n");
    } else {
        dc_str_append(p, "<table class=\"list\"><tr><th>time</th><th>hazard</th><th>who</th>"
                         "<th>where</th></tr>\n");
        for (int i = 0; i < a->hazard_count && i < DC_MAX_HAZARDS; i++) {
            const dc_hazard *h = &a->hazards[i];
            char t[32];
            dc_str_appendf(p, "<tr><td>%s", report_format_time(h->t_sec, t));
            put_in_file(p, a, h->video, h->video_t_sec);
            dc_str_appendf(p, "</td><td>%s</td><td>", report_label_hazard(h->type));
            for (int k = 0; k < h->actor_count && k < DC_MAX_HAZARD_ACTORS; k++)
                dc_str_appendf(p, "%s%s", k ? ", " : "", report_label_actor(h->actors[k]));
            dc_str_appendf(p, "</td><td>%s</td></tr>\n", report_label_position(h->relation));
        }
        dc_str_append(p, "</table>\n");
    }
    /* Say who wrote it: a model's words need a reviewer's scepticism, the signals engine's
     * are a summary of measurements. */
    dc_str_appendf(p,
                   "</section>\n<section class=\"card\"><h2>Reasoning (%s)</h2>\n"
                   "<div class=\"reasoning\" id=\"reasoning\">",
                   strcmp(a->engine.name, "signals") == 0 ? "from the mined signals"
                                                          : "model-written");
    report_page_put_escaped(p, a->reasoning[0] ? a->reasoning : "(none)");
    dc_str_append(p, "</div>\n</section>\n");
}

static void put_mb_row(dc_str *p, const char *name, uint64_t bytes, bool zero_is_na) {
    if (zero_is_na && bytes == 0) {
        dc_str_appendf(p, "<tr><th>%s</th><td>n/a</td></tr>\n", name);
    } else {
        dc_str_appendf(p, "<tr><th>%s</th><td>%.1f MB</td></tr>\n", name, bytes / 1048576.0);
    }
}

static void put_details_card(dc_str *p, const dc_assessment *a) {
    dc_str_append(p, "<section class=\"card\" id=\"details\"><div class=\"cols\"><div>\n"
                     "<h2>How this was assessed</h2>\n<table>\n");
    put_fact_row(p, "engine", a->engine.name[0] ? a->engine.name : "unknown");
    put_fact_row(p, "model", a->engine.model[0] ? a->engine.model : "(none)");
    put_fact_row(p, "model sha256", a->engine.model_sha256[0] ? a->engine.model_sha256 : "-");
    put_fact_row(p, "device", a->engine.device[0] ? a->engine.device : "-");
    put_fact_row(p, "prompt version", a->engine.prompt_version[0] ? a->engine.prompt_version : "-");
    put_fact_row(p, "rules version", a->rules_version[0] ? a->rules_version : "-");
    put_fact_row(p, "dashclaim version", a->dashclaim_version);
    put_fact_row(p, "record schema", a->schema);
    put_fact_row(p, "video sha256", a->video.sha256[0] ? a->video.sha256 : "-");
    char buf[96];
    snprintf(buf, sizeof buf, "%.1f s, %dx%d, %.2f fps", a->video.duration_sec, a->video.width,
             a->video.height, a->video.fps);
    put_fact_row(p, "video", buf);
    dc_str_append(p, "</table>\n</div><div>\n<h2>Time and memory</h2>\n<table>\n");
    const struct {
        const char *name;
        double ms;
    } stages[] = {{"probe", a->timings_ms.probe},   {"mine", a->timings_ms.mine},
                  {"sample", a->timings_ms.sample}, {"engine", a->timings_ms.engine},
                  {"decide", a->timings_ms.decide}, {"total", a->timings_ms.total}};
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
        if (stages[i].ms < 0 || !isfinite(stages[i].ms)) {
            dc_str_appendf(p, "<tr><th>%s</th><td>not run</td></tr>\n", stages[i].name);
        } else {
            dc_str_appendf(p, "<tr><th>%s</th><td>%.1f ms</td></tr>\n", stages[i].name,
                           stages[i].ms);
        }
    }
    put_mb_row(p, "host RSS before", a->memory.rss_before, true);
    put_mb_row(p, "host RSS after", a->memory.rss_after, true);
    if (a->memory.rss_before && a->memory.rss_after)
        dc_str_appendf(p, "<tr><th>host RSS delta</th><td>%+.1f MB</td></tr>\n",
                       ((double)a->memory.rss_after - (double)a->memory.rss_before) / 1048576.0);
    put_mb_row(p, "device memory before", a->memory.device_before, true);
    put_mb_row(p, "device memory after", a->memory.device_after, true);
    dc_str_append(p, "</table>\n</div></div>\n</section>\n");
}

dc_error_class dc_report_render_claim_html(const dc_assessment *record, const dc_report_inputs *in,
                                           dc_str *out, dc_status *st) {
    if (!record) return dc_fail(st, DC_ERR_INPUT, "report: no assessment to render");
    dc_error_class rc = report_page_check_output(out, st);
    if (rc != DC_OK) return rc;
    if (st) *st = DC_STATUS_OK;
    dc_assessment *a = malloc(sizeof *a);
    if (!a) return dc_fail(st, DC_ERR_RESOURCE, "report: out of memory");
    *a = *record;
    report_sanitize(a);

    dc_str *p = out;
    char title[sizeof a->video.path + 16];
    snprintf(title, sizeof title, "dashclaim: %s", dc_path_base(a->video.path));
    report_page_begin(p, title);
    put_header(p, a);
    put_banner(p, a);
    dc_str_append(p, "<div class=\"grid\">\n");
    put_severity_card(p, a);
    put_fault_card(p, a);
    put_fraud_card(p, a);
    put_review_card(p, a);
    dc_str_append(p, "</div>\n");
    report_put_evidence_card(p, a, in, st);
    put_timeline_card(p, a, in);
    report_put_videos_card(p, a);
    dc_str_append(p, "<div class=\"grid\">\n");
    put_hazards_and_reasoning(p, a);
    dc_str_append(p, "</div>\n<div class=\"wide\">\n");
    put_facts_card(p, a);
    put_details_card(p, a);
    dc_str_append(p, "</div>\n");
    report_page_end(p);
    free(a);
    return report_page_finish(p, st);
}

dc_error_class dc_report_write_claim_html(const char *path, const dc_assessment *a,
                                          const dc_report_inputs *in, dc_status *st) {
    if (!a) return dc_fail(st, DC_ERR_INPUT, "%s: no assessment to write", path ? path : "?");
    if (!path || !*path) return dc_fail(st, DC_ERR_INPUT, "report: no output path given");
    dc_str page = {0};
    dc_status rst = DC_STATUS_OK;
    dc_error_class rc = dc_report_render_claim_html(a, in, &page, &rst);
    if (rc != DC_OK) {
        dc_fail(st, rc, "%s: %s", path, rst.message);
    } else {
        /* the render's degraded note (a thumbnail that failed) survives a good write */
        rc = report_page_write_file(&page, path, st);
        if (rc == DC_OK && st) *st = rst;
    }
    dc_str_free(&page);
    return rc;
}
