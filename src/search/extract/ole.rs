//! Office 97–2003 binaries in OLE compound files: Word (`.doc`) through its piece table
//! ([MS-DOC] §2.4.1 "Retrieving Text"), PowerPoint (`.ppt`) through its text atoms
//! ([MS-PPT] §2.9.12 TextCharsAtom, §2.9.13 TextBytesAtom), Excel (`.xls`) through calamine.
//! Every offset and length read from the file is bounds-checked: a lie ends in `Malformed`.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xls};

use super::{ErrorKind, ExtractError, malformed};

/// Largest stream read from a compound file.
const MAX_STREAM: u64 = 256 << 20;

type Cfb<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

fn open(bytes: &[u8]) -> Result<Cfb<'_>, ExtractError> {
    cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| malformed(format!("OLE: {e}")))
}

fn read_stream(cf: &mut Cfb, name: &str) -> Result<Vec<u8>, ExtractError> {
    let mut stream =
        cf.open_stream(name).map_err(|e| malformed(format!("OLE stream {name}: {e}")))?;
    if stream.len() > MAX_STREAM {
        return Err(malformed(format!("OLE stream {name} of {} bytes", stream.len())));
    }
    let mut out = Vec::with_capacity(stream.len() as usize);
    stream.read_to_end(&mut out).map_err(|e| malformed(format!("OLE stream {name}: {e}")))?;
    Ok(out)
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, ExtractError> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| malformed(format!("read past the end at {at}")))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, ExtractError> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| malformed(format!("read past the end at {at}")))
}

/// Word 97–2003: the FIB names the table stream and the CLX, whose piece table maps character
/// positions to 8-bit (CP1252) or UTF-16 runs of the WordDocument stream.
pub fn doc(bytes: &[u8]) -> Result<String, ExtractError> {
    let mut cf = open(bytes)?;
    let word = read_stream(&mut cf, "/WordDocument")?;
    if u16_at(&word, 0)? != 0xA5EC {
        return Err(malformed("WordDocument stream without the Word signature"));
    }
    let flags = u16_at(&word, 0x0A)?;
    if flags & 0x0100 != 0 {
        return Err(ExtractError::new(ErrorKind::Encrypted, "password-protected Word document"));
    }
    let table_name = if flags & 0x0200 != 0 { "/1Table" } else { "/0Table" };
    let table = read_stream(&mut cf, table_name)?;
    let fc_clx = u32_at(&word, 0x01A2)? as usize;
    let lcb_clx = u32_at(&word, 0x01A6)? as usize;
    let clx = table
        .get(fc_clx..fc_clx.saturating_add(lcb_clx))
        .ok_or_else(|| malformed("CLX outside the table stream"))?;
    // Skip Prc (property modifiers), then the Pcdt holding the PlcPcd.
    let mut i = 0;
    while clx.get(i) == Some(&0x01) {
        i += 3 + u16_at(clx, i + 1)? as usize;
    }
    if clx.get(i) != Some(&0x02) {
        return Err(malformed("no piece table in the CLX"));
    }
    let lcb = u32_at(clx, i + 1)? as usize;
    let plc = clx.get(i + 5..(i + 5).saturating_add(lcb)).ok_or_else(|| malformed("PlcPcd"))?;
    if lcb < 4 || !(lcb - 4).is_multiple_of(12) {
        return Err(malformed("PlcPcd of a wrong size"));
    }
    let n = (lcb - 4) / 12;
    let mut raw = String::new();
    for k in 0..n {
        let (start, end) = (u32_at(plc, 4 * k)? as usize, u32_at(plc, 4 * (k + 1))? as usize);
        let count = end.checked_sub(start).ok_or_else(|| malformed("piece ends before start"))?;
        let fc_raw = u32_at(plc, 4 * (n + 1) + 8 * k + 2)?;
        let fc = (fc_raw & 0x3FFF_FFFF) as usize;
        if fc_raw & 0x4000_0000 != 0 {
            let run = word.get(fc / 2..fc / 2 + count).ok_or_else(|| malformed("8-bit piece"))?;
            raw.extend(encoding_rs::WINDOWS_1252.decode(run).0.chars());
        } else {
            let run = word.get(fc..fc + 2 * count).ok_or_else(|| malformed("UTF-16 piece"))?;
            raw.extend(encoding_rs::UTF_16LE.decode_without_bom_handling(run).0.chars());
        }
    }
    Ok(clean_word_text(&raw))
}

