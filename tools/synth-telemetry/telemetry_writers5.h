/* Writers for the fifth set of layouts (LigoGPS's digit cipher, 70mai A810 blocks without a
 * fix, GoPro GPMF with ORIN and GYRO, Vueroid's tvxt track), written from the formats' public
 * descriptions independently of the readers, for tests and benchmarks. Same scene as
 * telemetry_writers.h. Functions return 0 on success, -1 on failure (message on stderr). */
#ifndef TELEMETRY_WRITERS5_H
#define TELEMETRY_WRITERS5_H

#include "telemetry_writers4.h"

/* LigoGPS in the digit cipher: header ("LIGOGPSINFO\0", bytes 12..15 0,0,0,0x14: not
 * scrambled) + one 0x84-byte record a second for k in [from, from + count) except k == skip
 * (a second the receiver skipped; -1: none): "####" + u16 counter + 2 zero bytes + the text
 * "YYYY/MM/DD hh:mm:ss N:lat E:lon knots km/h x:ax y:ay z:az" (a '-' before a southern
 * latitude or western longitude) with every byte 0x30..0x5f put through a fixed substitution
 * table made from `key`, NUL padding. The table keeps the year's '2' in 0x30..0x3f (an invalid
 * steering byte of the encryption, which exiftool 13.x needs to tell the cipher apart) unless
 * key has TW5_CIPHER_AS_DRAWN. */
#define TW5_CIPHER_AS_DRAWN 0x80000000u
int tw5_ligogps_cipher_payload(const tw_scene *s, int from, int count, int skip, unsigned key,
                               tw_buf *out);
/* A copy of `in` with such a payload (the whole scene) as the 'skip' "&&&&" trailer. */
int tw5_add_ligogps_cipher_trailer(const tw_scene *s, const char *in, const char *out);

/* The 70mai A810 freeGPS block without a fix (a cold start): as tw4_a810_block but 'V' at 30
 * and zero position and speed. */
int tw5_a810_block_no_fix(tw_buf *out);
/* A810 blocks a second, the first `cold` of them without a fix, listed by moov/'gps '. */
int tw5_mp4_add_a810_cold(const tw_scene *s, int cold, const char *in, const char *out);

/* The scene's rotation rate at t (rad/s about the camera's X, Y, Z): a slow roll, a steady
 * pitch bias and a yaw kick at the impact. */
void tw5_gyro_at(const tw_scene *s, double t, double *x, double *y, double *z);
/* A GPMF payload for second k: DEVC (DVID, DVNM device) with an ACCL STRM (accel_hz, m/s^2,
 * SCAL 418) and a GYRO STRM (the same rate, rad/s, SCAL 939), their channels stored in the
 * order `order` names (three of X Y Z, lower case negated, e.g. "YxZ": Y, -X, Z); ORIN
 * written with that order when write_orin. */
int tw5_gpmf_oriented_payload(const tw_scene *s, int k, int accel_hz, const char *order,
                              bool write_orin, const char *device, tw_buf *out);
/* One such payload a second in a gpmd track. */
int tw5_mp4_add_gpmf_oriented(const tw_scene *s, const char *order, bool write_orin,
                              const char *device, const char *in, const char *out);

/* Vueroid's 'tvxt' track (sample entry 'mp4s'): hz 72-byte records a second (little-endian:
 * accelerometer floats at 0x28, hemisphere bytes 0x34 (1 = N) and 0x35 (1 = E), altitude u16
 * at 0x36, speed float km/h at 0x38, DDMM.MMMM floats at 0x3c / 0x40 for the position at the
 * whole second, u32 clock at 0x44: the scene's UTC in whole seconds), the first `cold` seconds
 * zero (no fix), and a zero record at the end as the camera writes. */
int tw5_vueroid_record(const tw_scene *s, double t, bool no_fix, uint8_t rec[72]);
int tw5_mp4_add_vueroid(const tw_scene *s, int hz, int cold, const char *in, const char *out);

#endif
