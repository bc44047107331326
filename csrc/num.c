/* Number parsing and formatting that must match Redis bit for bit.
 *
 * Redis does INCRBYFLOAT/HINCRBYFLOAT in C `long double` (80-bit x87 on x86-64) and
 * parses and prints floats with the C library (strtold, strtod, snprintf). Rust has no
 * long double, and re-implementing glibc's parsing (hex floats, "infinity", ERANGE on
 * underflow) and %.17Lf rounding would be a source of one-ulp differences, so these few
 * functions call the same C library routines Redis calls. Everything is exposed to Rust
 * through src/util/num.rs, which is the only caller; the contracts are documented there.
 *
 * No function here allocates, keeps state, or touches anything but its arguments and
 * errno (which is thread-local).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis copies a long double argument into a buffer of MAX_LONG_DOUBLE_CHARS bytes
 * (5 KiB) and rejects anything that does not fit with its terminator. */
#define SHOAL_LD_INPUT_CAP 5120

/* Result codes of shoal_ld_incr, mirrored in num.rs. */
#define SHOAL_LD_OK 0
#define SHOAL_LD_BAD_CURRENT 1
#define SHOAL_LD_BAD_INCR 2
#define SHOAL_LD_NAN_OR_INF 3
#define SHOAL_LD_NO_ROOM 4

/* Redis string2ld: the whole input must be consumed by strtold, with no leading
 * space; NaN, overflow to infinity and underflow to zero are rejected (a subnormal
 * result with ERANGE is accepted). "inf"/"infinity" are accepted. */
static int ld_parse(const char *s, size_t len, long double *out) {
    char buf[SHOAL_LD_INPUT_CAP];
    char *end;
    long double value;

    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    value = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || (size_t)(end - buf) != len) return 0;
    if (errno == ERANGE && (isinf(value) || value == 0)) return 0;
    if (errno == EINVAL || isnan(value)) return 0;
    *out = value;
    return 1;
}

/* 0: not a valid long double; 1: finite; 2: infinite. */
int shoal_ld_classify(const char *s, size_t len) {
    long double value;
    if (!ld_parse(s, len, &value)) return 0;
    return isinf(value) ? 2 : 1;
}

/* Redis ld2string(..., LD_STR_HUMAN): "%.17Lf" with trailing zeros (and then a
 * trailing '.') removed, and "-0" turned into "0". Returns the length written, or 0
 * when `cap` is too small (callers size the buffer so that this cannot happen). */
static size_t ld_format_human(long double value, char *out, size_t cap) {
    int written;
    size_t len;

    if (isinf(value)) {
        const char *text = value > 0 ? "inf" : "-inf";
        len = strlen(text);
        if (len >= cap) return 0;
        memcpy(out, text, len + 1);
        return len;
    }
    written = snprintf(out, cap, "%.17Lf", value);
    if (written < 0 || (size_t)written >= cap) return 0;
    len = (size_t)written;
    if (memchr(out, '.', len) != NULL) {
        while (out[len - 1] == '0') len--;
        if (out[len - 1] == '.') len--;
    }
    if (len == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        len = 1;
    }
    out[len] = '\0';
    return len;
}

/* INCRBYFLOAT: parse both operands with string2ld, add in long double, reject a NaN
 * or infinite sum, and format the sum. `current` is parsed first, as Redis does. */
int shoal_ld_incr(const char *current, size_t current_len, const char *incr,
                  size_t incr_len, char *out, size_t out_cap, size_t *out_len) {
    long double value, increment;

    if (!ld_parse(current, current_len, &value)) return SHOAL_LD_BAD_CURRENT;
    if (!ld_parse(incr, incr_len, &increment)) return SHOAL_LD_BAD_INCR;
    value += increment;
    if (isnan(value) || isinf(value)) return SHOAL_LD_NAN_OR_INF;
    *out_len = ld_format_human(value, out, out_cap);
    return *out_len == 0 ? SHOAL_LD_NO_ROOM : SHOAL_LD_OK;
}

/* A double promoted to long double and formatted like INCRBYFLOAT's result. */
size_t shoal_ld_format_double(double value, char *out, size_t cap) {
    return ld_format_human((long double)value, out, cap);
}

/* Redis string2d (getDoubleFromObject): strtod must consume exactly `len` bytes
 * (so an embedded NUL fails), no leading space, no NaN, and overflow to infinity or
 * underflow to zero are rejected. `s[len]` must be NUL. */
int shoal_d_parse_strict(const char *s, size_t len, double *out) {
    char *end;
    double value;

    if (len == 0 || isspace((unsigned char)s[0])) return 0;
    errno = 0;
    value = strtod(s, &end);
    if ((size_t)(end - s) != len) return 0;
    if (errno == ERANGE && (isinf(value) || value == 0)) return 0;
    if (isnan(value)) return 0;
    *out = value;
    return 1;
}

/* The bare strtod check of Redis's sorted-set range parsing: everything up to the
 * first NUL must be consumed and the value must not be NaN. Leading spaces, the empty
 * string (0) and overflow to +-inf are all accepted. `s` must be NUL-terminated. */
int shoal_d_parse_lenient(const char *s, double *out) {
    char *end;
    double value = strtod(s, &end);
    if (end[0] != '\0' || isnan(value)) return 0;
    *out = value;
    return 1;
}

/* "%.17g", as Redis 7.0's addReplyDouble prints finite doubles. */
size_t shoal_d_format_g17(double value, char *out, size_t cap) {
    int written = snprintf(out, cap, "%.17g", value);
    if (written < 0 || (size_t)written >= cap) return 0;
    return (size_t)written;
}
