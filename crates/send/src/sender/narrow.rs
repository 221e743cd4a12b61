//! Narrowing an InfluxDB 1.x refusal that names no line (`partial write: ... dropped=N`, or a
//! whole-batch `field type conflict`) down to the refused lines: the refused part of the batch
//! is sent again in halves, each half's answer read on its own, until every part is either
//! stored, wholly refused, or named line by line. InfluxDB 1.x stores a point written twice
//! once (same series, same time: the second write overwrites the first with the same values),
//! so sending the stored lines again changes nothing.
//!
//! The bound: with `d` refused lines among `n`, halving splits at most `d` parts per level over
//! `ceil(log2 n)` levels, two requests per split: `2 d ceil(log2 n)` requests find every one of
//! them (52 for 2 lines in a batch of 5000), and a run of neighbouring refused lines (points
//! beyond the retention policy at the start of a sorted file) costs only its two ends. Each
//! level re-sends at most the batch's bytes. Past [`NARROW_REQUESTS`] per batch the
//! remaining parts are reported as the server said (`N of these M lines`): many scattered
//! refused lines would otherwise cost hundreds of requests per batch, more than the refused
//! lines are worth to find one by one while other batches wait behind.

use crate::partial::Refusal;

/// Most extra requests spent per batch to find the lines a refusal did not name.
pub const NARROW_REQUESTS: u32 = 64;

/// The extra requests a batch may still spend narrowing.
#[derive(Debug, Default)]
pub(super) struct Budget {
    /// Requests left; set by the batch's first narrowable refusal.
    left: Option<u32>,
}

impl Budget {
    /// Whether a part of `len` lines refused as `refusal` may be split in two (taking the two
    /// requests from the budget), given at most `limit` extra requests per batch.
    pub(super) fn split(&mut self, limit: u32, refusal: &Refusal, len: usize) -> bool {
        let left = self
            .left
            .get_or_insert_with(|| first_budget(limit, refusal, len));
        if *left >= 2 {
            *left -= 2;
            true
        } else {
            false
        }
    }
}

/// `min(limit, 2 d ceil(log2 len))`, `d` the refused lines not named (all of them for a
/// whole-batch refusal).
fn first_budget(limit: u32, refusal: &Refusal, len: usize) -> u32 {
    let unnamed = if refusal.unidentified > 0 {
        refusal.unidentified
    } else {
        len as u64
    };
    let levels = u64::from(usize::BITS - len.saturating_sub(1).leading_zeros());
    let needed = unnamed.saturating_mul(2).saturating_mul(levels);
    u32::try_from(needed.min(u64::from(limit))).unwrap_or(limit)
}

/// What a reason says once the budget is spent: the lines were not looked for further.
pub(super) fn unresolved(reason: &str) -> String {
    format!(
        "{reason} (not narrowed down further: the {NARROW_REQUESTS} extra requests lpconvert sends per batch to find such lines were spent)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dropped(n: u64) -> Refusal {
        Refusal {
            message: "partial write: x dropped=1".into(),
            lines: vec![],
            unidentified: n,
        }
    }

    #[test]
    fn the_budget_is_what_halving_needs_at_most_and_never_past_the_limit() {
        // 2 lines among 5000: 2 * 2 * 13.
        let mut b = Budget::default();
        assert!(b.split(64, &dropped(2), 5000));
        assert_eq!(b.left, Some(50));
        // 1 line among 4: 2 * 1 * 2, then nothing.
        let mut b = Budget::default();
        assert!(b.split(64, &dropped(1), 4));
        assert!(b.split(64, &dropped(1), 2));
        assert!(!b.split(64, &dropped(1), 2));
        // Many refused lines: the limit.
        let mut b = Budget::default();
        assert!(b.split(64, &dropped(300), 5000));
        assert_eq!(b.left, Some(62));
        // A whole-batch refusal: every line may be refused.
        assert_eq!(first_budget(64, &Refusal::default(), 3), 12);
        assert_eq!(first_budget(0, &dropped(2), 5000), 0);
    }
}
