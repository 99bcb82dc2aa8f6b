/* Fraud indicators from the observed facts, the mining windows and (when given) what the
 * claimant says. Each indicator carries an id, a weight and a reason; the score combines
 * weights as independent pieces of evidence (1 - prod(1 - w)), so it stays in [0,1], grows
 * with every indicator, and one strong indicator is not drowned by the absence of others.
 * DC_RULES_VERSION covers this table. */
#include <stdio.h>
#include <string.h>

#include "claim_internal.h"

typedef struct {
    const char *id;
    double weight;
    /* true when the indicator fires; may write a specific reason (else the table's) */
    bool (*fires)(const dc_assessment *a, const dc_claim_metadata *m, char *why, size_t n);
    const char *reason;
} fraud_rule;

static bool any_impact_signal(const dc_assessment *a) {
    for (int i = 0; i < a->window_count && i < DC_MAX_WINDOWS; i++)
        for (int k = 0; k < a->windows[i].signal_count && k < DC_MAX_WINDOW_SIGNALS; k++)
            if (strstr(a->windows[i].signals[k], "impact")) return true;
    return false;
}

/* Brake check: the vehicle ahead brakes hard for no traffic reason and is hit. */
static bool brake_check(const dc_assessment *a, const dc_claim_metadata *m, char *why, size_t n) {
    const dc_facts *f = &a->facts;
    return f->other_position == DC_POSITION_AHEAD && f->other_braked_suddenly == DC_TRI_YES &&
           f->brake_cause_visible == DC_TRI_NO && f->contact != DC_TRI_NO;
}

static bool collision_without_contact(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                                      size_t n) {
    return m && m->collision_claimed == DC_TRI_YES && a->facts.contact == DC_TRI_NO &&
           !any_impact_signal(a);
}

static bool damage_exceeds_severity(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                                    size_t n) {
    if (!m || m->damage_claimed == DC_SEVERITY_UNSET || a->severity == DC_SEVERITY_UNSET)
        return false;
    if ((int)m->damage_claimed - (int)a->severity < 2) return false;
    snprintf(why, n, "claimed damage %s but the video shows %s",
             dc_severity_name(m->damage_claimed), dc_severity_name(a->severity));
    return true;
}

static bool positioned_before(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                              size_t n) {
    return a->facts.other_positioned_before == DC_TRI_YES && a->facts.contact != DC_TRI_NO;
}

static bool repeat_vehicle(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                           size_t n) {
    if (!m || m->recent_claims_same_vehicle < 1) return false;
    snprintf(why, n, "%d recent claim(s) with the same vehicle", m->recent_claims_same_vehicle);
    return true;
}

/* " (and 2 more claim(s))" after a row's reason. */
static void more_claims(char *why, size_t n, int more) {
    size_t len = strlen(why);
    if (more > 0 && len < n) snprintf(why + len, n - len, " (and %d more claim(s))", more);
}

/* From the claimant's metadata (recent claims the insurer counted), or from the footage
 * index: another claim whose dashcam put its incident at this place on this day. */
static bool repeat_location(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                            size_t n) {
    const dc_footage_check *f = &a->footage;
    if (f->near_count > 0) {
        const dc_footage_near_claim *c = &f->near[0];
        snprintf(why, n, "the dashcam puts the incident %.0f m from claim %.80s's, %.1f h apart",
                 c->distance_m, c->claim_id, c->hours_apart);
        more_claims(why, n, f->near_count - 1);
        return true;
    }
    if (!m || m->recent_claims_same_location < 1) return false;
    snprintf(why, n, "%d recent claim(s) at the same location", m->recent_claims_same_location);
    return true;
}

/* ---- the claim against the dashcam's own data (a->telemetry, a->video's tags) ----------- */

/* The claimant's place more than this far from where the video's GPS puts the incident. */
#define PLACE_KM 5.0
/* The claimant's time more than this from the GPS's UTC: a day and the widest time zone, as a
 * time given without a zone may be local. A date alone may be off by a zone either side. */
#define TIME_MS (26LL * 3600 * 1000)
#define ZONE_MS (14LL * 3600 * 1000)
#define DAY_MS (24LL * 3600 * 1000)
/* A collision's jolt: below this over the whole video, the G-sensor felt none. */
#define NO_JOLT_G 0.5