/// Word's in-text control characters: paragraph and cell marks become line breaks and tabs;
/// field codes (between 0x13 and 0x14) are dropped, field results kept; object anchors dropped.
fn clean_word_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut field_code_depth = 0u32;
    for c in raw.chars() {
        match c {
            '\u{13}' => field_code_depth += 1,
            '\u{14}' | '\u{15}' => field_code_depth = field_code_depth.saturating_sub(1),
            _ if field_code_depth > 0 => {}
            '\r' | '\u{0B}' | '\u{0C}' => out.push('\n'),
            '\u{07}' => out.push('\t'),
            '\u{1E}' => out.push('-'),
            '\u{1F}' | '\u{00}'..='\u{08}' | '\u{0E}'..='\u{12}' | '\u{16}'..='\u{1D}' => {}
            c => out.push(c),
        }
    }
    out
}

/// PowerPoint 97–2003: text atoms found walking the record tree of the main stream; master
/// slides (placeholder prompts, not content) are skipped.
pub fn ppt(bytes: &[u8]) -> Result<String, ExtractError> {
    let mut cf = open(bytes)?;
    let stream = read_stream(&mut cf, "/PowerPoint Document")?;
    let mut out = String::new();
    ppt_records(&stream, 0, &mut out)?;
    Ok(out)
}

const RT_MAIN_MASTER: u16 = 0x03F8;
const RT_TEXT_CHARS: u16 = 0x0FA0;
const RT_TEXT_BYTES: u16 = 0x0FA8;

fn ppt_records(data: &[u8], depth: u32, out: &mut String) -> Result<(), ExtractError> {
    if depth > 32 {
        return Err(malformed("PowerPoint records nested too deep"));
    }
    let mut pos = 0;
    while pos + 8 <= data.len() {
        let ver_inst = u16_at(data, pos)?;
        let rec_type = u16_at(data, pos + 2)?;
        let len = u32_at(data, pos + 4)? as usize;
        let body = data.get(pos + 8..(pos + 8).saturating_add(len)).ok_or_else(|| {
            malformed(format!("PowerPoint record {rec_type:#x} runs past its container"))
        })?;
        if ver_inst & 0x000F == 0x000F {
            if rec_type != RT_MAIN_MASTER {
                ppt_records(body, depth + 1, out)?;
            }
        } else if rec_type == RT_TEXT_CHARS {
            let text = encoding_rs::UTF_16LE.decode_without_bom_handling(body).0;
            push_ppt_text(&text, out);
        } else if rec_type == RT_TEXT_BYTES {
            let text: String = body.iter().map(|&b| char::from(b)).collect();
            push_ppt_text(&text, out);
        }
        pos += 8 + len;
    }
    Ok(())
}

fn push_ppt_text(text: &str, out: &mut String) {
    out.extend(text.chars().map(|c| if c == '\r' || c == '\u{0B}' { '\n' } else { c }));
    out.push('\n');
}

/// Excel 97–2003 through calamine, after the cell grids it would allocate are checked against
/// a budget (`xls_grid`). It runs only in the sandboxed child, whose memory limit still bounds
/// any over-allocation missed; its panics on lying compound-file headers become `Malformed`.
pub fn xls(bytes: &[u8]) -> Result<String, ExtractError> {
    super::catch_parser_panic("XLS", || xls_text(bytes))
}

