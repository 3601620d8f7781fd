/* math_test.c - checks runtime/tinyc_math.c against the host's libm in long double.
 *
 * usage: math_test [STRIDE]
 *   Float functions are evaluated on every STRIDE-th bit pattern of all 2^32 floats (both
 *   signs, zeros, subnormals, infinities, nans), on a few thousand consecutive floats around
 *   each threshold where the results or the code paths change, and on the special values.
 *   STRIDE 1 is the exhaustive check (a few minutes). tinyc_exp is checked on a bit-pattern
 *   sweep, on uniformly random arguments and around its thresholds.
 * Prints the largest error of each function in ulp (of the correctly rounded result's
 * binade; +-inf counts as +-2^128 / 2^1024 next to the largest finite number) and exits 1 when
 * one exceeds its bound or a special case or property is wrong.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinyc_runtime.h"

static int failures;

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint64_t d2u(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double u2d(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Error of got against the exact value ref, in units of the last place of the float format
 * with p-bit significands and minimum normal exponent emin. */
static double ulp_error(long double got, long double ref, int p, int emin, int emax)
{
    long double ulp;
    int e;
    if (isnan(ref))
        return isnan(got) ? 0.0 : INFINITY;
    if (isnan(got))
        return INFINITY;
    if (isinf(ref))
        return got == ref ? 0.0 : INFINITY;
    /* an infinite result stands for 2^(emax+1), one step past the largest finite number, and
     * a reference that rounds to infinity is clamped there, so that inf against a huge ref
     * is exact and inf against a ref just below the overflow threshold counts as 1 ulp */
    if (isinf(got))
        got = copysignl(ldexpl(1.0L, emax + 1), got);
    if (fabsl(ref) >= ldexpl(2.0L - ldexpl(1.0L, -p), emax))
        ref = copysignl(ldexpl(1.0L, emax + 1), ref);
    e = ref == 0 ? emin : ilogbl(ref);
    if (e < emin)
        e = emin;
    ulp = ldexpl(1.0L, e - (p - 1));
    return (double)(fabsl(got - ref) / ulp);
}

static double ulp_error_f(float got, long double ref)
{
    return ulp_error(got, ref, 24, -126, 127);
}

static double ulp_error_d(double got, long double ref)
{
    return ulp_error(got, ref, 53, -1022, 1023);
}

/* ---- per-function statistics ---- */

struct stat {
    const char *name;
    double bound;     /* allowed max ulp error */
    double max_err;
    long double at;   /* argument of the max error */
    unsigned long long count;
};

static void record(struct stat *s, double err, long double x)
{
    s->count++;
    if (s->count == 1 || err > s->max_err) {
        s->max_err = err;
        s->at = x;
    }
}

static void check(int ok, const char *what, double x)
{
    if (!ok) {
        failures++;
        if (failures < 50)
            printf("FAIL: %s (x = %a)\n", what, x);
    }
}

/* ---- references ---- */

static long double ref_sigmoid(float x)
{
    return 1.0L / (1.0L + expl(-(long double)x));
}

/* ---- float functions ---- */

static struct stat st_expf = {"tinyc_expf", 1.0, 0, 0, 0};
static struct stat st_tanhf = {"tinyc_tanhf", 2.0, 0, 0, 0};
static struct stat st_sigmoidf = {"tinyc_sigmoidf", 2.0, 0, 0, 0};
static struct stat st_roundevenf = {"tinyc_roundevenf", 0.0, 0, 0, 0};
static struct stat st_sqrtf = {"tinyc_sqrtf", 0.5, 0, 0, 0};
static struct stat st_exp = {"tinyc_exp", 1.0, 0, 0, 0};
static struct stat st_logf = {"tinyc_logf", 1.0, 0, 0, 0};

/* the functions of one float argument that check only their error bound, oddness or evenness
 * and their range (the special values are checked in test_float_specials) */
