//! Approval of draft legal acts across agencies (I385 §12–§25).

pub mod model;
