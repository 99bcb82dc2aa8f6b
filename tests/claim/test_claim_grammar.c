/* The generated grammar against llama.cpp's own grammar sampler: it parses, it accepts the
 * canonical model output of many random assessments token by token (the Qwen2 tokenizer the
 * VLMs use), it ends where the JSON ends, and it refuses what the schema forbids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <llama.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/claim.h"

static struct llama_model *model;
static const struct llama_vocab *vocab;
static char *grammar;

static void quiet_log(enum ggml_log_level level, const char *text, void *user) {
    (void)level, (void)text, (void)user;
}

static int setup(void **state) {
    (void)state;
    llama_log_set(quiet_log, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    model = llama_model_load_from_file(DC_LLAMA_SRC_DIR "/models/ggml-vocab-qwen2.gguf", mp);
    if (!model) {
        fprintf(stderr, "cannot load %s\n", DC_LLAMA_SRC_DIR "/models/ggml-vocab-qwen2.gguf");
        return -1;
    }
    vocab = llama_model_get_vocab(model);
    grammar = dc_model_output_grammar();
    return grammar ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    free(grammar);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}

static bool token_allowed(struct llama_sampler *s, llama_token tok) {
    llama_token_data d = {tok, 0.0f, 0.0f};
    llama_token_data_array arr = {&d, 1, -1, false};
    llama_sampler_apply(s, &arr);
    return isfinite(arr.data[0].logit);
}

/* Feeds text through the grammar sampler. Returns the number of bytes accepted before the
 * first refused token (strlen(text) when all are accepted); *complete says whether the
 * grammar then allows end of generation. */
static size_t grammar_accepts(const char *text, bool *complete) {
    struct llama_sampler *s =
        llama_sampler_init_grammar(vocab, grammar, DC_MODEL_OUTPUT_GRAMMAR_ROOT);
    assert_non_null(s);
    int n = (int)strlen(text) + 8;
    llama_token *toks = malloc((size_t)n * sizeof *toks);
    int nt = llama_tokenize(vocab, text, (int32_t)strlen(text), toks, n, false, false);
    assert_true(nt > 0);
    size_t bytes = 0;
    bool all = true;
    for (int i = 0; i < nt; i++) {
        if (!token_allowed(s, toks[i])) {
            all = false;
            break;
        }
        llama_sampler_accept(s, toks[i]);
        char piece[256];
        int pl = llama_token_to_piece(vocab, toks[i], piece, sizeof piece, 0, false);
        bytes += pl > 0 ? (size_t)pl : 0;
    }
    *complete = all && token_allowed(s, llama_vocab_eos(vocab));
    free(toks);
    llama_sampler_free(s);
    return all ? strlen(text) : bytes;
}

static void test_grammar_parses_in_llama(void **state) {
    (void)state;
    struct llama_sampler *s =
        llama_sampler_init_grammar(vocab, grammar, DC_MODEL_OUTPUT_GRAMMAR_ROOT);
    assert_non_null(s);
    llama_sampler_free(s);
    /* a broken grammar is refused by the same call: the check above is not vacuous */
    assert_null(llama_sampler_init_grammar(vocab, "root ::= \"a\" bogus", "root"));
}

static unsigned long long rng = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void random_text(char *dst, size_t cap, int max_len) {
    static const char *pieces[] = {
        "car",    " ", "\"quoted\"", "back\\slash", "tab\there", "é",   "日本", "\xf0\x9f\x9a\x97",
        "{json}", "'", "\n",         "0.5",         "\xff",      "HIGH"};
    size_t len = 0;
    int n = (int)rnd((unsigned)max_len);
    dst[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
        size_t pl = strlen(p);
        if (len + pl + 1 >= cap) break;
        memcpy(dst + len, p, pl + 1);
        len += pl;
    }
}

static void random_assessment(dc_assessment *a) {
    dc_assessment_init(a);
    a->severity = (dc_severity)rnd(4);
    a->scenario = (dc_scenario)rnd(DC_SCENARIO_COUNT);
    a->facts.contact = (dc_tristate)rnd(4);
    a->facts.ego_action = (dc_action)rnd(DC_ACTION_UNCLEAR + 1);
    a->facts.other_action = (dc_action)rnd(DC_ACTION_UNCLEAR + 1);
    a->facts.other_position = (dc_position)rnd(DC_POSITION_UNCLEAR + 1);
    a->facts.traffic_signal = (dc_signal)rnd(DC_SIGNAL_UNCLEAR + 1);
    a->facts.speed_kmh = (int)rnd(500) - 50;
    a->facts.actor_count = (int)rnd(DC_MAX_ACTORS + 1);
    for (int i = 0; i < a->facts.actor_count; i++)
        a->facts.actors[i] = (dc_actor)rnd(DC_ACTOR_OTHER + 1);
    a->facts.visibility = (dc_visibility)rnd(DC_VISIBILITY_UNCLEAR + 1);
    a->hazard_count = (int)rnd(DC_MAX_HAZARDS + 1);
    for (int i = 0; i < a->hazard_count; i++) {
        a->hazards[i].type = (dc_hazard_type)rnd(DC_HAZARD_OTHER + 1);
        a->hazards[i].t_sec = rnd(3) ? rnd(100000) / 7.0 : -3.0;
        a->hazards[i].actor_count = (int)rnd(DC_MAX_HAZARD_ACTORS + 1);
    }
    a->evidence_count = (int)rnd(DC_MAX_EVIDENCE + 1);
    for (int i = 0; i < a->evidence_count; i++) {
        a->evidence[i].t_sec = rnd(2) ? rnd(1000) / 3.0 : 1e9;
        a->evidence[i].frame = (int)rnd(1200) - 1;
        random_text(a->evidence[i].description, sizeof a->evidence[i].description, 40);
    }
    random_text(a->reasoning, sizeof a->reasoning, 200);
}