enum symmetry { NONE, ODD, EVEN };
struct unary {
    struct stat st;
    float (*fn)(float);
    long double (*ref)(long double);
    enum symmetry symmetry;
    float lo, hi; /* the range of the finite results */
};
static struct unary unaries[] = {
    {{"tinyc_sinf", 1.0, 0, 0, 0}, tinyc_sinf, sinl, ODD, -1.0f, 1.0f},
    {{"tinyc_cosf", 1.0, 0, 0, 0}, tinyc_cosf, cosl, EVEN, -1.0f, 1.0f},
    {{"tinyc_tanf", 1.0, 0, 0, 0}, tinyc_tanf, tanl, ODD, -INFINITY, INFINITY},
    {{"tinyc_asinf", 2.5, 0, 0, 0}, tinyc_asinf, asinl, ODD, -0x1.921fb6p+0f, 0x1.921fb6p+0f},
    {{"tinyc_acosf", 2.5, 0, 0, 0}, tinyc_acosf, acosl, NONE, 0.0f, 0x1.921fb6p+1f},
    {{"tinyc_atanf", 1.5, 0, 0, 0}, tinyc_atanf, atanl, ODD, -0x1.921fb6p+0f, 0x1.921fb6p+0f},
    {{"tinyc_sinhf", 1.0, 0, 0, 0}, tinyc_sinhf, sinhl, ODD, -INFINITY, INFINITY},
    {{"tinyc_coshf", 1.0, 0, 0, 0}, tinyc_coshf, coshl, EVEN, 1.0f, INFINITY},
    {{"tinyc_asinhf", 2.5, 0, 0, 0}, tinyc_asinhf, asinhl, ODD, -INFINITY, INFINITY},
    {{"tinyc_acoshf", 2.5, 0, 0, 0}, tinyc_acoshf, acoshl, NONE, 0.0f, INFINITY},
    {{"tinyc_atanhf", 2.5, 0, 0, 0}, tinyc_atanhf, atanhl, ODD, -INFINITY, INFINITY},
    {{"tinyc_erff", 3.0, 0, 0, 0}, tinyc_erff, erfl, ODD, -1.0f, 1.0f},
};
#define NUM_UNARIES (sizeof unaries / sizeof unaries[0])

static void test_float(float x)
{
    float y, t, ny;
    long double r;
    double e;

    /* expf: also must never give a finite value where the result overflows and must be >= 0 */
    y = tinyc_expf(x);
    r = expl((long double)x);
    e = ulp_error_f(y, r);
    record(&st_expf, e, x);
    if (e > st_expf.bound)
        check(0, "tinyc_expf error bound", x);
    check(isnan(x) || y >= 0.0f, "tinyc_expf sign", x);

    /* tanhf: odd, |tanh| <= 1 */
    t = tinyc_tanhf(x);
    e = ulp_error_f(t, tanhl((long double)x));
    record(&st_tanhf, e, x);
    if (e > st_tanhf.bound)
        check(0, "tinyc_tanhf error bound", x);
    ny = tinyc_tanhf(-x);
    check(isnan(x) || f2u(ny) == (f2u(t) ^ 0x80000000u), "tinyc_tanhf not odd", x);
    check(isnan(x) || fabsf(t) <= 1.0f, "tinyc_tanhf beyond +-1", x);

    /* sigmoidf: in [0, 1] */
    y = tinyc_sigmoidf(x);
    e = ulp_error_f(y, ref_sigmoid(x));
    record(&st_sigmoidf, e, x);
    if (e > st_sigmoidf.bound)
        check(0, "tinyc_sigmoidf error bound", x);
    check(isnan(x) || (y >= 0.0f && y <= 1.0f), "tinyc_sigmoidf outside [0, 1]", x);

    /* roundevenf: bit-exact against rintf in the default round-to-nearest-even mode */
    y = tinyc_roundevenf(x);
    t = rintf(x);
    e = (isnan(t) && isnan(y)) || f2u(y) == f2u(t) ? 0.0 : INFINITY;
    record(&st_roundevenf, e, x);
    if (e > 0)
        check(0, "tinyc_roundevenf differs from rintf", x);

    /* sqrtf: correctly rounded, i.e. bit-exact against the long double root rounded to
     * float (the double rounding is harmless: 64 >= 2 * 24 + 2 bits) */
    y = tinyc_sqrtf(x);
    t = (float)sqrtl((long double)x);
    e = (isnan(t) && isnan(y)) || f2u(y) == f2u(t) ? 0.0 : ulp_error_f(y, sqrtl((long double)x));
    record(&st_sqrtf, e, x);
    if (!((isnan(t) && isnan(y)) || f2u(y) == f2u(t)))
        check(0, "tinyc_sqrtf not correctly rounded", x);

    /* logf: nan below 0, -inf at +-0; monotonic, so never on the wrong side of 0 */
    y = tinyc_logf(x);
    e = ulp_error_f(y, x == 0.0f ? -INFINITY : logl((long double)x));
    record(&st_logf, e, x);
    if (e > st_logf.bound)
        check(0, "tinyc_logf error bound", x);
    check(!(x > 1.0f) || y > 0.0f, "tinyc_logf sign above 1", x);
    check(!(x < 1.0f && x > 0.0f) || y < 0.0f, "tinyc_logf sign below 1", x);

    {
        size_t i;
        for (i = 0; i < NUM_UNARIES; i++) {
            struct unary *u = &unaries[i];
            y = u->fn(x);
            e = ulp_error_f(y, u->ref((long double)x));
            record(&u->st, e, x);
            if (e > u->st.bound)
                check(0, u->st.name, x);
            check(isnan(y) || (y >= u->lo && y <= u->hi), u->st.name, x);
            if (u->symmetry != NONE && !isnan(x)) {
                uint32_t flip = u->symmetry == ODD ? 0x80000000u : 0u;
                check(f2u(u->fn(-x)) == (f2u(y) ^ flip) || (isnan(y) && isnan(u->fn(-x))),
                      u->st.name, x);
            }
        }
    }
}

