/* The frame every report page shares: document head with the one inline stylesheet, and
 * small formatting helpers. No external fonts, images or scripts: the page must render the
 * same from an archive with no network. */
#include <math.h>
#include <stdio.h>

#include "report_internal.h"

static const char page_css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f3f4f6;color:#1f2328;"
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}"
    "main{max-width:1220px;margin:0 auto;padding:20px}"
    "h1{font-size:20px;margin:0 0 4px}"
    "h2{font-size:15px;margin:0 0 10px;text-transform:uppercase;letter-spacing:.04em;"
    "color:#57606a}"
    ".sub{color:#57606a;font-size:13px;overflow-wrap:anywhere}"
    ".mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px}"
    ".banner{border-radius:10px;padding:18px 22px;margin:14px 0;color:#fff;display:flex;"
    "flex-wrap:wrap;gap:10px 36px;align-items:center}"
    ".banner .verdict{font-size:30px;font-weight:700;letter-spacing:.02em}"
    ".banner .item{font-size:13px;opacity:.9}"
    ".banner .item b{display:block;font-size:19px;opacity:1}"
    ".banner .errmsg{flex-basis:100%;font-size:15px;background:rgba(0,0,0,.25);"
    "padding:10px 12px;border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere}"
    ".sev-none{background:#1f7a3a}.sev-low{background:#5d7f12}"
    ".sev-medium{background:#c26a00}.sev-high{background:#b42318}"
    ".sev-unset{background:#59636e}"
    ".failed{background:repeating-linear-gradient(135deg,#3b4148 0 18px,#454c54 18px 36px);"
    "border:3px solid #d1242f}"
    ".note{background:#fff8c5;border:1px solid #d4a72c;border-radius:8px;padding:8px 12px;"
    "margin:0 0 14px}"
    ".grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:14px}"
    ".card{background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:14px 16px;"
    "margin-bottom:14px}"
    ".grid .card{margin-bottom:0}"
    ".wide{margin-top:14px}"
    ".cols{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:24px}"
    ".cols td{overflow-wrap:anywhere}"
    ".bars{display:grid;grid-template-columns:80px 1fr 64px 70px;gap:6px 10px;"
    "align-items:center}"
    ".bar{height:16px;background:#eaeef2;border-radius:4px;overflow:hidden}"
    ".bar span{display:block;height:100%;background:#8c959f}"
    ".bar.inset span{background:#0969da}"
    ".tag{display:inline-block;font-size:11px;font-weight:600;padding:1px 7px;"
    "border-radius:10px;background:#ddf4ff;color:#0550ae;border:1px solid #54aeff}"
    ".tag.off{background:#f6f8fa;color:#57606a;border-color:#d0d7de}"
    ".big{font-size:26px;font-weight:700}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eaeef2;"
    "vertical-align:top}"
    "th{color:#57606a;font-weight:600;width:34%}"
    "table.list th{width:auto}"
    ".num{text-align:right;font-variant-numeric:tabular-nums}"
    ".facts{display:grid;grid-template-columns:repeat(2,minmax(150px,auto) 1fr);gap:0 12px}"
    ".facts div{padding:5px 8px;border-bottom:1px solid #eaeef2}"
    ".facts .k{color:#57606a;font-weight:600}"
    ".frames{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));"
    "gap:14px}"
    "figure{margin:0;background:#f6f8fa;border:1px solid #d0d7de;border-radius:8px;"
    "overflow:hidden}"
    "figure img{display:block;width:100%;height:auto;background:#000}"
    "figure .noimg{height:120px;display:flex;align-items:center;justify-content:center;"
    "color:#8c959f;background:#eaeef2}"
    "figcaption{padding:8px 10px;overflow-wrap:anywhere}"
    /* a claim of several videos: each camera's frame of one instant side by side */
    ".frames figure.multi{grid-column:span 2}"
    ".frames figure[data-channels=\"3\"]{grid-column:span 3}"
    ".frames figure.multi.many{grid-column:1/-1}"
    ".channels{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));"
    "gap:2px;background:#d0d7de}"
    ".channel{background:#f6f8fa}"
    ".channel .ch{padding:4px 10px;font-size:12px;color:#57606a}"
    ".video-error{color:#a40e26;overflow-wrap:anywhere}"
    "figcaption .t{font-weight:700;color:#0969da;margin-right:6px}"
    ".reasoning{white-space:pre-wrap;overflow-wrap:anywhere}"
    "tr.error td{border-top:0;padding-top:0;color:#a40e26;font-size:13px;"
    "overflow-wrap:anywhere}"
    "td.video{overflow-wrap:anywhere;min-width:260px}"
    "svg.timeline{width:100%;height:auto;display:block}"
    ".legend{font-size:12px;color:#57606a;margin-top:6px}"
    ".legend i{display:inline-block;width:12px;height:12px;vertical-align:-2px;"
    "margin:0 4px 0 12px;border-radius:2px}"
    "a{color:#0969da}"
    ".pill{display:inline-block;padding:1px 9px;border-radius:10px;color:#fff;"
    "font-weight:600;font-size:12px}"
    "footer{color:#8c959f;font-size:12px;margin-top:16px}";

void report_page_begin(dc_str *p, const char *title) {
    dc_str_append(p, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
                     "<meta name=\"generator\" content=\"dashclaim " DC_VERSION "\">\n<title>");
    report_page_put_escaped(p, title);
    dc_str_append(p, "</title>\n<style>");
    dc_str_append(p, page_css);
    dc_str_append(p, "</style>\n</head>\n<body>\n<main>\n");
}

void report_page_end(dc_str *p) {
    dc_str_append(p, "<footer>Written by dashclaim " DC_VERSION
                     ". Model-written text is shown as written, escaped; it is evidence "
                     "for a reviewer, not a decision.</footer>\n</main>\n</body>\n</html>\n");
}

const char *report_format_time(double sec, char out[32]) {
    if (!isfinite(sec) || sec < 0) sec = 0;
    if (sec > REPORT_MAX_TIME_SEC) sec = REPORT_MAX_TIME_SEC;
    long tenths = lround(sec * 10.0);
    long s = tenths / 10;
    if (s >= 3600) {
        snprintf(out, 32, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    } else {
        snprintf(out, 32, "%ld:%02ld.%ld", s / 60, s % 60, tenths % 10);
    }
    return out;
}

const char *report_severity_class(dc_claim_status status, dc_severity s) {
    if (report_claim_failed(status)) return "failed";
    switch (s) {
    case DC_SEVERITY_NONE: return "sev-none";
    case DC_SEVERITY_LOW: return "sev-low";
    case DC_SEVERITY_MEDIUM: return "sev-medium";
    case DC_SEVERITY_HIGH: return "sev-high";
    case DC_SEVERITY_UNSET: break;
    }
    return "sev-unset";
}
