//! Sociological surveys of civil servants (I385 §7.8), anonymous by construction: design
//! (`model.rs`: question types, conditions that look back, answer checks), the tables that
//! keep who has answered apart from what was answered (`store.rs`), the use cases
//! (`service.rs`).

pub mod answer;
pub mod builder;
pub mod demo;
pub mod http;
pub mod model;
pub mod pages;
pub mod reading;
pub mod results;
pub mod service;
pub mod store;
pub mod typos;

#[cfg(test)]
mod tests;
