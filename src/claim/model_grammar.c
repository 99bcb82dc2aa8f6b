/* GBNF grammar for the model's answer, generated from claim_model_fields. Compact JSON with no
 * whitespace, so that the bytes before the severity value are always DC_MODEL_OUTPUT_PREFIX
 * and the VLM engine knows at which step severity is decided. Strings have no escapes: a
 * model that cannot write a backslash cannot write a broken escape, and the character count
 * bound is then exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claim_internal.h"

typedef struct {
    dc_str sb;
    const void *emitted[64]; /* enum descriptors and bounds already written as rules */
    int emitted_count;
    int string_bounds[16];
    int string_bound_count;
    int int_maxima[8];
    int int_max_count;
    bool number_emitted;
} grammar_writer;

/* GBNF rule names allow letters, digits and '-'. */
static void rule_name(char *out, size_t size, const char *prefix, const char *name) {
    snprintf(out, size, "%s%s%s", prefix, *prefix ? "-" : "", name);
    for (char *c = out; *c; c++)
        if (*c == '_') *c = '-';
}

static bool seen_ptr(grammar_writer *g, const void *p) {
    for (int i = 0; i < g->emitted_count; i++)
        if (g->emitted[i] == p) return true;
    if (g->emitted_count < (int)(sizeof g->emitted / sizeof g->emitted[0]))
        g->emitted[g->emitted_count++] = p;
    return false;
}

static int digits_of(double max) {
    int d = 1;
    for (double m = max; m >= 10; m /= 10) d++;
    return d;
}

static void need_enum(grammar_writer *g, const claim_enum_desc *e) {
    if (seen_ptr(g, e)) return;
    dc_str_appendf(&g->sb, "%s ::= ", e->rule);
    for (int i = e->offer_from; i < e->count; i++)
        dc_str_appendf(&g->sb, "%s\"\\\"%s\\\"\"", i > e->offer_from ? " | " : "", e->names[i]);
    dc_str_append(&g->sb, "\n");
}

static void need_string(grammar_writer *g, int max_chars) {
    for (int i = 0; i < g->string_bound_count; i++)
        if (g->string_bounds[i] == max_chars) return;
    if (g->string_bound_count < 16) g->string_bounds[g->string_bound_count++] = max_chars;
    dc_str_appendf(&g->sb, "str%d ::= \"\\\"\" [^\"\\\\\\x00-\\x1f]{0,%d} \"\\\"\"\n", max_chars,
                   max_chars);
}

/* intM ::= the JSON integers 0..M exactly, so that a value the schema would clamp (and record
 * as a repair) cannot be generated at all. Numbers shorter than M are free; those as long as
 * M follow its digits: for each position, a smaller digit after M's prefix, then any digits. */
static void need_int(grammar_writer *g, int max) {
    for (int i = 0; i < g->int_max_count; i++)
        if (g->int_maxima[i] == max) return;
    if (g->int_max_count < 8) g->int_maxima[g->int_max_count++] = max;
    char m[16];
    int d = snprintf(m, sizeof m, "%d", max);
    dc_str_appendf(&g->sb, "int%d ::= \"0\"", max);
    if (d >= 3) dc_str_appendf(&g->sb, " | [1-9] [0-9]{0,%d}", d - 2);
    else if (d == 2) dc_str_appendf(&g->sb, " | [1-9]");
    for (int i = 0; i < d; i++) {
        int lo = i == 0 ? 1 : 0, hi = m[i] - '0' - 1;
        if (hi < lo) continue;
        if (i == 0) dc_str_appendf(&g->sb, " | [%d-%d]", lo, hi);
        else dc_str_appendf(&g->sb, " | \"%.*s\" [%d-%d]", i, m, lo, hi);
        if (d - i - 1 > 0) dc_str_appendf(&g->sb, " [0-9]{%d}", d - i - 1);
    }
    if (max > 0) dc_str_appendf(&g->sb, " | \"%s\"", m);
    dc_str_appendf(&g->sb, "\n");
}

static void need_number(grammar_writer *g, double max) {
    if (g->number_emitted) return;
    g->number_emitted = true;
    dc_str_appendf(&g->sb, "num ::= (\"0\" | [1-9] [0-9]{0,%d}) (\".\" [0-9]{1,2})?\n",
                   digits_of(max) - 1);
}

static void write_object_rule(grammar_writer *g, const char *name, const claim_field *fields,
                              int count);

/* Writes the symbol for field f into line (and any rules it needs into g). */
static void field_symbol(grammar_writer *g, dc_str *line, const char *parent,
                         const claim_field *f) {
    char name[96];
    switch (f->kind) {
    case CLAIM_FIELD_ENUM:
        need_enum(g, f->enumd);
        dc_str_append(line, f->enumd->rule);
        break;
    case CLAIM_FIELD_ENUM_ARRAY:
        need_enum(g, f->enumd);
        dc_str_appendf(line, "\"[\" (%s (\",\" %s){0,%d})? \"]\"", f->enumd->rule, f->enumd->rule,
                       f->max_items - 1);
        break;
    case CLAIM_FIELD_STRING:
        need_string(g, f->max_items);
        dc_str_appendf(line, "str%d", f->max_items);
        break;
    case CLAIM_FIELD_NUMBER:
        need_number(g, f->max);
        dc_str_append(line, "num");
        break;
    case CLAIM_FIELD_INT:
        need_int(g, (int)f->max);
        dc_str_appendf(line, "int%d", (int)f->max);
        break;
    case CLAIM_FIELD_INT_OR_NULL:
        need_int(g, (int)f->max);
        dc_str_appendf(line, "(\"null\" | int%d)", (int)f->max);
        break;
    case CLAIM_FIELD_OBJECT:
        rule_name(name, sizeof name, parent, f->name);
        write_object_rule(g, name, f->children, f->child_count);
        dc_str_append(line, name);
        break;
    case CLAIM_FIELD_OBJECT_ARRAY:
        rule_name(name, sizeof name, parent, f->name);
        strncat(name, "-item", sizeof name - strlen(name) - 1);
        write_object_rule(g, name, f->children, f->child_count);
        dc_str_appendf(line, "\"[\" (%s (\",\" %s){0,%d})? \"]\"", name, name, f->max_items - 1);
        break;
    }
}

static void write_object_rule(grammar_writer *g, const char *name, const claim_field *fields,
                              int count) {
    dc_str line = {0};
    dc_str_appendf(&line, "%s ::= \"{\"", name);
    for (int i = 0; i < count; i++) {
        dc_str_appendf(&line, " \"%s\\\"%s\\\":\" ", i ? "," : "", fields[i].name);
        field_symbol(g, &line, strcmp(name, DC_MODEL_OUTPUT_GRAMMAR_ROOT) ? name : "", &fields[i]);
    }
    dc_str_append(&line, " \"}\"\n");
    char *text = dc_str_finish(&line);
    if (!text) {
        g->sb.failed = true;
        return;
    }
    dc_str_append(&g->sb, text);
    free(text);
}

char *dc_model_output_grammar(void) {
    grammar_writer g = {0};
    dc_str_appendf(&g.sb,
                   "# dashclaim model output, %s (generated from src/claim/model_schema.c)\n",
                   DC_PROMPT_VERSION);
    write_object_rule(&g, DC_MODEL_OUTPUT_GRAMMAR_ROOT, claim_model_fields,
                      claim_model_field_count);
    return dc_str_finish(&g.sb);
}
