//! In-process tests of format sniffing and the OOXML/archive readers on containers built here;
//! files made by real office tools are tested through the sandbox in
//! `tests/integration/search_extract.rs`.

use std::io::Write;

use zip::write::SimpleFileOptions;

use super::*;

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, SimpleFileOptions::default()).expect("start");
        w.write_all(data).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

const DOC_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="w"><w:body>
<w:p><w:r><w:t>Мемлекеттік органдардың</w:t></w:r><w:r><w:tab/><w:t xml:space="preserve"> интранет-порталы</w:t></w:r></w:p>
<w:p><w:r><w:delText>жойылған</w:delText><w:t>Қ&amp;Б</w:t></w:r></w:p></w:body></w:document>"#;

#[test]
fn sniffs_by_content_not_name() {
    assert_eq!(sniff(b"%PDF-1.7\n...").ok(), Some(Format::Pdf));
    assert_eq!(sniff(b"{\\rtf1\\ansi}").ok(), Some(Format::Rtf));
    assert_eq!(sniff(b"II*\0rest").ok(), Some(Format::Tiff));
    assert_eq!(sniff(b"\xFF\xD8\xFF\xE0").ok(), Some(Format::Jpeg));
    assert_eq!(sniff(b"Rar!\x1A\x07\x01\x00").ok(), Some(Format::Rar));
    assert_eq!(sniff("Приказ № 385".as_bytes()).ok(), Some(Format::Text));
    let docx = zip_of(&[("word/document.xml", DOC_XML.as_bytes())]);
    assert_eq!(sniff(&docx).ok(), Some(Format::Docx));
    assert_eq!(sniff(&zip_of(&[("a.txt", b"x")])).ok(), Some(Format::Zip));
    for (bytes, kind) in [
        (&b""[..], ErrorKind::Empty),
        (b"\x7FELF\x02\x01\x01", ErrorKind::Unsupported),
        (b"MZ\x90\x00", ErrorKind::Unsupported),
        (b"  <!DOCTYPE html><html></html>", ErrorKind::Unsupported),
        (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1garbage", ErrorKind::Malformed),
        (b"PK\x03\x04garbage", ErrorKind::Malformed),
    ] {
        assert_eq!(sniff(bytes).map_err(|e| e.kind).err(), Some(kind), "{bytes:?}");
    }
}

#[test]
fn docx_text_skips_deleted_text_and_resolves_entities() {
    let docx = zip_of(&[("word/document.xml", DOC_XML.as_bytes())]);
    let x = extract(&docx, &ContentLimits::default()).expect("docx");
    assert_eq!(x.parts[0].text, "Мемлекеттік органдардың\t интранет-порталы\nҚ&Б\n");
    assert_eq!(x.parts[0].lang, Some(Lang::Kk));
}

#[test]
fn text_is_cut_at_the_text_budget_on_a_char_boundary() {
    let limits = ContentLimits { max_text_bytes: 7, ..ContentLimits::default() };
    let x = extract("Қазақстан".as_bytes(), &limits).expect("text");
    assert_eq!(x.parts[0].text, "Қаз");
    assert!(x.parts[0].truncated);
}

#[test]
fn archive_limits_apply_to_the_whole_extraction() {
    let members: Vec<(String, Vec<u8>)> =
        (0..30).map(|i| (format!("m{i}.txt"), b"text".to_vec())).collect();
    let refs: Vec<(&str, &[u8])> =
        members.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
    let zip = zip_of(&refs);
    let limits = ContentLimits { max_entries: 20, ..ContentLimits::default() };
    assert_eq!(extract(&zip, &limits).map_err(|e| e.kind).err(), Some(ErrorKind::ArchiveLimits));
    let ok = extract(&zip, &ContentLimits::default()).expect("30 entries are fine");
    assert_eq!(ok.parts.len(), 30);
    assert_eq!(ok.parts[7].path, "m7.txt");
}
