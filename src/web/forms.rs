//! Form pages that never lose work. A refused form is shown again — the same page, with
//! everything the person entered, the reason next to the field in words (under the field's
//! own label), an error summary at the top linking to each wrong field, and focus on the
//! first one (`autofocus`, so it works without JavaScript). A form error never leads to
//! the generic error page; errors that are not about the input (no right, not found, an
//! internal failure) still do.
//!
//! A page that holds a form keeps a [`Form`] in its template (`Form::new` on first display,
//! pre-filled with [`Form::set`] for edits) and reads values from it; the POST handler
//! builds the form from the body and, when the service refuses, renders the same page with
//! [`Form::refuse`]. The form draws its own parts — `{{ f.summary() }}`, `{{ f.attrs("x") }}`,
//! `{{ f.message("x") }}`, `{{ f.text(..) }}` — so a template needs no macros; see "How to
//! write a form page" in docs/ARCHITECTURE.md.

use std::borrow::Cow;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::error::{Code, Error, Result};
use crate::i18n::I18n;

/// A field of a form: its input's `name`, the message id of its label, and the names the
/// services use for it in errors when they differ from the input's (e.g. `number` on the
/// page, `registration_number` in the service).
#[derive(Debug, Clone)]
pub struct Field {
    pub name: Cow<'static, str>,
    pub label: Cow<'static, str>,
    pub aliases: Cow<'static, [&'static str]>,
}

impl Field {
    pub const fn new(name: &'static str, label: &'static str) -> Field {
        Field {
            name: Cow::Borrowed(name),
            label: Cow::Borrowed(label),
            aliases: Cow::Borrowed(&[]),
        }
    }

    pub const fn aliased(
        name: &'static str,
        label: &'static str,
        aliases: &'static [&'static str],
    ) -> Field {
        Field {
            name: Cow::Borrowed(name),
            label: Cow::Borrowed(label),
            aliases: Cow::Borrowed(aliases),
        }
    }

    /// A field known only at run time (e.g. the fields of a document type).
    pub fn dynamic(name: String, label: String, alias: &'static str) -> Field {
        Field { name: Cow::Owned(name), label: Cow::Owned(label), aliases: Cow::Owned(vec![alias]) }
    }

    fn answers_to(&self, field: &str) -> bool {
        self.name == field || self.aliases.contains(&field)
    }
}

/// One reason a form was refused, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The input it concerns (its `name`), or `None` for the form as a whole.
    pub field: Option<String>,
    /// The field's label in the page's language (empty for the form as a whole).
    pub label: String,
    pub message: String,
}

/// A form as shown: which form of the page it is, the values in it and, after a refusal,
/// the problems.
#[derive(Debug, Clone, Default)]
pub struct Form {
    /// Which form of the page this is (pages with several forms show the problems only
    /// in the one that was sent).
    pub id: &'static str,
    /// Which of several forms with the same id (one per row: a department per agency, a
    /// revocation per certificate); part of the inputs' ids.
    instance: String,
    values: Vec<(String, String)>,
    problems: Vec<Problem>,
    status: u16,
    /// The summary's heading in the page's language (set when refused).
    summary_title: String,
}

/// HTML the form builds itself from escaped parts; shown as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Html(pub String);

impl std::fmt::Display for Html {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for Html {}

/// Escapes text for HTML content and quoted attribute values (the reporting layer's).
pub use crate::report::html::escape;

/// Codes whose errors are about what was typed or attached: the form is shown again.
/// Everything else (rights, sessions, missing objects, internal failures) is a page of
/// its own.
fn is_about_the_input(code: Code) -> bool {
    matches!(
        code,
        Code::InvalidInput
            | Code::WeakPassword
            | Code::Conflict
            | Code::TooLarge
            | Code::FormatNotAllowed
            | Code::ContentMismatch
            | Code::ArchiveRejected
            | Code::SignatureRejected
            | Code::InvalidCredentials
            | Code::TooManyRequests
            | Code::Gone
            | Code::InsufficientStorage
    )
}

impl Form {
    /// An empty form (first display).
    pub fn new(id: &'static str) -> Form {
        Form { id, ..Form::default() }
    }

