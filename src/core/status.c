#include "dashclaim/status.h"

#include <stdarg.h>
#include <stdio.h>

dc_error_class dc_fail(dc_status *st, dc_error_class code, const char *fmt, ...) {
    if (st) {
        st->code = code;
        st->degraded = false;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->message, sizeof st->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

void dc_degrade(dc_status *st, const char *fmt, ...) {
    if (!st) return;
    st->degraded = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof st->message, fmt, ap);
    va_end(ap);
}

const char *dc_error_class_name(dc_error_class code) {
    switch (code) {
    case DC_OK: return "ok";
    case DC_ERR_INPUT: return "input";
    case DC_ERR_RESOURCE: return "resource";
    case DC_ERR_TIMEOUT: return "timeout";
    case DC_ERR_MODEL: return "model";
    case DC_ERR_INTERNAL: return "internal";
    }
    return "internal";
}
