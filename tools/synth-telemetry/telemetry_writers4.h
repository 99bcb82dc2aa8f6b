/* Writers for the fourth set of layouts (70mai A810's freeGPS block, LigoGPS in MPEG-TS),
 * written from exiftool's public descriptions independently of the readers, for tests and
 * benchmarks. Same scene as telemetry_writers.h. Functions return 0 on success, -1 on failure
 * (message on stderr). */
#ifndef TELEMETRY_WRITERS4_H
#define TELEMETRY_WRITERS4_H

#include "telemetry_writers3.h"

/* The 70mai A810 freeGPS block (a whole 'free' box of 0x200 bytes) for second k: 'A' at 30,
 * int32 LE latitude / longitude at 31 / 35 as DDMM.MMMMM * 1e5 with the sign for S / W, int32
 * LE whole km/h at 43, "VV" at 51. No time. */
int tw4_a810_block(const tw_scene *s, int k, tw_buf *out);
/* One such block a second, listed by moov/'gps ' (tw_mp4_add_novatek). */
int tw4_mp4_add_a810(const tw_scene *s, const char *in, const char *out);

/* LigoGPS in MPEG-TS: one PES a second on PID 0x300 (not in the PMT), its payload "skip" +
 * u32 BE size + a LigoGPS header and one record; the records are not scrambled but the header
 * says scrambled when header_says_fuzzed (exiftool: TS records are never scrambled). */
int tw4_ligogps_pes_payload(const tw_scene *s, int k, bool header_says_fuzzed, tw_buf *out);
int tw4_ts_add_ligogps(const tw_scene *s, const char *in, const char *out);

#endif