static void test_grammar_accepts_canonical_output(void **state) {
    (void)state;
    for (int round = 0; round < 40; round++) {
        dc_assessment a;
        random_assessment(&a);
        char *text = dc_model_output_to_json(&a);
        assert_non_null(text);
        assert_memory_equal(text, DC_MODEL_OUTPUT_PREFIX, strlen(DC_MODEL_OUTPUT_PREFIX));
        bool complete = false;
        size_t ok = grammar_accepts(text, &complete);
        if (ok != strlen(text) || !complete)
            fail_msg("round %d: grammar refused at byte %zu (complete %d) of %s", round, ok,
                     complete, text);
        /* and what the grammar produced reads back to the same observed values */
        dc_assessment b;
        dc_assessment_init(&b);
        dc_status st;
        assert_int_equal(dc_model_output_apply(text, &b, &st), DC_OK);
        assert_int_equal(b.severity, a.severity);
        char *again = dc_model_output_to_json(&b);
        assert_string_equal(again, text);
        free(again);
        free(text);
    }
}

static void test_grammar_refuses_off_schema(void **state) {
    (void)state;
    bool complete;
    /* whitespace before severity would move the logit read-out step */
    assert_true(grammar_accepts("{ \"severity\":\"HIGH\"", &complete) < 3);
    /* only the four labels */
    size_t at = grammar_accepts("{\"severity\":\"SEVERE\",\"scenario\":\"none\"", &complete);
    assert_true(at >= strlen(DC_MODEL_OUTPUT_PREFIX) - 1 &&
                at < strlen(DC_MODEL_OUTPUT_PREFIX) + 3);
    /* severity first */
    assert_true(grammar_accepts("{\"scenario\":\"none\",\"severity\":\"HIGH\"", &complete) < 6);
    /* strings have a length bound: a 600-character reasoning is cut off */
    dc_assessment a;
    dc_assessment_init(&a);
    a.severity = DC_SEVERITY_LOW;
    char *text = dc_model_output_to_json(&a);
    char *reason = strstr(text, "\"reasoning\":\"");
    assert_non_null(reason);
    size_t head = (size_t)(reason - text) + strlen("\"reasoning\":\"");
    char *longer = malloc(head + 700);
    memcpy(longer, text, head);
    memset(longer + head, 'a', 600);
    strcpy(longer + head + 600, "\"}");
    size_t got = grammar_accepts(longer, &complete);
    assert_true(got < head + 600);
    assert_false(complete);
    /* a truncated answer is not complete */
    text[strlen(text) - 5] = '\0';
    grammar_accepts(text, &complete);
    assert_false(complete);
    free(longer);
    free(text);
}

/* The VLM engine reads severity from the logits at the step after the prefix: each label's
 * first token must be allowed there, and must differ between the labels. */
static void test_severity_tokens_after_prefix(void **state) {
    (void)state;
    llama_token first[DC_SEVERITY_COUNT];
    for (int s = 0; s < DC_SEVERITY_COUNT; s++) {
        struct llama_sampler *smpl =
            llama_sampler_init_grammar(vocab, grammar, DC_MODEL_OUTPUT_GRAMMAR_ROOT);
        llama_token toks[32];
        int nt = llama_tokenize(vocab, DC_MODEL_OUTPUT_PREFIX,
                                (int32_t)strlen(DC_MODEL_OUTPUT_PREFIX), toks, 32, false, false);
        assert_true(nt > 0);
        for (int i = 0; i < nt; i++) {
            assert_true(token_allowed(smpl, toks[i]));
            llama_sampler_accept(smpl, toks[i]);
        }
        const char *label = dc_severity_name((dc_severity)s);
        llama_token lt[8];
        assert_true(llama_tokenize(vocab, label, (int32_t)strlen(label), lt, 8, false, false) > 0);
        first[s] = lt[0];
        assert_true(token_allowed(smpl, lt[0]));
        llama_sampler_free(smpl);
    }
    for (int i = 0; i < DC_SEVERITY_COUNT; i++)
        for (int j = i + 1; j < DC_SEVERITY_COUNT; j++) assert_int_not_equal(first[i], first[j]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grammar_parses_in_llama),
        cmocka_unit_test(test_grammar_accepts_canonical_output),
        cmocka_unit_test(test_grammar_refuses_off_schema),
        cmocka_unit_test(test_severity_tokens_after_prefix),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