static bool place_mismatch(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                           size_t n) {
    const dc_telemetry_summary *t = &a->telemetry;
    if (!m || !m->has_place || !t->has_position) return false;
    double km = dc_distance_km(m->place_lat, m->place_lon, t->lat, t->lon);
    if (!(km > PLACE_KM)) return false;
    snprintf(
        why, n,
        "the claim places the incident at %.5f, %.5f, %.0f km from the video's GPS (%.5f, %.5f)",
        m->place_lat, m->place_lon, km, t->lat, t->lon);
    return true;
}

static bool time_mismatch(const dc_assessment *a, const dc_claim_metadata *m, char *why, size_t n) {
    const dc_telemetry_summary *t = &a->telemetry;
    if (!m || m->stated_utc_ms == DC_NO_UTC || t->utc_ms == DC_NO_UTC) return false;
    int64_t from = m->stated_utc_ms - (m->stated_date_only ? ZONE_MS : TIME_MS);
    int64_t to = m->stated_utc_ms + (m->stated_date_only ? DAY_MS + ZONE_MS : TIME_MS);
    if (t->utc_ms >= from && t->utc_ms <= to) return false;
    char stated[32], gps[32];
    dc_utc_format(m->stated_utc_ms, stated);
    dc_utc_format(t->utc_ms, gps);
    double days = (double)(t->utc_ms - m->stated_utc_ms) / DAY_MS;
    snprintf(why, n,
             "the claim dates the incident %.10s%s%s but the video's GPS time is %s (%+.1f days)",
             stated, m->stated_date_only ? "" : " ", m->stated_date_only ? "" : stated + 11, gps,
             days);
    return true;
}

static bool collision_without_jolt(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                                   size_t n) {
    const dc_telemetry_summary *t = &a->telemetry;
    if (!m || m->collision_claimed != DC_TRI_YES || t->accel_count <= 0 || t->peak_g < 0 ||
        t->peak_g >= NO_JOLT_G)
        return false;
    snprintf(why, n,
             "a collision is claimed but the dashcam's G-sensor peaked at %.2f g (%d samples)",
             t->peak_g, t->accel_count);
    return true;
}

static bool names_any(const char *text, const char *const *names) {
    for (int i = 0; text[0] && names[i]; i++)
        if (strcasestr(text, names[i])) return true;
    return false;
}

/* Makers whose cameras write telemetry into (or beside) every recording. */
static const char *const telemetry_cameras[] = {"GoPro",   "VIOFO",     "BlackVue", "Vantrue",
                                                "Garmin",  "Thinkware", "Nextbase", "70mai",
                                                "Vueroid", NULL};

static bool telemetry_missing(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                              size_t n) {
    const dc_telemetry_summary *t = &a->telemetry;
    if (!names_any(a->video.device, telemetry_cameras)) return false;
    if (t->source[0] && (t->fix_count > 0 || t->accel_count > 0)) return false;
    snprintf(why, n, "the file names a %.64s, which records GPS and G-sensor data, but holds none",
             a->video.device);
    return true;
}

/* Editing and transcoding programs that write their name into the encoder tag. FFmpeg's
 * "Lavf" is left out: it is what many upload tools (and our own generated clips) write, so
 * it says too little alone. */
static const char *const editors[] = {
    "HandBrake", "Adobe",    "Premiere", "iMovie",  "Final Cut", "DaVinci", "CapCut",    "Shotcut",
    "Kdenlive",  "OpenShot", "VSDC",     "Filmora", "Clipchamp", "Movavi",  "VideoProc", NULL};

static bool reencoded(const dc_assessment *a, const dc_claim_metadata *m, char *why, size_t n) {
    if (!names_any(a->video.encoder, editors)) return false;
    snprintf(why, n, "the file was written by %.64s, not by a camera: re-encoded or edited",
             a->video.encoder);
    return true;
}

/* ---- footage seen in earlier claims (a->footage, filled by the caller's store lookup) ---- */

/* The first (best: the lookup puts same-file rows first, then the longest runs) match of one
 * kind and how many more there are. A match found before a lookup failed (checked false) is
 * still evidence; a record whose lookup never ran has none, and says so in footage.note. */
static const dc_footage_match *first_match(const dc_assessment *a, bool same_file, int *more) {
    const dc_footage_match *first = NULL;
    *more = 0;
    for (int i = 0; i < a->footage.match_count && i < DC_MAX_FOOTAGE_MATCHES; i++) {
        const dc_footage_match *m = &a->footage.matches[i];
        if (m->same_file != same_file || !m->claim_id[0]) continue;
        if (!first) first = m;
        else if (strcmp(m->claim_id, first->claim_id)) (*more)++;
    }
    return first;
}

