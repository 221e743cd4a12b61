//! How VictoriaMetrics 1.79 keeps a float (`lib/decimal`): as a decimal mantissa and exponent
//! (`FromFloat`), read back with `ToFloat`. About 12 significant digits survive (15 above
//! 1e6), so a value written with more is stored differently. Modelled for one value; the
//! samples of one series stored in one block share an exponent, which can cost more digits
//! when their magnitudes differ widely.

use super::fastfloat::go_pow10;

const V_INF_POS: i64 = i64::MAX;
const V_INF_NEG: i64 = i64::MIN;
const V_MAX: i64 = i64::MAX - 2;
const V_MIN: i64 = i64::MIN + 1;
const CONVERSION_PRECISION: f64 = 1e12;

/// The value VictoriaMetrics gives back for `f` (NaN aside: it never stores one).
pub(crate) fn stored(f: f64) -> f64 {
    let (v, e) = from_float(f);
    to_float(v, e)
}

fn from_float(f: f64) -> (i64, i16) {
    if f == 0.0 {
        return (0, 0);
    }
    if f.is_infinite() {
        return (if f > 0.0 { V_INF_POS } else { V_INF_NEG }, 0);
    }
    if f > 0.0 {
        let (v, e) = positive(f);
        return (v.min(V_MAX), e);
    }
    let (v, e) = positive(-f);
    ((-v).max(V_MIN), e)
}

fn positive(f: f64) -> (i64, i16) {
    // Go's uint64(f): truncation; past 2^64 it is no integer path.
    if f < 18_446_744_073_709_551_616.0 {
        let u = f as u64;
        if u as f64 == f {
            if u < 1 << 55 && !u.is_multiple_of(10) {
                return (u as i64, 0);
            }
            return decimal_and_scale(u);
        }
    }
    positive_slow(f)
}

fn positive_slow(mut f: f64) -> (i64, i16) {
    let mut scale: i16 = 0;
    let mut prec = CONVERSION_PRECISION;
    if !(1e-6..=1e6).contains(&f) {
        if f > 1e6 {
            prec = 1e15;
        }
        let exp = frexp_exp(f).clamp(-1022, 1023);
        // int16(float64(exp) * (math.Ln2 / math.Ln10)): truncation toward zero.
        scale = (f64::from(exp) * std::f64::consts::LOG10_2) as i16;
        f *= go_pow10(-i32::from(scale));
    }
    while f < prec {
        let x = f.trunc();
        let frac = f - x;
        if frac * prec < x {
            f = x;
            break;
        }
        if (1.0 - frac) * prec < x {
            f = x + 1.0;
            break;
        }
        f *= 100.0;
        scale -= 2;
    }
    let mut u = f as u64;
    if !u.is_multiple_of(10) {
        return (u as i64, scale);
    }
    u /= 10;
    scale += 1;
    (u as i64, scale)
}

/// The binary exponent `math.Frexp` gives: f = frac * 2^exp with frac in [0.5, 1).
fn frexp_exp(f: f64) -> i32 {
    let bits = f.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Subnormal: normalise first.
        return frexp_exp(f * 2f64.powi(54)) - 54;
    }
    biased - 1022
}

fn decimal_and_scale(mut u: u64) -> (i64, i16) {
    let mut scale: i16 = 0;
    while u >= 1 << 55 {
        u /= 10;
        scale += 1;
    }
    if !u.is_multiple_of(10) {
        return (u as i64, scale);
    }
    u /= 10;
    scale += 1;
    while u != 0 && u.is_multiple_of(10) {
        u /= 10;
        scale += 1;
    }
    (u as i64, scale)
}

fn to_float(v: i64, e: i16) -> f64 {
    if !(V_MIN..=V_MAX).contains(&v) {
        return match v {
            V_INF_POS => f64::INFINITY,
            V_INF_NEG => f64::NEG_INFINITY,
            _ => f64::NAN,
        };
    }
    let f = v as f64;
    if e < 0 {
        f / go_pow10(-i32::from(e))
    } else {
        f * go_pow10(i32::from(e))
    }
}

#[cfg(test)]
mod tests {
    use super::stored;

    #[test]
    fn about_twelve_digits_survive() {
        assert_eq!(stored(1.5), 1.5);
        assert_eq!(stored(0.1), 0.1);
        assert_eq!(stored(42.0), 42.0);
        assert_eq!(stored(-7.0), -7.0);
        assert_eq!(stored(1.234567890123456), 1.234567890123);
        assert_eq!(stored(2.9999999999999996e-65), 3e-65);
        assert_eq!(stored(f64::INFINITY), f64::INFINITY);
        // 2^60 loses its last digits (only 2^55 fits the mantissa).
        assert_ne!(
            stored(1_152_921_504_606_846_976.0),
            1_152_921_504_606_846_976.0
        );
        assert_eq!(stored(9_007_199_254_740_992.0), 9_007_199_254_740_992.0);
    }
}