    /// The fields of an url-encoded body, as the browser sent them (the CSRF token is
    /// dropped: a form shows the session's own).
    pub fn posted(id: &'static str, body: &[u8]) -> Form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        Form::from_pairs(id, pairs)
    }

    pub fn from_pairs(id: &'static str, pairs: Vec<(String, String)>) -> Form {
        let values = pairs.into_iter().filter(|(k, _)| k != "csrf").collect();
        Form { id, values, ..Form::default() }
    }

    /// Names this form among several of the same id on one page (e.g. the agency's id).
    pub fn instance(mut self, instance: impl ToString) -> Form {
        self.instance = instance.to_string();
        self
    }

    /// Sets a value (pre-filling an edit form); replaces earlier values of the field.
    pub fn set(mut self, name: &str, value: impl Into<String>) -> Form {
        self.values.retain(|(k, _)| k != name);
        self.values.push((name.to_owned(), value.into()));
        self
    }

    /// Adds one more value of a many-valued field (checkboxes, multiple selects).
    pub fn add(mut self, name: &str, value: impl Into<String>) -> Form {
        self.values.push((name.to_owned(), value.into()));
        self
    }

    /// The form shown again because `error` refused it, if `error` is about the input;
    /// otherwise `Err(error)` (shown as an error page). Every problem gets the label of its
    /// field from `fields`; one the form does not know goes to the summary only.
    pub fn refuse(
        mut self,
        i18n: &I18n,
        lang: &str,
        error: Error,
        fields: &[Field],
    ) -> Result<Form> {
        if !is_about_the_input(error.code) {
            return Err(error);
        }
        let field = error.field.as_deref().and_then(|f| fields.iter().find(|x| x.answers_to(f)));
        let message = match i18n.error_reason(lang, &error) {
            // A reason with its arguments already names what it is about.
            Some(reason) if !error.args.is_empty() => reason,
            Some(reason) => match &error.detail {
                Some(detail) => format!("{reason} ({detail})"),
                None => reason,
            },
            None => {
                let text = i18n.text(lang, &error.code.message_key());
                match &error.detail {
                    Some(detail) if error.code != Code::InvalidInput => {
                        format!("{text} ({detail})")
                    }
                    _ => text,
                }
            }
        };
        self.summary_title = i18n.text(lang, "form-problem-title");
        self.problems.push(Problem {
            field: field.map(|f| f.name.to_string()),
            label: field.map(|f| i18n.text(lang, &f.label)).unwrap_or_default(),
            message,
        });
        self.status = error.code.http_status();
        Ok(self)
    }

    /// [`refuse`](Self::refuse) for several errors at once (e.g. every refused file of an
    /// upload); the first error that is not about the input wins as an error page.
    pub fn refuse_all(
        self,
        i18n: &I18n,
        lang: &str,
        errors: Vec<Error>,
        fields: &[Field],
    ) -> Result<Form> {
        if let Some(i) = errors.iter().position(|e| !is_about_the_input(e.code)) {
            return Err(errors.into_iter().nth(i).expect("position is in range"));
        }
        let status = errors.first().map(|e| e.code.http_status());
        let mut form = self;
        for e in errors {
            form = form.refuse(i18n, lang, e, fields)?;
        }
        // The page's status is the first refusal's.
        if let Some(status) = status {
            form.status = status;
        }
        Ok(form)
    }

    // --- for templates --------------------------------------------------------------

