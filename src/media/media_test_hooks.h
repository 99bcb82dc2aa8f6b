/* Fault injection inside the media module, compiled into test builds only (DC_TEST_HOOKS);
 * the switches a test turns are declared in dashclaim/media.h. */
#ifndef DC_MEDIA_TEST_HOOKS_H
#define DC_MEDIA_TEST_HOOKS_H

#ifdef DC_TEST_HOOKS
/* Waits as long as dc_media_test_slow_decode asked, before a video packet is decoded. */
void media_test_decode_delay(void);
#else
#define media_test_decode_delay() ((void)0)
#endif

#endif
