//! PDF text layer through `pdf-extract` (on `lopdf`). The parser is known to panic on some
//! fonts (STACK-NOTES); a panic becomes `Malformed`. Two structures make it recurse without end
//! — a form XObject that draws itself, a page whose `/Parent` chain loops — and are refused
//! here before it runs (docs/fuzzing.md, finding 2); anything worse (unbounded memory, a slow
//! parse, a crash) is stopped by the sandbox around the child process.

use std::collections::{HashMap, HashSet};

use pdf_extract::content::Content;
use pdf_extract::{Dictionary, Document, Object, ObjectId, PlainTextOutput, Stream};

use super::{ErrorKind, ExtractError, malformed};

/// Deepest chain of form XObjects drawing form XObjects that is read. pdf-extract recurses once
/// per level with a large frame; real documents nest a few levels (a stamp drawing a logo).
const MAX_FORM_DEPTH: usize = 32;

/// Longest `/Parent` chain above a page that is followed for inherited attributes.
const MAX_TREE_DEPTH: usize = 256;

pub fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
    super::catch_parser_panic("PDF", || {
        let mut doc = Document::load_mem(bytes).map_err(|e| pdf_error(e.to_string()))?;
        // As pdf-extract's own entry point does: the empty user password opens documents that
        // are only restricted, not secret.
        if doc.is_encrypted() {
            doc.decrypt("").map_err(|e| pdf_error(format!("decrypt: {e}")))?;
        }
        check_recursion(&doc)?;
        let mut text = String::new();
        pdf_extract::output_doc(&doc, &mut PlainTextOutput::new(&mut text))
            .map_err(|e| pdf_error(e.to_string()))?;
        Ok(text)
    })
}

fn pdf_error(msg: String) -> ExtractError {
    let lower = msg.to_ascii_lowercase();
    if lower.contains("decrypt") || lower.contains("encrypt") || lower.contains("password") {
        ExtractError::new(ErrorKind::Encrypted, format!("PDF: {msg}"))
    } else {
        malformed(format!("PDF: {msg}"))
    }
}

/// Refuses what would make pdf-extract recurse without end: it looks inherited page attributes
/// (MediaBox, Resources) up the `/Parent` chain by recursion with no memory of where it has
/// been, and draws a form XObject (`Do`) by recursing into its content the same way, so a loop
/// in either never ends (a hang, or a stack overflow that kills the process). The walk below
/// follows the same lookups with a memory and a depth limit.
fn check_recursion(doc: &Document) -> Result<(), ExtractError> {
    let mut forms = FormWalk::new(doc);
    for page_id in doc.get_pages().into_values() {
        let Ok(page) = doc.get_dictionary(page_id) else { continue };
        inherited(doc, page, b"MediaBox", |o| o.as_array().ok())?;
        let Some(resources) = inherited(doc, page, b"Resources", |o| o.as_dict().ok())? else {
            continue;
        };
        // The page's own content is not parsed: any form its resources name may be drawn.
        for id in xobjects(doc, resources).into_values() {
            forms.visit(id, resources, 1)?;
        }
    }
    Ok(())
}

/// The value of an inheritable page attribute, as pdf-extract finds it: the first ancestor
/// naming it with a value of the expected type (one of another type is passed over, as
/// pdf-extract passes it over). A chain that loops, or runs deeper than any real page tree,
/// is refused.
fn inherited<'a, T>(
    doc: &'a Document,
    page: &'a Dictionary,
    key: &[u8],
    typed: impl Fn(&'a Object) -> Option<T>,
) -> Result<Option<T>, ExtractError> {
    let mut node = page;
    let mut seen = HashSet::new();
    for _ in 0..MAX_TREE_DEPTH {
        if let Some(value) = node.get(key).ok().and_then(|o| typed(resolve(doc, o))) {
            return Ok(Some(value));
        }
        let Ok(parent) = node.get(b"Parent").and_then(Object::as_reference) else {
            return Ok(None);
        };
        if !seen.insert(parent) {
            return Err(malformed("PDF: a page's /Parent chain loops"));
        }
        let Ok(next) = doc.get_dictionary(parent) else { return Ok(None) };
        node = next;
    }
    Err(malformed(format!("PDF: a page's /Parent chain is deeper than {MAX_TREE_DEPTH}")))
}