    /// The value entered in a field ("" when none).
    pub fn value(&self, name: &str) -> &str {
        self.values.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    /// Every value of a many-valued field.
    pub fn values_of(&self, name: &str) -> Vec<&str> {
        self.values.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// Whether a checkbox or option `value` of field `name` is chosen.
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.values.iter().any(|(k, v)| k == name && v == value)
    }

    /// Whether this form was sent and refused.
    pub fn is_refused(&self) -> bool {
        !self.problems.is_empty()
    }

    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The message for a field, if it was refused.
    pub fn error(&self, name: &str) -> Option<&str> {
        self.problems.iter().find(|p| p.field.as_deref() == Some(name)).map(|p| p.message.as_str())
    }

    pub fn invalid(&self, name: &str) -> bool {
        self.error(name).is_some()
    }

    /// True for the first refused field only: it gets the focus.
    pub fn autofocus(&self, name: &str) -> bool {
        self.problems.iter().find_map(|p| p.field.as_deref()) == Some(name)
    }

    /// The error summary for the top of the form: a heading and each problem as a link to
    /// its field (empty unless refused). `role="alert"` has it read out at once.
    pub fn summary(&self) -> Html {
        if self.problems.is_empty() {
            return Html(String::new());
        }
        let mut out = format!(
            "<div class=\"error-summary\" role=\"alert\" aria-labelledby=\"error-summary-{id}\">\
             <h2 id=\"error-summary-{id}\">{}</h2><ul>",
            escape(&self.summary_title),
            id = escape(self.id),
        );
        for p in &self.problems {
            match &p.field {
                Some(name) => out.push_str(&format!(
                    "<li><a href=\"#{}\">{}: {}</a></li>",
                    escape(&self.id_of(name)),
                    escape(&p.label),
                    escape(&p.message)
                )),
                None => out.push_str(&format!("<li>{}</li>", escape(&p.message))),
            }
        }
        out.push_str("</ul></div>");
        Html(out)
    }

    /// The `id` of the input `name` (for labels and fieldsets written by hand).
    pub fn id_of(&self, name: &str) -> String {
        if self.instance.is_empty() {
            input_id(self.id, name)
        } else {
            input_id(&format!("{}-{}", self.id, self.instance), name)
        }
    }

    /// What was typed, for a refused form that the page can no longer offer (e.g. the
    /// object moved on meanwhile): the longer texts, so nothing typed is lost.
    pub fn typed(&self) -> Html {
        let texts: Vec<&str> =
            self.values.iter().map(|(_, v)| v.trim()).filter(|v| v.chars().count() > 3).collect();
        if texts.is_empty() {
            return Html(String::new());
        }
        let mut out = String::from("<blockquote class=\"typed\">");
        for t in texts {
            out.push_str(&format!("<p>{}</p>", escape(t)));
        }
        out.push_str("</blockquote>");
        Html(out)
    }

    /// The attributes of the input `name`: ` id="f-name" name="name"`, and when refused
    /// `aria-invalid`, `aria-describedby` (its message) and, for the first wrong field,
    /// `autofocus`.
    pub fn attrs(&self, name: &str) -> Html {
        let id = escape(&self.id_of(name));
        let mut out = format!(" id=\"{id}\" name=\"{}\"", escape(name));
        if self.invalid(name) {
            out.push_str(&format!(" aria-invalid=\"true\" aria-describedby=\"{id}-error\""));
        }
        if self.autofocus(name) {
            out.push_str(" autofocus");
        }
        Html(out)
    }

    /// The message of a refused field, to put right after its label (empty otherwise).
    pub fn message(&self, name: &str) -> Html {
        match self.error(name) {
            Some(m) => Html(format!(
                "<span class=\"field-error\" id=\"{}-error\">{}</span>",
                escape(&self.id_of(name)),
                escape(m)
            )),
            None => Html(String::new()),
        }
    }

    /// A label and its message for the input `name` (for inputs written by hand).
    pub fn label(&self, name: &str, label: &str) -> Html {
        Html(format!(
            "<label for=\"{}\">{}</label>{}",
            escape(&self.id_of(name)),
            escape(label),
            self.message(name)
        ))
    }

    /// The CSS class of a field's wrapper: `field`, or `field invalid` when refused.
    pub fn class(&self, name: &str) -> &'static str {
        if self.invalid(name) { "field invalid" } else { "field" }
    }

    /// A whole one-line text field: wrapper, label, message and the input with the value
    /// entered. `extra` holds more attributes, written by the template's author (e.g.
    /// `required maxlength="1000"`); it is not escaped.
    pub fn text(&self, name: &str, label: &str, extra: &str) -> Html {
        Html(format!(
            "<div class=\"{}\">{}<input{} value=\"{}\" {extra}></div>",
            self.class(name),
            self.label(name, label),
            self.attrs(name),
            escape(self.value(name))
        ))
    }

    /// A whole text area (see [`text`](Self::text)).
    pub fn textarea(&self, name: &str, label: &str, rows: u32) -> Html {
        Html(format!(
            "<div class=\"{}\">{}<textarea{} rows=\"{rows}\">{}</textarea></div>",
            self.class(name),
            self.label(name, label),
            self.attrs(name),
            escape(self.value(name))
        ))
    }

