/* Order statistics without a sort: mining's noise floors and medians, the fingerprint's
 * median threshold. */
#ifndef DASHCLAIM_ORDER_STATS_H
#define DASHCLAIM_ORDER_STATS_H

/* The k-th smallest of v[0..n) (0-based, 0 <= k < n), by selection (Hoare's partition).
 * Reorders v so that nothing before v[k] is larger than it and nothing after is smaller. */
float dc_select_float(float *v, int n, int k);

#endif
