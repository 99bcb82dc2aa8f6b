/* Claim metadata for the fraud rules, from a JSON file given with --metadata:
 *   {"collision_claimed": true, "damage_claimed": "HIGH",
 *    "recent_claims_same_vehicle": 2, "recent_claims_same_location": 0,
 *    "location": "47.3769, 8.5417", "incident_time": "2026-03-14T10:26:00+01:00"}
 * Every field is optional. location (coordinates) and incident_time (an ISO 8601 date or
 * time) are held against the video's GPS by the fraud rules. */
#ifndef DASHCLAIM_CLI_METADATA_H
#define DASHCLAIM_CLI_METADATA_H

#include "dashclaim/claim.h"

dc_error_class cli_load_metadata(const char *path, dc_claim_metadata *m, dc_status *st);

#endif
