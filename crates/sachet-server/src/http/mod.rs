//! HTTP building blocks that know nothing of shares or users: request bodies
//! and parameters parsed on our terms, byte ranges, validators and header
//! encodings.

pub mod allow;
pub mod body;
pub mod conditional;
pub mod disposition;
pub mod params;
pub mod percent;
pub mod range;