fn xls_text(bytes: &[u8]) -> Result<String, ExtractError> {
    // calamine's own compound-file reader follows sector chains with no memory of where it has
    // been: a directory chain that loops grows one buffer without end (docs/fuzzing.md,
    // finding 5). The `cfb` crate, which validates every chain, reads the container first.
    let mut cf = open(bytes).map_err(|e| malformed(format!("XLS: {}", e.detail)))?;
    // calamine sizes each sheet's grid from positions in the file (finding 6): check them
    // against the budget first. A workbook without its stream is left to calamine to report.
    let stream = ["Workbook", "Book"].iter().find_map(|name| read_stream(&mut cf, name).ok());
    if let Some(stream) = stream {
        super::xls_grid::check(&stream)?;
    }
    let mut wb: Xls<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::XlsError| {
            let msg = e.to_string();
            if msg.to_ascii_lowercase().contains("password") {
                ExtractError::new(ErrorKind::Encrypted, msg)
            } else {
                malformed(format!("XLS: {msg}"))
            }
        })?;
    let mut out = String::new();
    for (name, range) in wb.worksheets() {
        out.push_str(&name);
        out.push('\n');
        for row in range.rows() {
            let cells: Vec<String> =
                row.iter().filter(|c| !matches!(c, Data::Empty)).map(|c| c.to_string()).collect();
            if !cells.is_empty() {
                out.push_str(&cells.join("\t"));
                out.push('\n');
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_control_characters() {
        let raw = "Заголовок\r\u{13} PAGE \u{14}3\u{15} стр.\u{07}ячейка\u{1F}\u{01}\u{1E}x";
        assert_eq!(clean_word_text(raw), "Заголовок\n3 стр.\tячейка-x");
    }

    #[test]
    fn ppt_records_bounds_are_checked() {
        // A container claiming more bytes than it has.
        let mut rec = vec![0x0F, 0x00, 0xF0, 0x03];
        rec.extend_from_slice(&1000u32.to_le_bytes());
        rec.extend_from_slice(&[0; 16]);
        let mut out = String::new();
        assert!(ppt_records(&rec, 0, &mut out).is_err());
        // A text atom.
        let text: Vec<u8> = "Мемлекеттік".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut rec = vec![0x00, 0x00, 0xA0, 0x0F];
        rec.extend_from_slice(&(text.len() as u32).to_le_bytes());
        rec.extend_from_slice(&text);
        let mut out = String::new();
        ppt_records(&rec, 0, &mut out).ok();
        assert_eq!(out, "Мемлекеттік\n");
    }

    /// Found by fuzzing (docs/fuzzing.md, finding 1, target `extract_ole`): an XLS whose
    /// compound-file header claims sectors past the end of the file makes calamine 0.38 slice
    /// out of range and panic (`cfb.rs:320`). The portal must answer `Malformed` itself, not
    /// rely on the sandboxed child to survive the panic.
    #[test]
    fn xls_with_sectors_past_the_end_is_malformed_not_a_panic() {
        let bytes = include_bytes!("../../../tests/fixtures/fuzz/xls-cfb-sector-out-of-range.xls");
        let e = xls(bytes).expect_err("a lying XLS gives no text");
        assert_eq!(e.kind, ErrorKind::Malformed, "{e}");
        assert!(e.detail.starts_with("XLS"), "{e}");
    }

    /// Found by fuzzing (docs/fuzzing.md, finding 5, target `extract_ole`): an XLS whose
    /// directory sector chain loops back on itself makes calamine 0.38 read the chain forever,
    /// growing one buffer until memory runs out (`cfb.rs:340`, no size bound on the directory
    /// chain). The compound file is checked by the `cfb` crate first, which follows chains
    /// with a memory of the sectors seen.
    #[test]
    fn xls_whose_directory_chain_loops_is_malformed_not_unbounded_memory() {
        let bytes =
            include_bytes!("../../../tests/fixtures/fuzz/xls-cfb-directory-chain-loops.xls");
        let e = xls(bytes).expect_err("a looping XLS gives no text");
        assert_eq!(e.kind, ErrorKind::Malformed, "{e}");
    }

    /// Found by fuzzing (docs/fuzzing.md, finding 6, target `extract_ole`): an 11 KB XLS whose
    /// cell positions span a grid calamine 0.38 allocates in one piece (7.5 GB). The grid
    /// budget refuses it before calamine reads the sheets.
    #[test]
    fn xls_whose_cells_span_a_huge_grid_is_refused_before_calamine_allocates_it() {
        let bytes = include_bytes!("../../../tests/fixtures/fuzz/xls-cell-grid-7-5-gb.xls");
        let e = xls(bytes).expect_err("a lying XLS gives no text");
        assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
        assert!(e.detail.contains("over the limit"), "{e}");
    }
}
