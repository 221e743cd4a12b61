//! `convert --target`: each converted line held to the server's rules (the same
//! [`check_line`] as `check --target`), so that conversion and check agree. A line the
//! server would refuse, drop or store differently rejects its row, named by the input
//! column of the element the problem is in (the timestamp, a tag, a field or the
//! measurement).

use super::{Cells, RowError};
use lpconvert_lp::target::{check_line, Problem, Rules};
use lpconvert_schema::{Input, MeasurementPlan, Plan};

/// Holds `line` (one converted line, without its LF) to `rules`.
#[inline(never)]
pub(crate) fn held_to<C: Cells>(
    plan: &Plan,
    cells: &C,
    rules: &Rules,
    line: &[u8],
) -> Result<(), RowError> {
    if plan.precision.nanos() != 1 && plan.timestamp.is_some() {
        return in_nanoseconds(plan, cells, rules, line);
    }
    match check_line(line, rules) {
        Ok(_) => Ok(()),
        Err(problem) => Err(row_error(plan, cells, rules, line, &problem)),
    }
}

thread_local! {
    /// The line with its timestamp scaled to nanoseconds, reused row after row.
    static SCALED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The server reads a timestamp in the request's precision, the rules in nanoseconds: the
/// line is checked with its timestamp scaled to nanoseconds (the mapper keeps timestamps
/// within the nanosecond range, so the product fits).
fn in_nanoseconds<C: Cells>(
    plan: &Plan,
    cells: &C,
    rules: &Rules,
    line: &[u8],
) -> Result<(), RowError> {
    let ts = memchr::memrchr(b' ', line).and_then(|space| {
        let t = std::str::from_utf8(&line[space + 1..])
            .ok()?
            .parse::<i64>()
            .ok()?;
        Some((space, t))
    });
    let Some((space, t)) = ts else {
        return match check_line(line, rules) {
            Ok(_) => Ok(()),
            Err(problem) => Err(row_error(plan, cells, rules, line, &problem)),
        };
    };
    SCALED.with(|scaled| {
        let mut scaled = scaled.borrow_mut();
        scaled.clear();
        scaled.extend_from_slice(&line[..=space]);
        let ns = t.saturating_mul(plan.precision.nanos());
        scaled.extend_from_slice(itoa::Buffer::new().format(ns).as_bytes());
        match check_line(&scaled, rules) {
            Ok(_) => Ok(()),
            Err(problem) => Err(row_error(plan, cells, rules, &scaled, &problem)),
        }
    })
}

#[cold]
fn row_error<C: Cells>(
    plan: &Plan,
    cells: &C,
    rules: &Rules,
    line: &[u8],
    problem: &Problem,
) -> RowError {
    let target = rules.target.map_or("", |t| t.as_str());
    RowError {
        column: column_of(plan, cells, line, problem.column),
        message: format!("--target {target}: {}", problem.message),
    }
}

fn column<C: Cells>(cells: &C, input: &Input) -> usize {
    match input {
        Input::Slot(s) => cells.column(*s),
        Input::Joined(s) => s.first().map_or(0, |s| cells.column(*s)),
        Input::Const(_) => 0,
    }
}

/// The input column of what wrote the element at 1-based byte `at` of `line` (0 when
/// none: a constant, or a problem with the whole line).
fn column_of<C: Cells>(plan: &Plan, cells: &C, line: &[u8], at: usize) -> usize {
    let Some(p) = at.checked_sub(1).filter(|&p| p < line.len()) else {
        return 0;
    };
    // The timestamp is the last token when the plan has one and it was written (digits).
    if let (Some(ts), Some(space)) = (&plan.timestamp, memchr::memrchr(b' ', line)) {
        let last = &line[space + 1..];
        let digits = last.strip_prefix(b"-").unwrap_or(last);
        if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) && p > space {
            return column(cells, &ts.input);
        }
    }
    // A tag or a field: the problem points at its key, after `,` (or the space before
    // the first field); the plan's prefixes are `,key=` escaped.
    let before = p.checked_sub(1).map(|b| line[b]);
    if before == Some(b',') {
        if let Some(t) = plan
            .tags
            .iter()
            .find(|t| line[p - 1..].starts_with(&t.prefix))
        {
            return column(cells, &t.input);
        }
    }
    if matches!(before, Some(b',' | b' ')) {
        if let Some(f) = plan
            .fields
            .iter()
            .find(|f| f.prefix.len() > 1 && line[p..].starts_with(&f.prefix[1..]))
        {
            return column(cells, &f.input);
        }
    }
    match plan.measurement {
        MeasurementPlan::Slot(s) if p == 0 => cells.column(s),
        _ => 0,
    }
}
