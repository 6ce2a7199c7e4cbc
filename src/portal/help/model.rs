//! The guides the portal serves to the people who use it, without I/O: which Markdown file
//! answers which guide in which language, the part of a bilingual file a reader gets, and
//! the rendering to HTML with heading anchors and links rewritten to stay inside the portal.
//!
//! Why the portal serves its own guides: an air-gapped agency has no web to look them up on,
//! and pages must not carry developer help (issue 21 point 6) — they link here instead.
//! The guides are compiled into the binary, so they always match the running version.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A guide the portal serves, by its address `/help/{slug}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guide {
    /// The user guide (`docs/user-guide.md`: a Russian and a Kazakh part in one file).
    User,
    /// The administrator's guide (`docs/admin-guide.md` and its translations).
    Admin,
    /// Digital signatures in detail (`docs/signatures.md`), linked from the admin guide.
    Signatures,
    /// The reminders' import format (`docs/reminders-format.md`), linked from the admin guide.
    RemindersFormat,
}

/// One language version of a guide's source.
struct Source {
    lang: &'static str,
    markdown: &'static str,
}

const USER: &[Source] =
    &[Source { lang: "ru", markdown: include_str!("../../../docs/user-guide.md") }];
const ADMIN: &[Source] = &[
    Source { lang: "en", markdown: include_str!("../../../docs/admin-guide.md") },
    Source { lang: "kk", markdown: include_str!("../../../docs/admin-guide.kk.md") },
    Source { lang: "ru", markdown: include_str!("../../../docs/admin-guide.ru.md") },
];
const SIGNATURES: &[Source] =
    &[Source { lang: "en", markdown: include_str!("../../../docs/signatures.md") }];
const REMINDERS_FORMAT: &[Source] =
    &[Source { lang: "en", markdown: include_str!("../../../docs/reminders-format.md") }];

/// The level-2 headings that open a language's part of a bilingual guide.
const PART_HEADINGS: &[(&str, &str)] = &[("ru", "## Русский"), ("kk", "## Қазақша")];

impl Guide {
    pub const ALL: &'static [Guide] =
        &[Guide::User, Guide::Admin, Guide::Signatures, Guide::RemindersFormat];

    pub fn slug(self) -> &'static str {
        match self {
            Guide::User => "user",
            Guide::Admin => "admin",
            Guide::Signatures => "signatures",
            Guide::RemindersFormat => "reminders-format",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Guide> {
        Guide::ALL.iter().copied().find(|g| g.slug() == slug)
    }

    /// The Markdown file a link inside a guide names (`signatures.md`).
    fn from_file(file: &str) -> Option<(Guide, Option<&'static str>)> {
        let (stem, lang) = match file.strip_suffix(".md")?.rsplit_once('.') {
            Some((stem, lang)) => (stem, crate::i18n::supported(lang)),
            None => (file.strip_suffix(".md")?, None),
        };
        let guide = match stem {
            "user-guide" => Guide::User,
            "admin-guide" => Guide::Admin,
            "signatures" => Guide::Signatures,
            "reminders-format" => Guide::RemindersFormat,
            _ => return None,
        };
        Some((guide, lang))
    }

    /// The message key of the guide's title.
    pub fn title_key(self) -> &'static str {
        match self {
            Guide::User => "help-guide-user",
            Guide::Admin => "help-guide-admin",
            Guide::Signatures => "help-guide-signatures",
            Guide::RemindersFormat => "help-guide-reminders-format",
        }
    }