/* consecutive floats around v (both signs are covered by the caller) */
static void sweep_around(float v, int n)
{
    uint32_t u = f2u(v), lo = u >= (uint32_t)n ? u - (uint32_t)n : 0;
    uint32_t i;
    for (i = lo; i <= u + (uint32_t)n && i >= lo; i++)
        test_float(u2f(i));
}

static void test_float_specials(void)
{
    static const float points[] = {
        0.0f, 0x1p-149f, 0x1p-126f, 0x1p-12f, 0x1p-26f, 0.5f, 1.0f, 2.0f, 9.1f, 17.5f, 24.0f,
        88.0f, 88.72283f, 89.0f, 87.33654f, 103.972084f, 104.0f, 0x1p+22f, 0x1p+23f, 0x1p+24f,
        2.5f, 3.5f, FLT_MAX,
        /* where the trigonometric, hyperbolic and error functions change paths */
        0x1p-13f, 0.785398163f, 2.35619449f, 0.4375f, 0.6875f, 1.1875f, 2.4375f, 0x1p+26f,
        12.0f, 89.4159851f, 89.5f, 0x1p+12f, 0x1p+126f, 1.5f, 3.0f, 3.92f, 0.9f, 0x1p+24f,
        105414350.0f, /* 0x1.9226p+26, near a multiple of pi/2 */
    };
    size_t i;
    for (i = 0; i < sizeof points / sizeof points[0]; i++) {
        sweep_around(points[i], 2048);
        sweep_around(-points[i], 2048);
    }
    test_float(INFINITY);
    test_float(-INFINITY);
    test_float(u2f(0x7fc00000u));
    test_float(u2f(0xffc00000u));
    test_float(u2f(0x7f800001u)); /* signalling nan */

    /* the exact special-case behaviour the interface promises */
    check(f2u(tinyc_expf(INFINITY)) == 0x7f800000u, "expf(+inf) = +inf", INFINITY);
    check(f2u(tinyc_expf(-INFINITY)) == 0u, "expf(-inf) = +0", -INFINITY);
    check(f2u(tinyc_expf(100.0f)) == 0x7f800000u, "expf(100) = +inf", 100.0);
    check(f2u(tinyc_expf(-110.0f)) == 0u, "expf(-110) = +0", -110.0);
    check(tinyc_expf(-100.0f) > 0.0f && tinyc_expf(-100.0f) < FLT_MIN, "expf(-100) subnormal", -100.0);
    check(isnan(tinyc_expf(NAN)), "expf(nan) = nan", NAN);
    check(tinyc_expf(0.0f) == 1.0f && tinyc_expf(-0.0f) == 1.0f, "expf(+-0) = 1", 0.0);
    check(f2u(tinyc_tanhf(-0.0f)) == 0x80000000u, "tanhf(-0) = -0", -0.0);
    check(tinyc_tanhf(INFINITY) == 1.0f && tinyc_tanhf(-INFINITY) == -1.0f, "tanhf(+-inf) = +-1", INFINITY);
    check(tinyc_tanhf(1e-30f) == 1e-30f, "tanhf(tiny) = tiny", 1e-30);
    check(isnan(tinyc_tanhf(NAN)), "tanhf(nan) = nan", NAN);
    check(tinyc_sigmoidf(INFINITY) == 1.0f && tinyc_sigmoidf(-INFINITY) == 0.0f, "sigmoidf(+-inf)", INFINITY);
    check(tinyc_sigmoidf(0.0f) == 0.5f && tinyc_sigmoidf(-0.0f) == 0.5f, "sigmoidf(0) = 0.5", 0.0);
    check(tinyc_sigmoidf(-FLT_MAX) == 0.0f && tinyc_sigmoidf(FLT_MAX) == 1.0f, "sigmoidf(+-FLT_MAX)", FLT_MAX);
    check(isnan(tinyc_sigmoidf(NAN)), "sigmoidf(nan) = nan", NAN);
    check(f2u(tinyc_roundevenf(-0.5f)) == 0x80000000u && tinyc_roundevenf(2.5f) == 2.0f &&
              tinyc_roundevenf(3.5f) == 4.0f && tinyc_roundevenf(-1.5f) == -2.0f,
          "roundevenf ties to even", 2.5);
    check(isnan(tinyc_roundevenf(NAN)) && tinyc_roundevenf(-INFINITY) == -INFINITY, "roundevenf(nan/inf)", NAN);
    check(f2u(tinyc_sqrtf(-0.0f)) == 0x80000000u && isnan(tinyc_sqrtf(-1.0f)) &&
              tinyc_sqrtf(INFINITY) == INFINITY && isnan(tinyc_sqrtf(-INFINITY)),
          "sqrtf special cases", -0.0);
    check(f2u(tinyc_logf(0.0f)) == 0xff800000u && f2u(tinyc_logf(-0.0f)) == 0xff800000u,
          "logf(+-0) = -inf", 0.0);
    check(tinyc_logf(INFINITY) == INFINITY && isnan(tinyc_logf(-INFINITY)) &&
              isnan(tinyc_logf(-1.0f)) && isnan(tinyc_logf(NAN)),
          "logf(+inf) = +inf, logf(x < 0) = nan", -1.0);
    check(f2u(tinyc_logf(1.0f)) == 0u, "logf(1) = +0", 1.0);

    /* ONNX's NumPy references: odd functions keep -0; out of the domain (and sin, cos, tan
     * of +-inf) is nan; the poles are infinities of their sign */
    check(f2u(tinyc_sinf(-0.0f)) == 0x80000000u && f2u(tinyc_tanf(-0.0f)) == 0x80000000u &&
              f2u(tinyc_asinf(-0.0f)) == 0x80000000u && f2u(tinyc_atanf(-0.0f)) == 0x80000000u &&
              f2u(tinyc_sinhf(-0.0f)) == 0x80000000u && f2u(tinyc_asinhf(-0.0f)) == 0x80000000u &&
              f2u(tinyc_atanhf(-0.0f)) == 0x80000000u && f2u(tinyc_erff(-0.0f)) == 0x80000000u,
          "odd functions of -0 are -0", -0.0);
    check(tinyc_cosf(0.0f) == 1.0f && tinyc_coshf(-0.0f) == 1.0f, "cos(0) = cosh(0) = 1", 0.0);
    check(isnan(tinyc_sinf(INFINITY)) && isnan(tinyc_cosf(-INFINITY)) && isnan(tinyc_tanf(INFINITY)),
          "sin, cos, tan of +-inf are nan", INFINITY);
    check(tinyc_asinf(1.0f) == 0x1.921fb6p+0f && tinyc_asinf(-1.0f) == -0x1.921fb6p+0f &&
              isnan(tinyc_asinf(1.0000001f)) && isnan(tinyc_asinf(-INFINITY)),
          "asin(+-1) = +-pi/2, asin(|x| > 1) = nan", 1.0);
    check(f2u(tinyc_acosf(1.0f)) == 0u && tinyc_acosf(-1.0f) == 0x1.921fb6p+1f &&
              tinyc_acosf(0.0f) == 0x1.921fb6p+0f && isnan(tinyc_acosf(-1.0000001f)),
          "acos(1) = +0, acos(-1) = pi, acos(0) = pi/2", 1.0);
    check(tinyc_atanf(INFINITY) == 0x1.921fb6p+0f && tinyc_atanf(-INFINITY) == -0x1.921fb6p+0f &&
              tinyc_atanf(1.0f) == 0x1.921fb6p-1f,
          "atan(+-inf) = +-pi/2, atan(1) = pi/4", INFINITY);
    check(tinyc_sinhf(INFINITY) == INFINITY && tinyc_sinhf(-INFINITY) == -INFINITY &&
              tinyc_coshf(-INFINITY) == INFINITY && tinyc_sinhf(-89.5f) == -INFINITY &&
              tinyc_coshf(89.5f) == INFINITY && isfinite(tinyc_coshf(89.41f)),
          "sinh, cosh overflow to +-inf past 89.4159", INFINITY);
    check(tinyc_asinhf(-INFINITY) == -INFINITY && tinyc_acoshf(INFINITY) == INFINITY &&
              f2u(tinyc_acoshf(1.0f)) == 0u && isnan(tinyc_acoshf(0.99999994f)) &&
              isnan(tinyc_acoshf(-0.0f)) && isnan(tinyc_acoshf(-INFINITY)),
          "asinh(-inf) = -inf, acosh(1) = +0, acosh(x < 1) = nan", 1.0);
    check(tinyc_atanhf(1.0f) == INFINITY && tinyc_atanhf(-1.0f) == -INFINITY &&
              isnan(tinyc_atanhf(1.0000001f)) && isnan(tinyc_atanhf(-INFINITY)),
          "atanh(+-1) = +-inf, atanh(|x| > 1) = nan", 1.0);
    check(tinyc_erff(INFINITY) == 1.0f && tinyc_erff(-INFINITY) == -1.0f && tinyc_erff(3.92f) == 1.0f,
          "erf(+-inf) = +-1", INFINITY);
    {
        size_t i;
        for (i = 0; i < NUM_UNARIES; i++)
            check(isnan(unaries[i].fn(NAN)) && isnan(unaries[i].fn(-NAN)), unaries[i].st.name, NAN);
    }
}

