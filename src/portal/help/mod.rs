//! The guides inside the portal (`/help`): the user guide in the reader's language, the
//! administrator's guide and the documents it links, compiled into the binary, so that
//! pages can link to help instead of carrying it (issue 21 point 6) on an air-gapped
//! network with no web to look things up on.

pub mod http;
pub mod model;
pub mod service;
