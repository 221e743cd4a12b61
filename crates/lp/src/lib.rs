//! Line protocol for lpconvert: escaping per element, field value checks and formatting,
//! and a strict line parser. Writers append into a caller's `Vec<u8>`; nothing here
//! allocates per line.

#![warn(missing_docs)]

pub mod civil;
pub mod duration;
pub mod escape;
pub mod parse;
pub mod printable;
pub mod target;
pub mod value;

pub use escape::{write_key, write_measurement, write_string_value, NameError};
pub use printable::printable;
pub use value::{Precision, ValueError};
