/* Footage seen in earlier claims, for the service (serve_footage.c): the pipeline's lookup
 * backed by the footage index at the store's location, and the worker keeping each claim's
 * fingerprints after its assessment. Each thread keeps one index connection of its own (made on
 * first use, closed when the thread ends). */
#ifndef DASHCLAIM_SERVE_FOOTAGE_H
#define DASHCLAIM_SERVE_FOOTAGE_H

#include <stdbool.h>

#include "dashclaim/pipeline.h"
#include "serve_internal.h"

/* A dc_footage_lookup_fn: ctx is the store's location (const char *, as given to
 * dc_store_open). Besides the footage, other claims whose dashcam put their incident within
 * DC_REPEAT_LOCATION_RADIUS_M and 24 hours of this one's (check->near). */
bool serve_footage_lookup(void *ctx, const char *claim_id, const dc_claim_video *videos,
                          const dc_fingerprint *fingerprints, int count,
                          const dc_telemetry_summary *incident, dc_footage_check *check);

/* Stores the videos of r (r->assessment.videos[i] with r->fingerprints[i]; those without a
 * SHA-256 are skipped) and the incident's place (when its telemetry gave a position and a UTC
 * time) under claim_id, so that later claims find them. Storing again is
 * harmless (a retried job). false with *st when the index cannot be written. */
bool serve_footage_keep(const char *store_url, const char *claim_id, const dc_claim_result *r,
                        dc_status *st);

/* GET /v1/claims/{id}/matches (reviewer, admin): the claim's stored videos looked up again now
 * against every other claim in the index (earlier and later ones), as JSON {claim_id, checked,
 * note, matches: [{claim_id, same_file, video, video_sec, other_video, other_sec, seconds,
 * distance, mirrored}]}; 404 for an unknown claim; checked false with a note while the claim has no
 * video in the index (not assessed yet). */
enum MHD_Result serve_claim_matches(serve_request *r);

#endif