/* ---- double exp ---- */

static void test_double(double x)
{
    double y = tinyc_exp(x);
    double e = ulp_error_d(y, expl((long double)x));
    record(&st_exp, e, x);
    if (e > st_exp.bound)
        check(0, "tinyc_exp error bound", x);
    check(isnan(x) || y >= 0.0, "tinyc_exp sign", x);
}

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t next_random(void)
{
    /* xorshift64*: a fixed sequence, so that every run tests the same arguments */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(0x2545f4914f6cdd1d);
}

static void test_double_all(unsigned long long n)
{
    static const double points[] = {
        0.0, 0x1p-54, 0x1p-53, 0x1p-30, 0.5, 1.0, 0x1.62e42fefa39efp-6 /* ln2/32 */, 10.0,
        709.782712893384, 709.7827128933841, 710.0, 708.3964185322641, 744.4400719213812,
        745.1332191019411, 745.1332191019412, 746.0, 0x1p-1074, DBL_MAX,
    };
    uint64_t lo = d2u(0x1p-60), hi = d2u(746.0), stride = (hi - lo) / n + 1, u;
    size_t i;
    int k;
    for (u = lo; u < hi; u += stride) {
        test_double(u2d(u));
        test_double(-u2d(u));
    }
    for (i = 0; i < n; i++) {
        /* uniform in [-746, 710] */
        double x = -746.0 + 1456.0 * (double)(next_random() >> 11) * 0x1p-53;
        test_double(x);
    }
    for (i = 0; i < sizeof points / sizeof points[0]; i++) {
        for (k = -2000; k <= 2000; k++) {
            uint64_t b = d2u(points[i]);
            if ((k < 0 && b < (uint64_t)-k) || (b + (uint64_t)(int64_t)k) >= UINT64_C(0x7ff0000000000000))
                continue;
            test_double(u2d(b + (uint64_t)(int64_t)k));
            test_double(-u2d(b + (uint64_t)(int64_t)k));
        }
    }
    test_double(INFINITY);
    test_double(-INFINITY);
    test_double(NAN);
    check(d2u(tinyc_exp(INFINITY)) == d2u(INFINITY), "exp(+inf) = +inf", INFINITY);
    check(d2u(tinyc_exp(-INFINITY)) == 0, "exp(-inf) = +0", -INFINITY);
    check(d2u(tinyc_exp(710.0)) == d2u(INFINITY), "exp(710) = +inf", 710.0);
    check(d2u(tinyc_exp(-746.0)) == 0, "exp(-746) = +0", -746.0);
    check(tinyc_exp(-740.0) > 0.0 && tinyc_exp(-740.0) < DBL_MIN, "exp(-740) subnormal", -740.0);
    check(isnan(tinyc_exp(NAN)), "exp(nan) = nan", NAN);
    check(tinyc_exp(0.0) == 1.0 && tinyc_exp(-0.0) == 1.0, "exp(+-0) = 1", 0.0);
    check(tinyc_exp(1.0) == 0x1.5bf0a8b145769p+1, "exp(1) = e correctly rounded", 1.0);
}