fn resolve<'a>(doc: &'a Document, object: &'a Object) -> &'a Object {
    doc.dereference(object).map(|(_, o)| o).unwrap_or(object)
}

/// The XObjects a resource dictionary names, by name.
fn xobjects(doc: &Document, resources: &Dictionary) -> HashMap<Vec<u8>, ObjectId> {
    let Ok(dict) = resources.get(b"XObject").map(|o| resolve(doc, o)).and_then(Object::as_dict)
    else {
        return HashMap::new();
    };
    dict.iter().filter_map(|(name, o)| Some((name.clone(), o.as_reference().ok()?))).collect()
}

/// A form drawn with a given resource dictionary (identified by address: every dictionary lives
/// in the one `Document` borrowed for the walk).
type FormKey = (ObjectId, *const Dictionary);

/// Depth-first walk of the forms pages draw, each drawn with the resources pdf-extract would
/// use: its own `/Resources`, or its caller's when it has none.
struct FormWalk<'a> {
    doc: &'a Document,
    /// Levels of forms from a form down, once walked (a form drawn from many places is walked
    /// once, so a wide tree of shared forms costs its size, not its number of paths).
    height: HashMap<FormKey, usize>,
    /// The forms on the current chain: meeting one again is a loop.
    active: HashSet<FormKey>,
    /// The names each form's content draws with `Do`.
    drawn: HashMap<ObjectId, Vec<Vec<u8>>>,
}

impl<'a> FormWalk<'a> {
    fn new(doc: &'a Document) -> Self {
        FormWalk { doc, height: HashMap::new(), active: HashSet::new(), drawn: HashMap::new() }
    }

    fn visit(
        &mut self,
        id: ObjectId,
        caller: &'a Dictionary,
        depth: usize,
    ) -> Result<usize, ExtractError> {
        if depth > MAX_FORM_DEPTH {
            return Err(malformed(format!(
                "PDF: form XObjects nested deeper than {MAX_FORM_DEPTH} levels"
            )));
        }
        let Ok(stream) = self.doc.get_object(id).and_then(Object::as_stream) else {
            return Ok(0);
        };
        let resources = stream
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|o| resolve(self.doc, o).as_dict().ok())
            .unwrap_or(caller);
        let key: FormKey = (id, resources);
        if let Some(&height) = self.height.get(&key) {
            if depth + height - 1 > MAX_FORM_DEPTH {
                return Err(malformed(format!(
                    "PDF: form XObjects nested deeper than {MAX_FORM_DEPTH} levels"
                )));
            }
            return Ok(height);
        }
        if !self.active.insert(key) {
            return Err(malformed(format!("PDF: form XObject {} {} draws itself", id.0, id.1)));
        }
        let names = self.drawn.entry(id).or_insert_with(|| drawn_names(stream)).clone();
        let named = xobjects(self.doc, resources);
        let mut height = 1;
        for name in names {
            if let Some(&child) = named.get(&name) {
                height = height.max(1 + self.visit(child, resources, depth + 1)?);
            }
        }
        self.active.remove(&key);
        self.height.insert(key, height);
        Ok(height)
    }
}

