//! A streaming walk over one XML part of an Office file that refuses what XML bombs and external
//! entity attacks need: any `<!DOCTYPE>` (entity definitions live there) and any entity
//! reference other than the five predefined ones and character references.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{ExtractError, malformed};

/// What the walk reports to a format's handler.
pub enum Ev<'a> {
    /// A start tag (or an empty element, followed at once by its `End`), by local name.
    Start(&'a str, &'a BytesStart<'a>),
    End(&'a str),
    /// Character data, entities resolved.
    Text(&'a str),
}

/// Walks `xml`, calling `on` for each event.
pub fn walk(xml: &[u8], mut on: impl FnMut(Ev<'_>)) -> Result<(), ExtractError> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().expand_empty_elements = false;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let event = reader.read_event_into(&mut buf).map_err(|e| malformed(format!("XML: {e}")))?;
        match event {
            Event::DocType(_) => {
                return Err(malformed("XML with a DOCTYPE (possible entity bomb) refused"));
            }
            Event::Start(ref e) => {
                let name = e.local_name();
                on(Ev::Start(name.as_ref(), e));
            }
            Event::Empty(ref e) => {
                let name = e.local_name();
                on(Ev::Start(name.as_ref(), e));
                on(Ev::End(name.as_ref()));
            }
            Event::End(ref e) => {
                let name = e.local_name();
                on(Ev::End(name.as_ref()));
            }
            Event::Text(ref t) => on(Ev::Text(&t.xml10_content())),
            Event::CData(ref t) => {
                on(Ev::Text(t));
            }
            Event::GeneralRef(ref r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => predefined(r)
                        .ok_or_else(|| malformed(format!("XML entity &{}; refused", &**r)))?,
                    Err(e) => return Err(malformed(format!("XML character reference: {e}"))),
                };
                let mut tmp = [0u8; 4];
                on(Ev::Text(resolved.encode_utf8(&mut tmp)));
            }
            Event::Eof => return Ok(()),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// The unescaped value of attribute `name` (by qualified name, e.g. `t` or `r:id`).
pub fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    let a = e.try_get_attribute(name).ok()??;
    a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(xml: &str) -> Result<String, ExtractError> {
        let mut out = String::new();
        walk(xml.as_bytes(), |ev| {
            if let Ev::Text(t) = ev {
                out.push_str(t)
            }
        })?;
        Ok(out)
    }

    #[test]
    fn resolves_predefined_and_character_references() {
        assert_eq!(
            texts("<a>Қ&amp;Б &#1179;&#x4D9; &lt;x&gt;</a>").ok().as_deref(),
            Some("Қ&Б қә <x>")
        );
    }

    #[test]
    fn refuses_dtds_and_unknown_entities() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><a>&lol2;</a>"#;
        assert!(texts(bomb).is_err());
        assert!(texts("<a>&xxe;</a>").is_err());
    }
}