    fn sources(self) -> &'static [Source] {
        match self {
            Guide::User => USER,
            Guide::Admin => ADMIN,
            Guide::Signatures => SIGNATURES,
            Guide::RemindersFormat => REMINDERS_FORMAT,
        }
    }

    /// The languages the guide is written in (a bilingual file counts for each part).
    pub fn languages(self) -> Vec<&'static str> {
        let mut langs = Vec::new();
        for s in self.sources() {
            let parts: Vec<_> =
                PART_HEADINGS.iter().filter(|(_, h)| has_heading(s.markdown, h)).collect();
            if parts.is_empty() {
                langs.push(s.lang);
            } else {
                langs.extend(parts.iter().map(|(l, _)| *l));
            }
        }
        langs
    }

    /// The text for a reader of `lang`: that language when the guide has it, else Russian,
    /// else the first the guide has. Returns the language of the text and its Markdown.
    pub fn text(self, lang: &str) -> (&'static str, String) {
        let langs = self.languages();
        // A technical reader without their language is better served in Russian, then
        // English, then Kazakh (the translations may be partial).
        let chosen = [lang, "ru", "en", "kk"]
            .into_iter()
            .find(|l| langs.contains(l))
            .or(langs.first().copied())
            .unwrap_or("en");
        for s in self.sources() {
            if let Some((_, heading)) = PART_HEADINGS.iter().find(|(l, _)| *l == chosen)
                && has_heading(s.markdown, heading)
            {
                return (static_lang(chosen), part(s.markdown, heading));
            }
            if s.lang == chosen {
                return (s.lang, s.markdown.to_owned());
            }
        }
        let first = &self.sources()[0];
        (first.lang, first.markdown.to_owned())
    }
}

fn static_lang(lang: &str) -> &'static str {
    crate::i18n::supported(lang).unwrap_or("ru")
}

fn has_heading(markdown: &str, heading: &str) -> bool {
    markdown.lines().any(|l| l.trim_end() == heading)
}

/// A bilingual file's preamble (up to its first `---` rule) and the part under `heading`,
/// up to the next language's heading, with the part's own heading dropped.
fn part(markdown: &str, heading: &str) -> String {
    let mut out = String::new();
    let mut lines = markdown.lines();
    for line in lines.by_ref() {
        if line.trim() == "---" || PART_HEADINGS.iter().any(|(_, h)| line.trim_end() == *h) {
            break;
        }
        // The preamble is written in both languages; only its title is kept, and of a
        // title given in each language ("Руководство · Нұсқаулық", in the parts' order)
        // only the reader's half.
        if let Some(title) = line.strip_prefix("# ") {
            let halves: Vec<&str> = title.split(" · ").collect();
            let index = PART_HEADINGS.iter().position(|(_, h)| *h == heading).unwrap_or(0);
            let title = if halves.len() == PART_HEADINGS.len() { halves[index] } else { title };
            out.push_str("# ");
            out.push_str(title.trim());
            out.push_str("\n\n");
        }
    }
    let mut inside = false;
    for line in markdown.lines() {
        let trimmed = line.trim_end();
        if PART_HEADINGS.iter().any(|(_, h)| trimmed == *h) {
            inside = trimmed == heading;
            continue;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A heading of the rendered guide, for its table of contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// A guide rendered to HTML.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub title: String,
    pub headings: Vec<Heading>,
    pub html: String,
}

/// The anchor GitHub gives a heading, so that the links written in the guides (`#7-tls`)
/// work here too: lower case, letters, digits, `-` and `_` kept, spaces to `-`, the rest
/// dropped.
pub fn slug(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Renders a guide's Markdown: heading ids as GitHub makes them (a repeated one gets `-1`,
/// `-2`…), links to other guides turned into portal addresses, links to files the portal
/// does not serve turned into plain text, and raw HTML shown as text (the guides hold none
/// on purpose; nothing in them becomes markup the page did not mean).
pub fn render(markdown: &str) -> Rendered {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, options).collect();
    let mut headings = Vec::new();
    let mut used: Vec<String> = Vec::new();
    let mut out: Vec<Event<'_>> = Vec::with_capacity(events.len());
    let mut title = String::new();
    let mut dropped_links = 0usize;
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { level, classes, attrs, .. }) => {
                let end = events[i..]
                    .iter()
                    .position(|e| matches!(e, Event::End(TagEnd::Heading(_))))
                    .map_or(events.len(), |p| i + p);
                let text: String = events[i + 1..end]
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                let base = slug(&text);
                let mut id = base.clone();
                let mut n = 0;
                while used.contains(&id) {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                used.push(id.clone());
                if *level == HeadingLevel::H1 && title.is_empty() {
                    title = text.clone();
                }
                headings.push(Heading { level: *level as u8, id: id.clone(), text });
                out.push(Event::Start(Tag::Heading {
                    level: *level,
                    id: Some(CowStr::from(id)),
                    classes: classes.clone(),
                    attrs: attrs.clone(),
                }));
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                match rewrite_link(dest_url) {
                    Some(dest) => out.push(Event::Start(Tag::Link {
                        link_type: *link_type,
                        dest_url: CowStr::from(dest),
                        title: title.clone(),
                        id: id.clone(),
                    })),
                    None => dropped_links += 1,
                }
            }
            Event::End(TagEnd::Link) if dropped_links > 0 => dropped_links -= 1,
            Event::Html(raw) | Event::InlineHtml(raw) => out.push(Event::Text(raw.clone())),
            e => out.push(e.clone()),
        }
        i += 1;
    }
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, out.into_iter());
    Rendered { title, headings, html }
}