    /// A whole file field (see [`text`](Self::text)); on a refused form it says `again` above
    /// the input: a browser cannot keep a chosen file in a form, the person chooses it anew.
    pub fn file(&self, name: &str, label: &str, extra: &str, again: &str) -> Html {
        let again = if self.is_refused() && !again.is_empty() {
            format!("<p class=\"small\">{}</p>", escape(again))
        } else {
            String::new()
        };
        Html(format!(
            "<div class=\"{}\">{}{again}<input{} type=\"file\" {extra}></div>",
            self.class(name),
            self.label(name, label),
            self.attrs(name)
        ))
    }

    /// The HTTP status of the page showing this form (200 unless refused).
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK)
    }

    /// Every form handler's last step, written once: the service's `outcome` becomes
    /// `accepted(value)` (a redirect with its confirmation), or — refused — the same page
    /// again, drawn by `again` with this form (the values as posted) refused by the error;
    /// an error that is not about the input is the error page.
    pub async fn settle<T, Fut>(
        self,
        outcome: Result<T>,
        i18n: &I18n,
        lang: &str,
        fields: &[Field],
        accepted: impl FnOnce(T) -> HttpResponse,
        again: impl FnOnce(Form) -> Fut,
    ) -> Result<HttpResponse>
    where
        Fut: std::future::Future<Output = Result<HttpResponse>>,
    {
        match outcome {
            Ok(value) => Ok(accepted(value)),
            Err(e) => again(self.refuse(i18n, lang, e, fields)?).await,
        }
    }
}

/// The `id` of the input named `name` in form `form` (what the summary links to): unique
/// on a page that holds several forms with fields of the same name.
fn input_id(form: &str, name: &str) -> String {
    let clean = |s: &str| s.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-");
    if form.is_empty() {
        format!("f-{}", clean(name))
    } else {
        format!("f-{}-{}", clean(form), clean(name))
    }
}

