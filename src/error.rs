//! The one error type of the portal and its table of stable codes.
//!
//! Every failure a user or API client can see is an [`Error`] with a [`Code`]. The code table
//! below is the single place that says which HTTP status a code maps to and which message
//! key (in `web/locales/*/*.ftl`) explains it. Codes are part of the API: never rename one.
//! Internal causes are logged with a reference id and never shown.

use std::fmt;

/// Stable, machine-readable error codes. `ALL` lists every one (tests check that each has a
/// translation in every UI language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    InvalidCredentials,
    Unauthenticated,
    SessionExpired,
    PasswordChangeRequired,
    Forbidden,
    CsrfFailed,
    OriginMismatch,
    TooManyRequests,
    NotFound,
    Gone,
    MethodNotAllowed,
    InvalidInput,
    WeakPassword,
    Conflict,
    TooLarge,
    RequestTimeout,
    FormatNotAllowed,
    ContentMismatch,
    ArchiveRejected,
    SignatureRejected,
    InsufficientStorage,
    Unavailable,
    SchemaTooNew,
    Internal,
}

/// One row per code: (code, name, HTTP status, message key).
const TABLE: &[(Code, &str, u16)] = &[
    (Code::InvalidCredentials, "invalid_credentials", 401),
    (Code::Unauthenticated, "unauthenticated", 401),
    (Code::SessionExpired, "session_expired", 401),
    (Code::PasswordChangeRequired, "password_change_required", 403),
    (Code::Forbidden, "forbidden", 403),
    (Code::CsrfFailed, "csrf_failed", 403),
    (Code::OriginMismatch, "origin_mismatch", 403),
    (Code::TooManyRequests, "too_many_requests", 429),
    (Code::NotFound, "not_found", 404),
    (Code::Gone, "gone", 410),
    (Code::MethodNotAllowed, "method_not_allowed", 405),
    (Code::InvalidInput, "invalid_input", 400),
    (Code::WeakPassword, "weak_password", 400),
    (Code::Conflict, "conflict", 409),
    (Code::TooLarge, "too_large", 413),
    (Code::RequestTimeout, "request_timeout", 408),
    (Code::FormatNotAllowed, "format_not_allowed", 415),
    (Code::ContentMismatch, "content_mismatch", 415),
    (Code::ArchiveRejected, "archive_rejected", 422),
    (Code::SignatureRejected, "signature_rejected", 422),
    (Code::InsufficientStorage, "insufficient_storage", 507),
    (Code::Unavailable, "unavailable", 503),
    (Code::SchemaTooNew, "schema_too_new", 500),
    (Code::Internal, "internal", 500),
];

impl Code {
    pub const ALL: &'static [Code] = &[
        Code::InvalidCredentials,
        Code::Unauthenticated,
        Code::SessionExpired,
        Code::PasswordChangeRequired,
        Code::Forbidden,
        Code::CsrfFailed,
        Code::OriginMismatch,
        Code::TooManyRequests,
        Code::NotFound,
        Code::Gone,
        Code::MethodNotAllowed,
        Code::InvalidInput,
        Code::WeakPassword,
        Code::Conflict,
        Code::TooLarge,
        Code::RequestTimeout,
        Code::FormatNotAllowed,
        Code::ContentMismatch,
        Code::ArchiveRejected,
        Code::SignatureRejected,
        Code::InsufficientStorage,
        Code::Unavailable,
        Code::SchemaTooNew,
        Code::Internal,
    ];

    fn row(self) -> &'static (Code, &'static str, u16) {
        TABLE.iter().find(|row| row.0 == self).expect("every code has a row in TABLE")
    }

    /// The stable snake_case name sent to API clients.
    pub fn name(self) -> &'static str {
        self.row().1
    }

    pub fn http_status(self) -> u16 {
        self.row().2
    }

    /// Fluent message id explaining the code to a person.
    pub fn message_key(self) -> String {
        format!("error-{}", self.name().replace('_', "-"))
    }
}

/// A portal error: a code, optionally the input field it concerns and a detail for the
/// person (already safe to show), and for internal errors the hidden cause.
#[derive(Debug)]
pub struct Error {
    pub code: Code,
    /// Which input field is wrong (for `invalid_input`, `weak_password`, `conflict`).
    pub field: Option<String>,
    /// A Fluent message id that says more precisely what is wrong; shown after the code's
    /// own message.
    pub detail_key: Option<&'static str>,
    /// Free-form detail that is safe to show (e.g. the name of a rejected archive member).
    pub detail: Option<String>,
    /// Values for the variables of the `detail_key` message (e.g. `$limit` of a limit hit,
    /// a refused file's name and what it really is), so the reason reads as a sentence.
    pub args: Vec<(&'static str, String)>,
    /// The internal cause, logged but never shown.
    pub cause: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: Code) -> Self {
        Error { code, field: None, detail_key: None, detail: None, args: Vec::new(), cause: None }
    }

    pub fn invalid(field: &str, detail_key: &'static str) -> Self {
        Error {
            field: Some(field.to_owned()),
            detail_key: Some(detail_key),
            ..Error::new(Code::InvalidInput)
        }
    }

    /// A body or part over one of the request limits: 413 with a message that names the
    /// limit (`detail_key`, a message with the variable `$limit`) and its value.
    pub fn too_large(detail_key: &'static str, limit: impl fmt::Display) -> Self {
        Error::new(Code::TooLarge).with_detail_key(detail_key).with_arg("limit", limit)
    }

    pub fn forbidden() -> Self {
        Error::new(Code::Forbidden)
    }

    pub fn not_found() -> Self {
        Error::new(Code::NotFound)
    }

    pub fn internal(cause: impl fmt::Display) -> Self {
        Error { cause: Some(cause.to_string()), ..Error::new(Code::Internal) }
    }

    pub fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    pub fn with_detail_key(mut self, key: &'static str) -> Self {
        self.detail_key = Some(key);
        self
    }

    /// Sets a variable of the `detail_key` message.
    pub fn with_arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_cause(mut self, cause: impl fmt::Display) -> Self {
        self.cause = Some(cause.to_string());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.name())?;
        if let Some(field) = &self.field {
            write!(f, " (field {field})")?;
        }
        if let Some(key) = self.detail_key {
            write!(f, ": {key}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        if let Some(cause) = &self.cause {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

macro_rules! internal_from {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::internal(e)
            }
        })*
    };
}

internal_from!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    serde_json::Error,
    std::io::Error,
    askama::Error,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_row_and_a_unique_name() {
        let mut names = std::collections::HashSet::new();
        for code in Code::ALL {
            assert_eq!(TABLE.iter().filter(|r| r.0 == *code).count(), 1, "{code:?}");
            assert!(names.insert(code.name()), "duplicate name {}", code.name());
        }
        assert_eq!(TABLE.len(), Code::ALL.len());
    }

    #[test]
    fn contract_codes_keep_their_names_and_statuses() {
        let check = |code: Code, name: &str, status: u16| {
            assert_eq!((code.name(), code.http_status()), (name, status));
        };
        check(Code::InvalidCredentials, "invalid_credentials", 401);
        check(Code::TooLarge, "too_large", 413);
        check(Code::FormatNotAllowed, "format_not_allowed", 415);
        check(Code::ContentMismatch, "content_mismatch", 415);
        check(Code::ArchiveRejected, "archive_rejected", 422);
        check(Code::Gone, "gone", 410);
        check(Code::SignatureRejected, "signature_rejected", 422);
        assert_eq!(Code::CsrfFailed.message_key(), "error-csrf-failed");
    }
}
