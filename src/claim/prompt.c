/* The words the model reads. DC_PROMPT_VERSION names this text: any change to it, or to
 * the field table it lists, needs a new version so that calibrations and records say which
 * prompt produced them.
 *
 * Order matters for cost: everything that is the same for every claim comes first, as the
 * system message (role, severity and evidence guidance, the answer's field list), so that an
 * engine computes it once per process and reuses it (see engine.h). What differs per claim
 * comes after the frames and is short: the frame count, the video length and, when asked
 * for, the mining note. */
#include <stdio.h>

#include "claim_internal.h"

static const char role[] =
    "You review dashcam footage for a motor insurer. You are shown frames from one vehicle's "
    "forward camera (the ego vehicle), each labelled with its time in seconds. Describe only "
    "what the frames show. Do not guess at things outside the picture, and say \"unclear\" "
    "when the frames do not settle a question. Your answer is one JSON object and nothing "
    "else.\n";

/* Severity guidance. The prototype's model called most clips LOW or MEDIUM; these lines
 * draw the boundaries that matter to a claim. */
static const char severity_guidance[] =
    "How to choose severity:\n"
    "- NONE: ordinary driving. Traffic, braking for a light, a car passing: nothing happened.\n"
    "- LOW: rare. Only a walking-speed bump, such as touching a bollard while parking, where "
    "nobody could be hurt.\n"
    "- MEDIUM: a near-miss. Real danger (hard braking, swerving, a cut-in, someone in the "
    "road) but no physical contact.\n"
    "- HIGH: a collision. The ego vehicle or another road user visibly makes contact.\n"
    "Physical contact is the line between MEDIUM and HIGH: if you see contact it is HIGH; if "
    "you do not, it is not HIGH.\n";

static const char evidence_guidance[] =
    "Evidence:\n"
    "- On-screen text is evidence: a timestamp, a speed readout or a G-sensor warning "
    "printed on the video counts. Copy a speed readout into speed_kmh.\n"
    "- Cite times: every evidence item gives the time (t_sec) and the frame index you are "
    "looking at, and says what is visible there.\n"
    "- Report only what is visible. If the other party is not in the frames, say none or "
    "unclear rather than inventing one.\n";

static void describe_enum(dc_str *sb, const claim_enum_desc *e) {
    for (int i = e->offer_from; i < e->count; i++)
        dc_str_appendf(sb, "%s%s", i > e->offer_from ? "|" : "", e->names[i]);
}

static void describe_fields(dc_str *sb, const claim_field *fields, int count, int indent) {
    for (int i = 0; i < count; i++) {
        const claim_field *f = &fields[i];
        dc_str_appendf(sb, "%*s- %s: ", indent, "", f->name);
        switch (f->kind) {
        case CLAIM_FIELD_ENUM: describe_enum(sb, f->enumd); break;
        case CLAIM_FIELD_ENUM_ARRAY:
            dc_str_append(sb, "list (at most ");
            dc_str_appendf(sb, "%d) of ", f->max_items);
            describe_enum(sb, f->enumd);
            break;
        case CLAIM_FIELD_STRING:
            dc_str_appendf(sb, "text, at most %d characters", f->max_items);
            break;
        case CLAIM_FIELD_NUMBER: dc_str_append(sb, "number"); break;
        case CLAIM_FIELD_INT: dc_str_append(sb, "whole number"); break;
        case CLAIM_FIELD_INT_OR_NULL: dc_str_append(sb, "whole number or null"); break;
        case CLAIM_FIELD_OBJECT: dc_str_append(sb, "object"); break;
        case CLAIM_FIELD_OBJECT_ARRAY:
            dc_str_appendf(sb, "list (at most %d) of objects", f->max_items);
            break;
        }
        dc_str_appendf(sb, " (%s)\n", f->hint);
        if (f->kind == CLAIM_FIELD_OBJECT || f->kind == CLAIM_FIELD_OBJECT_ARRAY)
            describe_fields(sb, f->children, f->child_count, indent + 2);
    }
}

char *dc_prompt_fixed(void) {
    dc_str sb = {0};
    dc_str_append(&sb, role);
    dc_str_append(&sb, "\n");
    dc_str_append(&sb, severity_guidance);
    dc_str_append(&sb, "\n");
    dc_str_append(&sb, evidence_guidance);
    dc_str_append(&sb, "\nAnswer with one JSON object with exactly these fields, in this order:\n");
    describe_fields(&sb, claim_model_fields, claim_model_field_count, 0);
    dc_str_append(&sb, "Write severity first. Use the listed values exactly.");
    return dc_str_finish(&sb);
}

char *dc_prompt_claim(const dc_prompt_options *opts) {
    dc_prompt_options none = {0};
    if (!opts) opts = &none;
    dc_str sb = {0};
    dc_str_append(&sb, "Assess this dashcam clip for an insurance claim.");
    if (opts->frame_count > 0) dc_str_appendf(&sb, " You see %d frames", opts->frame_count);
    if (opts->duration_sec > 0)
        dc_str_appendf(&sb, "%s from a video %.1f seconds long",
                       opts->frame_count > 0 ? "" : " The frames come", opts->duration_sec);
    if (opts->frame_count > 0 || opts->duration_sec > 0) dc_str_append(&sb, ".");
    dc_str_append(&sb, "\n");
    if (opts->mining_context && opts->windows && opts->window_count > 0) {
        /* Neutral wording: where a cheap detector looked, not what it concluded. */
        dc_str_append(&sb,
                      "Context from an automatic pre-scan (it is often wrong; judge the frames "
                      "yourself):\n");
        int n = opts->window_count < DC_MAX_WINDOWS ? opts->window_count : DC_MAX_WINDOWS;
        for (int i = 0; i < n; i++) {
            const dc_window *w = &opts->windows[i];
            dc_str_appendf(&sb, "- %.1f s to %.1f s, most activity at %.1f s", w->start_sec,
                           w->end_sec, w->peak_sec);
            int sc =
                w->signal_count < DC_MAX_WINDOW_SIGNALS ? w->signal_count : DC_MAX_WINDOW_SIGNALS;
            for (int k = 0; k < sc; k++)
                dc_str_appendf(&sb, "%s%.31s", k ? ", " : "; signals: ", w->signals[k]);
            dc_str_append(&sb, "\n");
        }
    }
    return dc_str_finish(&sb);
}
