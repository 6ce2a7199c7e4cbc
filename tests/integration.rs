//! Integration tests: one module per feature under `tests/integration/`, each driving the
//! real `ipgo` binary over HTTP and its command line.

#[path = "integration/appliance.rs"]
mod appliance;

#[path = "integration/upgrade.rs"]
mod upgrade;

#[path = "integration/packaging.rs"]
mod packaging;
