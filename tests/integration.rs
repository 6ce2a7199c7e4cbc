//! Integration tests: one binary, one module per area (tests/integration/*.rs).

#[path = "integration/search_extract.rs"]
mod search_extract;