/* ---- fmod: exact, so bit-identical to the host's fmodf / fmod ---- */

static struct stat st_fmodf = {"tinyc_fmodf", 0.0, 0, 0, 0};
static struct stat st_fmod = {"tinyc_fmod", 0.0, 0, 0, 0};

static void test_fmod_pair(float x, float y)
{
    float got = tinyc_fmodf(x, y), want = fmodf(x, y);
    double dx = (double)x * 0x1p-300 * (double)y, dy = (double)y * 0x1p+500;
    double dgot, dwant;
    int same = (isnan(got) && isnan(want)) || f2u(got) == f2u(want);
    record(&st_fmodf, same ? 0.0 : INFINITY, x);
    if (!same)
        check(0, "tinyc_fmodf differs from fmodf", x);
    /* doubles spread over their range: products and scalings of the floats */
    dgot = tinyc_fmod(dx, dy);
    dwant = fmod(dx, dy);
    same = (isnan(dgot) && isnan(dwant)) || d2u(dgot) == d2u(dwant);
    record(&st_fmod, same ? 0.0 : INFINITY, dx);
    if (!same)
        check(0, "tinyc_fmod differs from fmod", dx);
    dgot = tinyc_fmod((double)x, (double)y);
    dwant = fmod((double)x, (double)y);
    same = (isnan(dgot) && isnan(dwant)) || d2u(dgot) == d2u(dwant);
    record(&st_fmod, same ? 0.0 : INFINITY, x);
    if (!same)
        check(0, "tinyc_fmod differs from fmod", x);
}