/// Where a link of a guide leads in the portal, or `None` to show it as plain text.
fn rewrite_link(dest: &str) -> Option<String> {
    if dest.starts_with('#') || dest.starts_with("https://") || dest.starts_with("http://") {
        return Some(dest.to_owned());
    }
    let (file, fragment) = match dest.split_once('#') {
        Some((f, frag)) => (f, Some(frag)),
        None => (dest, None),
    };
    let (guide, lang) = Guide::from_file(file)?;
    // The untranslated file of a guide kept in several files is its original language.
    let lang = lang.or_else(|| (guide.sources().len() > 1).then(|| guide.sources()[0].lang));
    let mut href = format!("/help/{}", guide.slug());
    if let Some(lang) = lang {
        href.push_str("?in=");
        href.push_str(lang);
    }
    if let Some(fragment) = fragment {
        href.push('#');
        href.push_str(fragment);
    }
    Some(href)
}

/// A topic pages link to (`/help/topics/{slug}`): the guide and the words its heading
/// begins with in each language the guide has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// Signing a version: NCALayer, or the manifest signed by another tool and uploaded.
    Signing,
}

impl Topic {
    pub const ALL: &'static [Topic] = &[Topic::Signing];

    pub fn slug(self) -> &'static str {
        match self {
            Topic::Signing => "signing",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Topic> {
        Topic::ALL.iter().copied().find(|t| t.slug() == slug)
    }

    fn place(self) -> (Guide, &'static [&'static str]) {
        match self {
            Topic::Signing => {
                (Guide::User, &["Электронная цифровая подпись", "Электрондық цифрлық қолтаңба"])
            }
        }
    }