/// The hidden CSRF field every POST form starts with (also multipart ones: the pipeline
/// reads it from the first part, so no token travels in an address).
pub fn csrf_field(token: &str) -> Html {
    Html(format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", escape(token)))
}

/// Renders a page holding `form` with the form's status (400, 409, 415... after a refusal,
/// so the access log records the refusal).
pub fn page<T: Template>(template: &T, form: &Form) -> Result<HttpResponse> {
    let mut res = super::render::html(template)?;
    *res.status_mut() = form.status();
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[Field] = &[
        Field::new("title", "field-title"),
        Field::aliased("number", "field-title-kk", &["registration_number"]),
        Field::new("file", "document-attach"),
    ];

    #[test]
    fn a_refused_form_keeps_its_values_and_names_the_field_by_its_label() {
        let i18n = I18n::load();
        let form = Form::posted(
            "doc",
            b"csrf=secret&title=%D0%9E+%D0%BF%D0%BE%D1%80%D1%8F%D0%B4%D0%BA%D0%B5&number=",
        )
        .refuse(&i18n, "kk", Error::invalid("registration_number", "field-required"), FIELDS)
        .unwrap();
        assert_eq!(form.value("title"), "О порядке");
        assert_eq!(form.value("csrf"), "", "the token is never echoed from the body");
        assert!(form.invalid("number") && !form.invalid("title"));
        assert!(form.autofocus("number"));
        let p = &form.problems()[0];
        assert_eq!(p.label, i18n.text("kk", "field-title-kk"));
        assert_eq!(p.message, i18n.text("kk", "field-required"));
        assert!(!p.message.contains("registration_number") && !p.label.contains("number"));
        assert_eq!(form.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_refused_file_is_named_with_the_reason_in_words() {
        let i18n = I18n::load();
        let error = crate::portal::documents::upload::refusal_error(
            "Есеп.pdf",
            crate::formats::Refusal::Mismatch {
                claimed: crate::formats::Format::Pdf,
                actual: crate::formats::Format::Zip,
            },
        );
        let form = Form::new("doc").refuse(&i18n, "ru", error, FIELDS).unwrap();
        let message = form.error("file").unwrap();
        assert!(message.contains("Есеп.pdf") && message.contains("PDF") && message.contains("ZIP"));
        assert!(!message.contains(".pdf /"), "not the technical detail: {message}");
        assert_eq!(form.status().as_u16(), 415);
    }

    #[test]
    fn only_errors_about_the_input_re_show_the_form() {
        let i18n = I18n::load();
        for code in [Code::Forbidden, Code::NotFound, Code::Internal, Code::CsrfFailed] {
            assert!(Form::new("x").refuse(&i18n, "ru", Error::new(code), FIELDS).is_err());
        }
        // A problem of no known field goes to the summary, without a code or field name.
        let form =
            Form::new("x").refuse(&i18n, "en", Error::invalid("mystery", "field-required"), FIELDS);
        let form = form.unwrap();
        assert_eq!(form.problems()[0].field, None);
        assert!(form.problems()[0].label.is_empty());
        assert!(!form.autofocus("title"));
    }

    #[test]
    fn the_form_draws_its_summary_attributes_and_messages_escaped() {
        let i18n = I18n::load();
        let form = Form::posted("doc", b"title=%3Cb%3E%22x%22&number=1")
            .refuse(&i18n, "en", Error::invalid("registration_number", "field-required"), FIELDS)
            .unwrap();
        let summary = form.summary().0;
        assert!(summary.starts_with("<div class=\"error-summary\" role=\"alert\""), "{summary}");
        assert!(summary.contains("<a href=\"#f-doc-number\">"), "{summary}");
        assert!(summary.contains(&i18n.text("en", "form-problem-title")));
        assert_eq!(
            form.attrs("number").0,
            " id=\"f-doc-number\" name=\"number\" aria-invalid=\"true\" aria-describedby=\"f-doc-number-error\" autofocus"
        );
        assert_eq!(form.attrs("title").0, " id=\"f-doc-title\" name=\"title\"");
        assert!(form.text("title", "T", "required").0.contains("value=\"&lt;b&gt;&quot;x&quot;\""));
        assert!(form.message("number").0.contains("id=\"f-doc-number-error\""));
        assert_eq!(form.message("title").0, "");
        assert_eq!(Form::new("x").summary().0, "");
        assert_eq!(input_id("doc", "field.registration_number"), "f-doc-field-registration-number");
    }

    /// Every template: no form puts the CSRF token in its address (it would end up in the
    /// access log, the browser's history and the address bar of an error page), and every
    /// multipart form starts with the token, where the pipeline reads it.
    #[test]
    fn no_template_puts_the_token_in_an_address() {
        let mut seen = 0;
        for (path, text) in crate::web::render::every_template() {
            seen += 1;
            assert!(!text.contains("csrf={{"), "{}: the token in an address", path.display());
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if line.contains("<form") && line.contains("multipart/form-data") {
                    let next = lines.get(i + 1).copied().unwrap_or("");
                    assert!(
                        next.contains("csrf"),
                        "{}:{}: a multipart form whose first field is not the token",
                        path.display(),
                        i + 1
                    );
                }
            }
        }
        assert!(seen > 50, "the templates were found ({seen})");
    }

    #[test]
    fn a_file_field_asks_for_its_file_again_once_refused() {
        let f = Form::new("agenda");
        assert_eq!(
            f.file("file", "Файл", "multiple", "again").0,
            "<div class=\"field\"><label for=\"f-agenda-file\">Файл</label>\
             <input id=\"f-agenda-file\" name=\"file\" type=\"file\" multiple></div>"
        );
        let i18n = I18n::load();
        let f = f.refuse(&i18n, "ru", Error::invalid("file", "field-required"), FIELDS).unwrap();
        let html = f.file("file", "Файл", "", "Выберите <файл>").0;
        assert!(html.contains("<p class=\"small\">Выберите &lt;файл&gt;</p>"), "{html}");
        assert!(html.contains("aria-invalid=\"true\"") && html.contains(" autofocus"), "{html}");
    }

    #[test]
    fn many_valued_fields_and_prefilled_values() {
        let form = Form::posted("roles", b"role=head&role=employee&lang=kk").set("lang", "ru");
        assert!(form.has("role", "head") && form.has("role", "employee") && !form.has("role", "x"));
        assert_eq!(form.value("lang"), "ru");
        assert_eq!(form.status(), StatusCode::OK);
    }
}