static void test_fmod_all(unsigned long long n)
{
    static const float specials[] = {
        0.0f, -0.0f, 0x1p-149f, -0x1p-149f, 0x1.8p-148f, 0x1p-126f, 0x1.fffffcp-127f, 1.0f, -1.0f,
        1.5f, 3.0f, -7.25f, 0.1f, 1e10f, FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN,
    };
    size_t i, j;
    unsigned long long k;
    for (i = 0; i < sizeof specials / sizeof specials[0]; i++)
        for (j = 0; j < sizeof specials / sizeof specials[0]; j++)
            test_fmod_pair(specials[i], specials[j]);
    for (k = 0; k < n; k++) {
        uint64_t r = next_random();
        float x = u2f((uint32_t)r), y = u2f((uint32_t)(r >> 32));
        test_fmod_pair(x, y);
        /* divisors near the dividend and exact multiples, where the long division is longest
         * or ends in zero */
        test_fmod_pair(x, u2f(f2u(x) - (uint32_t)(r >> 60)));
        test_fmod_pair(x * 3.0f, x);
    }
    check(f2u(tinyc_fmodf(-6.0f, 3.0f)) == 0x80000000u && tinyc_fmodf(-5.0f, 3.0f) == -2.0f &&
              tinyc_fmodf(5.0f, -3.0f) == 2.0f && tinyc_fmodf(5.5f, INFINITY) == 5.5f,
          "fmodf takes x's sign", -6.0);
}

/* ---- pow: <= 1 ulp against powl, C99's special cases bit for bit against the host's powf ---- */

static struct stat st_powf = {"tinyc_powf", 1.0, 0, 0, 0};

static void test_pow_pair(float x, float y)
{
    float got = tinyc_powf(x, y), want = powf(x, y);
    long double ref = powl((long double)x, (long double)y);
    double err;
    if (isnan(want) || isinf(want) || want == 0.0f || isinf(x) || isinf(y) || x == 0.0f) {
        /* exact results: nan, +-inf, +-0 (also from overflow and underflow), and every result
         * of a zero or infinite operand */
        int same = (isnan(got) && isnan(want)) || f2u(got) == f2u(want);
        /* powf may round a result just past the overflow or underflow threshold the other way */
        err = same ? 0.0 : ulp_error_f(got, ref);
        if (!same && !(err <= st_powf.bound))
            check(0, "tinyc_powf differs from powf in a special case", x);
    } else {
        err = ulp_error_f(got, ref);
    }
    record(&st_powf, err, x);
    if (!(err <= st_powf.bound))
        check(0, "tinyc_powf error bound", x);
}

