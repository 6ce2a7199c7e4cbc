//! Accepting an uploaded file: after its bytes have been streamed into an encrypted temp
//! blob, the blob is inspected in place — real format by content, structure, archive safety
//! — and judged against the name it came with. A refused file is deleted at once.

use crate::app::App;
use crate::blobs::PendingBlob;
use crate::error::{Code, Error, Result};
use crate::formats::{self, ArchiveEntry, Format, Refusal};

/// An upload that passed inspection, waiting for its document to commit.
#[derive(Debug)]
pub struct AcceptedFile {
    pub name: String,
    pub format: Format,
    pub entries: Vec<ArchiveEntry>,
    pub pending: PendingBlob,
}

/// How a format is named to a person: its usual upper-case name (PDF, DOCX, ZIP).
fn label(format: Format) -> String {
    format.name().to_uppercase()
}

/// Turns a refusal into the error the person sees: the file's name and the reason as a
/// sentence (`detail_key` with arguments); `detail` keeps the short technical form for API
/// clients.
pub fn refusal_error(name: &str, refusal: Refusal) -> Error {
    let claimed = || Format::from_file_name(name).map(label).unwrap_or_default();
    let error = match refusal {
        Refusal::Empty => Error::new(Code::ContentMismatch)
            .with_detail_key("file-empty")
            .with_detail(name.to_owned()),
        Refusal::NotAllowed(actual) => Error::new(Code::FormatNotAllowed)
            .with_detail_key(match actual {
                Format::Executable => "file-program",
                Format::Unknown => "file-unknown",
                _ => "file-not-allowed",
            })
            .with_arg("actual", label(actual))
            .with_detail(format!("{name}: {}", actual.name())),
        Refusal::Mismatch { claimed, actual } => Error::new(Code::ContentMismatch)
            .with_detail_key(match actual {
                Format::Executable => "file-mismatch-program",
                Format::Unknown | Format::Html => "file-mismatch-unknown",
                _ => "file-mismatch",
            })
            .with_arg("claimed", label(claimed))
            .with_arg("actual", label(actual))
            .with_detail(format!("{name}: .{} / {}", claimed.name(), actual.name())),
        Refusal::Damaged(format, why) => Error::new(Code::ContentMismatch)
            .with_detail_key("file-damaged")
            .with_arg("claimed", label(format))
            .with_detail(format!("{name} ({}): {why}", format.name())),
        Refusal::Archive(why) => Error::new(Code::ArchiveRejected)
            .with_detail_key("archive-unsafe")
            .with_arg("claimed", claimed())
            .with_detail(format!("{name}: {why}")),
    };
    error.with_field("file").with_arg("file", name)
}

/// Inspects a finished temp blob; deletes it when refused.
pub fn accept(
    app: &App,
    key: &[u8; 32],
    name: String,
    pending: PendingBlob,
) -> Result<AcceptedFile> {
    let inspected = (|| -> std::io::Result<Result<formats::Inspection, Refusal>> {
        let mut reader = crate::blobs::BlobReader::open(&pending.tmp_path, key)?;
        formats::inspect(&mut reader, &app.config.documents.archive_limits())
    })();
    let verdict = match inspected {
        Ok(Ok(inspection)) => {
            formats::judge(inspection.format, &name, &app.config.documents.allowed())
                .map(|f| (f, inspection.entries))
        }
        // Bytes of no allowed format under an allowed format's name: the name lies.
        Ok(Err(Refusal::NotAllowed(actual))) => match Format::from_file_name(&name) {
            Some(claimed) if Format::ALLOWED.contains(&claimed) => {
                Err(Refusal::Mismatch { claimed, actual })
            }
            _ => Err(Refusal::NotAllowed(actual)),
        },
        Ok(Err(refusal)) => Err(refusal),
        Err(e) => {
            pending.discard();
            return Err(Error::internal(format!("reading back an upload: {e}")));
        }
    };
    match verdict {
        Ok((format, entries)) => Ok(AcceptedFile { name, format, entries, pending }),
        Err(refusal) => {
            pending.discard();
            Err(refusal_error(&name, refusal))
        }
    }
}

/// Discards every accepted file of a refused upload.
pub fn discard_all(files: Vec<AcceptedFile>) {
    for f in files {
        f.pending.discard();
    }
}