    /// The address of the topic for a reader of `lang`: its guide with the anchor of the
    /// heading, or the guide's top when the heading is not found.
    pub fn href(self, lang: &str) -> String {
        let (guide, starts) = self.place();
        let (_, markdown) = guide.text(lang);
        let rendered = render(&markdown);
        rendered
            .headings
            .iter()
            .find(|h| starts.iter().any(|s| h.text.starts_with(s)))
            // Percent-encoded: the address travels in a `Location` header, which holds
            // ASCII only; browsers decode a fragment before matching it to an id.
            .map(|h| {
                let id = percent_encoding::utf8_percent_encode(
                    &h.id,
                    percent_encoding::NON_ALPHANUMERIC,
                );
                format!("/help/{}#{id}", guide.slug())
            })
            .unwrap_or_else(|| format!("/help/{}", guide.slug()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_githubs() {
        assert_eq!(slug("7. TLS certificates"), "7-tls-certificates");
        assert_eq!(
            slug("9. Backup and restore (I617 §29; R365 §6, §17.6)"),
            "9-backup-and-restore-i617-29-r365-6-176"
        );
        assert_eq!(
            slug("Электронная цифровая подпись (п. 55–59)"),
            "электронная-цифровая-подпись-п-5559"
        );
    }

    #[test]
    fn the_admin_guides_table_of_contents_links_resolve() {
        for lang in Guide::Admin.languages() {
            let (_, md) = Guide::Admin.text(lang);
            contents_resolve(&md, lang);
        }
        let (_, md) = Guide::Admin.text("en");
        assert_eq!(render(&md).title, "ipgo administrator's guide");
    }

    /// The chapter number an anchor or heading id starts with (`7-tls-certificates`).
    fn chapter(id: &str) -> Option<u32> {
        id.split('-').next()?.parse().ok()
    }

    /// Every link of the guide's table of contents leads to a heading — in a translation
    /// still in progress, every link to a chapter up to the last one translated.
    fn contents_resolve(md: &str, lang: &str) {
        let r = render(md);
        let ids: Vec<&str> = r.headings.iter().map(|h| h.id.as_str()).collect();
        let last = r.headings.iter().filter(|h| h.level == 2).filter_map(|h| chapter(&h.id)).max();
        let mut checked = 0;
        for part in r.html.split("href=\"#").skip(1) {
            let anchor = &part[..part.find('"').unwrap()];
            // Written percent-encoded; a browser decodes a fragment before matching an id.
            let anchor = percent_encoding::percent_decode_str(anchor).decode_utf8().unwrap();
            if lang != "en" && chapter(&anchor).zip(last).is_some_and(|(c, last)| c > last) {
                continue;
            }
            assert!(ids.contains(&anchor.as_ref()), "{lang}: no heading for #{anchor}");
            checked += 1;
        }
        assert!(checked >= 8, "{lang}: the table of contents links {checked} chapters");
    }

    #[test]
    fn the_user_guide_gives_each_reader_their_part() {
        let (lang, ru) = Guide::User.text("ru");
        assert_eq!(lang, "ru");
        assert!(ru.contains("### Вход") && !ru.contains("### Кіру"));
        let (lang, kk) = Guide::User.text("kk");
        assert_eq!(lang, "kk");
        assert!(kk.contains("### Кіру") && !kk.contains("### Вход"));
        assert!(kk.starts_with("# Пайдаланушы нұсқаулығы\n"), "{}", &kk[..80]);
        assert!(ru.starts_with("# Руководство пользователя\n"), "{}", &ru[..80]);
        // No English user guide: an English reader gets the Russian one, marked as such.
        assert_eq!(Guide::User.text("en").0, "ru");
        assert_eq!(Guide::User.languages(), vec!["ru", "kk"]);
    }

    #[test]
    fn links_between_guides_stay_in_the_portal_and_others_become_text() {
        let r = render(
            "See [signatures](signatures.md#gost), [ru](admin-guide.ru.md), \
             [top](#top), [src](../src/main.rs) and <script>alert(1)</script>.",
        );
        assert!(r.html.contains(r#"href="/help/signatures#gost""#), "{}", r.html);
        assert!(r.html.contains(r#"href="/help/admin?in=ru""#), "{}", r.html);
        // The original of a translated guide is asked for in its own language.
        assert!(render("[en](admin-guide.md)").html.contains(r#"href="/help/admin?in=en""#));
        assert!(r.html.contains(r##"href="#top""##));
        assert!(!r.html.contains("main.rs\""), "{}", r.html);
        assert!(r.html.contains("src"));
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;"));
    }

    #[test]
    fn the_admin_guide_is_read_in_the_readers_language() {
        assert!(Guide::Admin.languages().contains(&"kk"));
        let (lang, kk) = Guide::Admin.text("kk");
        assert_eq!(lang, "kk");
        assert!(kk.contains("## 1."), "the Kazakh text has its chapters");
        let (lang, ru) = Guide::Admin.text("ru");
        assert_eq!(lang, "ru");
        assert!(ru.contains("## 24."), "the Russian text has every chapter");
        assert_eq!(Guide::Admin.text("en").0, "en");
    }

    #[test]
    fn repeated_headings_get_distinct_anchors() {
        let r = render("## Verify\n\n## Verify\n");
        let ids: Vec<_> = r.headings.iter().map(|h| h.id.clone()).collect();
        assert_eq!(ids, ["verify", "verify-1"]);
    }

    #[test]
    fn the_signing_topic_is_found_in_both_languages_of_the_user_guide() {
        for lang in ["kk", "ru", "en"] {
            let href = Topic::Signing.href(lang);
            assert!(href.starts_with("/help/user#"), "{lang}: {href}");
        }
        assert_ne!(Topic::Signing.href("kk"), Topic::Signing.href("ru"));
    }
}
