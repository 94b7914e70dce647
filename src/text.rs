//! Text hygiene.
