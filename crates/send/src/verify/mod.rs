//! `verify`: does a server hold the points of some line protocol? The inputs are read as
//! points ([`expected`]: one key per measurement, tag set, field key and timestamp, grouped
//! by time bucket), the server is asked per measurement ([`store`], with the queries of
//! [`query`] and the answers read by [`answer`]), and each bucket compared ([`compare`]);
//! [`repair`] rebuilds the lines of exactly the missing points.

pub mod answer;
pub mod compare;
pub mod expected;
pub mod key;
pub mod query;
pub mod repair;
pub mod store;

pub use compare::{verify, BucketDiff, Verification};
pub use expected::{Expected, Grid, LineKind, Points};
pub use key::KeyHasher;
pub use repair::Missing;
pub use store::{ServerKind, Store};

/// A query failed or its answer is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VerifyError(pub String);
