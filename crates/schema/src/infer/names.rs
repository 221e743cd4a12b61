//! Valid line protocol names from input names: tag and field keys from column names, the
//! measurement from the file stem.

use lpconvert_lp::escape::{check_measurement, check_name};
use std::collections::HashSet;

/// A valid tag or field key for a column name: the name itself when it can be written,
/// else a cleaned-up version, made unique.
pub(super) fn key_for(name: &str, index: usize, used: &mut HashSet<String>) -> String {
    let mut k: String = name
        .chars()
        .map(|c| if c == '\n' || c == '\r' { '_' } else { c })
        .collect();
    while k.ends_with('\\') {
        k.pop();
    }
    if k.is_empty() || check_name(k.as_bytes()).is_err() {
        k = format!("column_{}", index + 1);
    }
    let base = k.clone();
    let mut n = 2;
    while used.contains(&k) {
        k = format!("{base}_{n}");
        n += 1;
    }
    used.insert(k.clone());
    k
}

/// A measurement name from a file stem.
pub fn measurement_from_stem(stem: &str) -> String {
    let mut m: String = stem.chars().filter(|c| !c.is_control()).collect();
    while m.ends_with('\\') {
        m.pop();
    }
    if m.is_empty() || check_measurement(m.as_bytes()).is_err() {
        "data".into()
    } else {
        m
    }
}