static bool same_file(const dc_assessment *a, const dc_claim_metadata *m, char *why, size_t n) {
    int more;
    const dc_footage_match *f = first_match(a, true, &more);
    if (!f) return false;
    snprintf(why, n, "video %d is byte for byte the video of claim %.80s (the same SHA-256)",
             f->video + 1, f->claim_id);
    more_claims(why, n, more);
    return true;
}

static bool same_footage(const dc_assessment *a, const dc_claim_metadata *m, char *why, size_t n) {
    int more;
    const dc_footage_match *f = first_match(a, false, &more);
    if (!f) return false;
    snprintf(why, n,
             "%.0f seconds of video %d from its second %.0f match claim %.80s from its second %.0f"
             ", distance %.1f%s",
             f->seconds, f->video + 1, f->video_sec, f->claim_id, f->other_sec, f->distance,
             f->mirrored ? ", mirrored" : "");
    more_claims(why, n, more);
    return true;
}

static const fraud_rule fraud_rules[] = {
    {"X-BRAKE-CHECK", 0.50, brake_check,
     "the vehicle ahead braked hard with no visible traffic reason"},
    {"X-NO-CONTACT", 0.60, collision_without_contact,
     "a collision is claimed but no contact is visible and no impact signal fired"},
    {"X-DAMAGE-MISMATCH", 0.40, damage_exceeds_severity,
     "claimed damage exceeds the observed severity"},
    {"X-STAGED-POSITION", 0.40, positioned_before,
     "the other party was in place before the event, as if waiting"},
    {"X-REPEAT-VEHICLE", 0.30, repeat_vehicle, "the same vehicle appears in recent claims"},
    {"X-REPEAT-LOCATION", 0.20, repeat_location, "the same location appears in recent claims"},
    {"X-PLACE-MISMATCH", 0.40, place_mismatch,
     "the claim's place is far from where the video's GPS puts the incident"},
    {"X-TIME-MISMATCH", 0.40, time_mismatch,
     "the claim's date or time is far from the video's GPS time"},
    {"X-NO-JOLT", 0.50, collision_without_jolt,
     "a collision is claimed but the dashcam's G-sensor felt no impact"},
    {"X-TELEMETRY-MISSING", 0.30, telemetry_missing,
     "the camera records telemetry but the file holds none"},
    {"X-REENCODED", 0.30, reencoded, "the file was re-encoded by another program"},
    /* The same bytes in another claim: one crash claimed twice (two policies, two insurers). */
    {"X-SAME-FILE", 0.80, same_file, "the video is the same file as an earlier claim's"},
    /* The same footage re-encoded, cropped, mirrored or cut: recycled, not one's own. */
    {"X-SAME-FOOTAGE", 0.70, same_footage, "the video shows footage of an earlier claim"},
};

void dc_fraud_decide(dc_assessment *a, const dc_claim_metadata *m) {
    a->fraud_indicator_count = 0;
    memset(a->fraud_indicators, 0, sizeof a->fraud_indicators);
    a->fraud_score = 0;
    /* A failed claim has no observations; metadata alone is judged by a person. */
    if (a->status == DC_CLAIM_FAILED) return;
    double keep = 1.0; /* probability that no indicator is real */
    for (size_t i = 0; i < sizeof fraud_rules / sizeof fraud_rules[0]; i++) {
        const fraud_rule *r = &fraud_rules[i];
        char why[200] = "";
        if (!r->fires(a, m, why, sizeof why)) continue;
        if (a->fraud_indicator_count >= DC_MAX_FRAUD_INDICATORS) break;
        dc_fraud_indicator *ind = &a->fraud_indicators[a->fraud_indicator_count++];
        snprintf(ind->id, sizeof ind->id, "%s", r->id);
        ind->weight = r->weight;
        snprintf(ind->reason, sizeof ind->reason, "%s", why[0] ? why : r->reason);
        keep *= 1.0 - r->weight;
    }
    a->fraud_score = 1.0 - keep;
}

void dc_claim_metadata_init(dc_claim_metadata *m) {
    m->collision_claimed = DC_TRI_UNKNOWN;
    m->damage_claimed = DC_SEVERITY_UNSET;
    m->recent_claims_same_vehicle = -1;
    m->recent_claims_same_location = -1;
    m->has_place = false;
    m->stated_utc_ms = DC_NO_UTC;
    m->stated_date_only = false;
}