static void test_pow_all(unsigned long long n)
{
    static const float specials[] = {
        0.0f, -0.0f, 0x1p-149f, -0x1p-149f, 0x1p-126f, 0.5f, -0.5f, 1.0f, -1.0f, 1.5f, 2.0f,
        -2.0f, 3.0f, -3.0f, 0.1f, 10.0f, 1e10f, -1e10f, 0x1p24f, 0x1.000002p24f, 0x1.fffffep23f,
        -0x1.fffffep23f, 0x1.000002p0f, 0x1.fffffep-1f, FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN,
    };
    size_t i, j;
    unsigned long long k;
    for (i = 0; i < sizeof specials / sizeof specials[0]; i++)
        for (j = 0; j < sizeof specials / sizeof specials[0]; j++)
            test_pow_pair(specials[i], specials[j]);
    for (k = 0; k < n; k++) {
        uint64_t r = next_random();
        float x = u2f((uint32_t)r), y = u2f((uint32_t)(r >> 32));
        float ax = fabsf(x), t, yi;
        test_pow_pair(x, y);
        if (!(ax > 0.0f) || isinf(ax) || ax == 1.0f)
            continue;
        /* exponents whose result is finite and nonzero: t = y log|x| spread over [-110, 95] */
        t = (float)((double)(r >> 40) * 0x1p-24 * 205.0 - 110.0);
        y = (float)(t / log((double)ax));
        test_pow_pair(ax, y);
        /* a negative x with an integer y near that one */
        yi = truncf(y);
        test_pow_pair(-ax, yi);
        /* x close to 1, where log|x| is small and y large */
        x = u2f(0x3f800000u + (uint32_t)((r >> 8) & 0xffffu) - 0x8000u);
        if (x != 1.0f)
            test_pow_pair(x, (float)(t / log((double)x)));
    }
    /* small integer powers are exact */
    for (i = 1; i <= 20; i++)
        for (j = 0; j <= 30; j++) {
            long double e = powl((long double)i, (long double)j);
            if (e < 0x1p24L)
                check(tinyc_powf((float)i, (float)j) == (float)e, "integer powers are exact",
                      (double)i);
        }
    check(f2u(tinyc_powf(-0.0f, 3.0f)) == 0x80000000u && tinyc_powf(-2.0f, 3.0f) == -8.0f &&
              tinyc_powf(-2.0f, 2.0f) == 4.0f && isnan(tinyc_powf(-2.0f, 0.5f)) &&
              tinyc_powf(NAN, 0.0f) == 1.0f && tinyc_powf(1.0f, NAN) == 1.0f &&
              tinyc_powf(-1.0f, INFINITY) == 1.0f && tinyc_powf(-0.0f, -1.0f) == -INFINITY,
          "powf special cases", -0.0);
}

static void report(const struct stat *s)
{
    const char *verdict = s->max_err <= s->bound ? "ok" : "FAIL";
    printf("%-17s max error %.4f ulp at %La (%.9Lg), bound %.1f, %llu args: %s\n", s->name,
           s->max_err, s->at, s->at, s->bound, s->count, verdict);
}

int main(int argc, char **argv)
{
    unsigned long long stride = argc > 1 ? strtoull(argv[1], NULL, 0) : 1021;
    unsigned long long u;
    if (stride == 0)
        stride = 1;
    for (u = 0; u <= 0xffffffffull; u += stride)
        test_float(u2f((uint32_t)u));
    test_float_specials();
    test_double_all(stride == 1 ? 50000000ull : 1000000ull);
    test_fmod_all(stride == 1 ? 50000000ull : 300000ull);
    test_pow_all(stride == 1 ? 50000000ull : 1000000ull);

    report(&st_expf);
    report(&st_tanhf);
    report(&st_sigmoidf);
    report(&st_roundevenf);
    report(&st_sqrtf);
    report(&st_exp);
    report(&st_logf);
    report(&st_fmodf);
    report(&st_fmod);
    report(&st_powf);
    {
        size_t i;
        for (i = 0; i < NUM_UNARIES; i++)
            report(&unaries[i].st);
    }
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
