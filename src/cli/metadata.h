/* Claim metadata for the fraud rules, from a JSON file given with --metadata:
 *   {"collision_claimed": true, "damage_claimed": "HIGH",
 *    "recent_claims_same_vehicle": 2, "recent_claims_same_location": 0}
 * Every field is optional. */
#ifndef DASHCLAIM_CLI_METADATA_H
#define DASHCLAIM_CLI_METADATA_H

#include "dashclaim/claim.h"

dc_error_class cli_load_metadata(const char *path, dc_claim_metadata *m, dc_status *st);

#endif
