//! RTF: a small reader of the RTF 1.9 syntax, written here because the RTF crates do not decode
//! legacy code pages (`\ansicpg1251`, `\fcharset204`) that Russian RTF files use. Text comes
//! from `\uN` escapes (skipping their `\ucN` fallbacks), `\'xx` bytes in the current font's code
//! page, and plain characters; destinations that are not body text (font and colour tables,
//! styles, document info, pictures, field instructions, `\*` groups) are skipped.

use std::collections::HashMap;

use encoding_rs::Encoding;

use super::{ExtractError, malformed};

/// Deepest group nesting accepted.
const MAX_DEPTH: usize = 512;

#[derive(Clone)]
struct Group {
    skip: bool,
    uc: usize,
    encoding: &'static Encoding,
    in_font_table: bool,
}

/// Destinations whose content is not body text.
const SKIPPED: &[&str] = &[
    "fonttbl",
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "object",
    "themedata",
    "colorschememapping",
    "latentstyles",
    "datastore",
    "xmlnstbl",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "fldinst",
    "filetbl",
    "revtbl",
    "bkmkstart",
    "bkmkend",
    "shpinst",
    "nonshppict",
    "mmathPr",
    "pgdsctbl",
];

fn codepage(cp: i32) -> &'static Encoding {
    let label = match cp {
        866 => "ibm866".to_string(),
        10007 => "x-mac-cyrillic".to_string(),
        20866 => "koi8-r".to_string(),
        65001 => "utf-8".to_string(),
        cp => format!("windows-{cp}"),
    };
    Encoding::for_label(label.as_bytes()).unwrap_or(encoding_rs::WINDOWS_1252)
}

fn charset_codepage(charset: i32) -> i32 {
    match charset {
        204 => 1251,
        238 => 1250,
        161 => 1253,
        162 => 1254,
        177 => 1255,
        178 => 1256,
        186 => 1257,
        _ => 1252,
    }
}

pub fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
    let mut out = String::new();
    let mut stack: Vec<Group> = Vec::new();
    let mut g =
        Group { skip: false, uc: 1, encoding: encoding_rs::WINDOWS_1252, in_font_table: false };
    let mut fonts: HashMap<i32, &'static Encoding> = HashMap::new();
    let mut font_no: Option<i32> = None;
    let mut skip_fallback = 0usize;
    let mut i = 0;
    let emit = |out: &mut String, g: &Group, skip_fallback: &mut usize, c: char| {
        if *skip_fallback > 0 {
            *skip_fallback -= 1;
        } else if !g.skip {
            out.push(c);
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        match b {
            b'{' => {
                if stack.len() >= MAX_DEPTH {
                    return Err(malformed("RTF groups nested too deep"));
                }
                stack.push(g.clone());
                skip_fallback = 0;
            }
            b'}' => {
                g = stack.pop().ok_or_else(|| malformed("RTF closes more groups than it opens"))?;
                skip_fallback = 0;
            }
            b'\\' => {
                let Some(&next) = bytes.get(i) else { break };
                if next.is_ascii_alphabetic() {
                    let start = i;
                    while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    let word = std::str::from_utf8(&bytes[start..i]).unwrap_or("");
                    let num_start = i;
                    if i < bytes.len() && bytes[i] == b'-' {
                        i += 1;
                    }
                    while i < bytes.len() && bytes[i].is_ascii_digit() && i - num_start < 10 {
                        i += 1;
                    }
                    let param = std::str::from_utf8(&bytes[num_start..i])
                        .ok()
                        .and_then(|s| s.parse::<i32>().ok());
                    if i < bytes.len() && bytes[i] == b' ' {
                        i += 1;
                    }
                    match (word, param) {
                        ("par" | "line" | "row" | "sect" | "page", _) => {
                            emit(&mut out, &g, &mut skip_fallback, '\n')
                        }
                        ("tab" | "cell", _) => emit(&mut out, &g, &mut skip_fallback, '\t'),
                        ("u", Some(n)) => {
                            let code = if n < 0 { n + 65536 } else { n } as u32;
                            if !g.skip {
                                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                            }
                            skip_fallback = g.uc;
                        }
                        ("uc", Some(n)) => g.uc = n.clamp(0, 16) as usize,
                        ("ansicpg", Some(cp)) => g.encoding = codepage(cp),
                        ("fonttbl", _) => {
                            g.skip = true;
                            g.in_font_table = true;
                        }
                        ("f", Some(n)) if g.in_font_table => font_no = Some(n),
                        ("fcharset", Some(cs)) if g.in_font_table => {
                            if let Some(f) = font_no {
                                fonts.insert(f, codepage(charset_codepage(cs)));
                            }
                        }
                        ("f", Some(n)) => {
                            if let Some(enc) = fonts.get(&n) {
                                g.encoding = enc;
                            }
                        }
                        (w, _) if SKIPPED.contains(&w) => g.skip = true,
                        _ => {}
                    }
                } else {
                    i += 1;
                    match next {
                        b'\'' => {
                            let hex = bytes.get(i..i + 2).and_then(|h| std::str::from_utf8(h).ok());
                            if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                                i += 2;
                                let one = [byte];
                                let decoded = g.encoding.decode_without_bom_handling(&one).0;
                                for c in decoded.chars() {
                                    emit(&mut out, &g, &mut skip_fallback, c);
                                }
                            }
                        }
                        b'*' => g.skip = true,
                        b'\\' | b'{' | b'}' => emit(&mut out, &g, &mut skip_fallback, next as char),
                        b'~' => emit(&mut out, &g, &mut skip_fallback, '\u{A0}'),
                        b'_' => emit(&mut out, &g, &mut skip_fallback, '-'),
                        b'\n' | b'\r' => emit(&mut out, &g, &mut skip_fallback, '\n'),
                        _ => {}
                    }
                }
            }
            b'\r' | b'\n' => {}
            _ if b < 0x80 => emit(&mut out, &g, &mut skip_fallback, b as char),
            _ => {
                let one = [b];
                let decoded = g.encoding.decode_without_bom_handling(&one).0;
                for c in decoded.chars() {
                    emit(&mut out, &g, &mut skip_fallback, c);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_escapes_code_pages_and_skipped_destinations() {
        let rtf = br"{\rtf1\ansi\ansicpg1251{\fonttbl{\f0\fcharset204 Times;}}{\*\generator X;}
{\info{\title Skip}}\f0 \'cf\'f0\'e8\'ea\'e0\'e7 \uc1\u1179?\u1241? \{x\}\par
{\field{\*\fldinst HYPERLINK}{\fldrslt link}}}";
        assert_eq!(extract(rtf).ok().as_deref(), Some("Приказ қә {x}\nlink"));
    }

    #[test]
    fn unbalanced_groups_are_malformed() {
        assert!(extract(br"{\rtf1 a}}}").is_err());
        let deep = "{".repeat(10_000);
        assert!(extract(deep.as_bytes()).is_err());
    }
}