/// The operands of the `Do` operators of a content stream, decoded as pdf-extract decodes it
/// (content it cannot decode draws nothing here; pdf-extract fails on it by itself).
fn drawn_names(stream: &Stream) -> Vec<Vec<u8>> {
    let content = if stream.filters().is_ok() {
        stream.decompressed_content().unwrap_or_else(|_| stream.content.clone())
    } else {
        stream.content.clone()
    };
    let Ok(content) = Content::decode(&content) else { return Vec::new() };
    content
        .operations
        .iter()
        .filter(|op| op.operator == "Do")
        .filter_map(|op| op.operands.first()?.as_name().ok().map(<[u8]>::to_vec))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PDF with a correct cross-reference table (as `tests/fixtures/make_search_fixtures.py`
    /// writes them), so the parser reaches the structure under test.
    fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (n, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", n + 1).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for off in offsets {
            out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }

    fn stream(dict: &str, data: &str) -> Vec<u8> {
        format!("<< {dict} /Length {} >>\nstream\n{data}\nendstream", data.len()).into_bytes()
    }

    /// One page drawing `/X1` from its resources, objects 5.. being the forms.
    fn page_with_forms(forms: Vec<Vec<u8>>) -> Vec<u8> {
        let mut objects = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R \
               /Resources << /XObject << /X1 5 0 R >> >> >>"
                .to_vec(),
            stream("", "/X1 Do"),
        ];
        objects.extend(forms);
        pdf(&objects)
    }

    fn form(draws: &str, resources: Option<&str>) -> Vec<u8> {
        let resources = resources.map(|r| format!(" /Resources << /XObject << {r} >> >>"));
        let dict = format!(
            "/Type /XObject /Subtype /Form /BBox [0 0 10 10]{}",
            resources.unwrap_or_default()
        );
        stream(&dict, draws)
    }

    /// The seed that stopped the `extract` and `extract_pdf` fuzz targets at once (docs/
    /// fuzzing.md, finding 2): pdf-extract recurses into a form XObject that draws itself until
    /// the stack overflows and the process dies. Refused before the parser runs.
    #[test]
    fn a_form_xobject_that_draws_itself_is_refused() {
        let bytes = page_with_forms(vec![form("/X1 Do", Some("/X1 5 0 R"))]);
        let e = extract(&bytes).expect_err("a self-drawing form gives no text");
        assert_eq!(e.kind, ErrorKind::Malformed, "{e}");
        assert!(e.detail.contains("draws itself"), "{e}");
    }

    /// The same loop through two forms, the second without resources of its own (it draws
    /// with its caller's, as pdf-extract and the PDF specification's inheritance have it).
    #[test]
    fn a_loop_through_inherited_resources_is_refused() {
        let bytes =
            page_with_forms(vec![form("/Y Do", Some("/Y 6 0 R /X1 5 0 R")), form("/X1 Do", None)]);
        let e = extract(&bytes).expect_err("a loop of forms gives no text");
        assert_eq!(e.kind, ErrorKind::Malformed, "{e}");
        assert!(e.detail.contains("draws itself"), "{e}");
    }

    /// A chain without a loop is refused only past the depth limit; a short one is read.
    #[test]
    fn forms_nested_past_the_limit_are_refused_a_short_chain_is_read() {
        let chain = |levels: usize| {
            let forms = (0..levels)
                .map(|i| {
                    let next = 5 + i + 1;
                    if i + 1 < levels {
                        form("/N Do", Some(&format!("/N {next} 0 R")))
                    } else {
                        form("", None)
                    }
                })
                .collect();
            page_with_forms(forms)
        };
        assert_eq!(extract(&chain(3)).map(|t| t.trim().to_string()), Ok(String::new()));
        let e = extract(&chain(MAX_FORM_DEPTH + 1)).expect_err("too deep");
        assert_eq!(e.kind, ErrorKind::Malformed, "{e}");
        assert!(e.detail.contains("nested"), "{e}");
    }

    /// Found reviewing the check against pdf-extract: a page's /Resources of the wrong type is
    /// passed over and the parent's used, so the check must look there too, or a form that
    /// draws itself hides behind it.
    #[test]
    fn resources_inherited_past_a_wrong_typed_entry_are_checked() {
        let bytes = pdf(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources << /XObject << /X1 5 0 R >> >> >>"
                .to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources 7 >>"
                .to_vec(),
            stream("", "/X1 Do"),
            form("/X1 Do", Some("/X1 5 0 R")),
        ]);
        let e = extract(&bytes).expect_err("a self-drawing form gives no text");
        assert_eq!(e.kind, ErrorKind::Malformed, "{e}");
        assert!(e.detail.contains("draws itself"), "{e}");
    }

    /// A page whose /Parent chain loops without ever naming a MediaBox: pdf-extract looks the
    /// inherited attribute up by recursion that never ends. Refused before the parser runs.
    #[test]
    fn a_page_whose_parent_chain_loops_is_refused() {
        let bytes = pdf(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 3 0 R >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_vec(),
            stream("", "BT ET"),
        ]);
        let e = extract(&bytes).expect_err("a looping page tree gives no text");
        assert_eq!(e.kind, ErrorKind::Malformed, "{e}");
        assert!(e.detail.contains("/Parent"), "{e}");
    }
}
