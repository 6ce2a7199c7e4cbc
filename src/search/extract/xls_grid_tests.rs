//! The grid budget on hand-built BIFF8 workbook streams: each test names the record that
//! lies, and a workbook of the same shape that does not lie passes.

use super::*;

fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = typ.to_le_bytes().to_vec();
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
    out
}

fn bof() -> Vec<u8> {
    record(BOF, &[0; 16])
}

fn eof() -> Vec<u8> {
    record(EOF, &[])
}

/// A Number cell (row, column, format, value).
fn number(row: u16, col: u16) -> Vec<u8> {
    let mut data = row.to_le_bytes().to_vec();
    data.extend_from_slice(&col.to_le_bytes());
    data.extend_from_slice(&[0; 10]);
    record(0x0203, &data)
}

/// A BIFF8 DIMENSIONS record: first row, row after the last, first column, column after the
/// last.
fn dimensions(first_row: u32, end_row: u32, first_col: u16, end_col: u16) -> Vec<u8> {
    let mut data = first_row.to_le_bytes().to_vec();
    data.extend_from_slice(&end_row.to_le_bytes());
    data.extend_from_slice(&first_col.to_le_bytes());
    data.extend_from_slice(&end_col.to_le_bytes());
    data.extend_from_slice(&[0; 2]);
    record(DIMENSIONS, &data)
}

/// Workbook globals naming one sheet per body, followed by the sheets themselves.
fn workbook(sheets: &[Vec<u8>]) -> Vec<u8> {
    let boundsheet_len = 4 + 8; // header + offset, state, type, name length, flag
    let globals_len = bof().len() + sheets.len() * boundsheet_len + eof().len();
    let mut globals = bof();
    let mut offset = globals_len;
    for sheet in sheets {
        let mut data = (offset as u32).to_le_bytes().to_vec();
        data.extend_from_slice(&[0, 0, 1, 0]);
        globals.extend(record(BOUNDSHEET, &data));
        offset += sheet.len();
    }
    globals.extend(eof());
    assert_eq!(globals.len(), globals_len);
    sheets.iter().fold(globals, |mut all, s| {
        all.extend_from_slice(s);
        all
    })
}

fn sheet(body: &[Vec<u8>]) -> Vec<u8> {
    let mut out = bof();
    body.iter().for_each(|r| out.extend_from_slice(r));
    out.extend(eof());
    out
}

fn refused(stream: &[u8]) -> ExtractError {
    let e = check(stream).expect_err("over the budget");
    assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
    assert!(e.detail.starts_with("XLS: "), "{e}");
    e
}

#[test]
fn an_ordinary_sheet_passes() {
    let body = [dimensions(0, 100, 0, 10), number(0, 0), number(99, 9)];
    check(&workbook(&[sheet(&body)])).expect("a 100 x 10 sheet");
}

#[test]
fn two_cells_at_far_corners_are_refused_for_the_grid_between_them() {
    // 65,536 x 65,536 positions: calamine would allocate 4.3 billion cells.
    let body = [number(0, 0), number(u16::MAX, u16::MAX)];
    let e = refused(&workbook(&[sheet(&body)]));
    assert!(e.detail.contains("4294967296 cells"), "{e}");
}

#[test]
fn a_dimensions_record_claiming_billions_of_rows_is_refused() {
    let e = refused(&workbook(&[sheet(&[dimensions(0, u32::MAX, 0, 200)])]));
    assert!(e.detail.contains("declares"), "{e}");
}

#[test]
fn a_dimensions_record_whose_rows_run_backwards_is_refused_as_calamine_wraps_it() {
    // first row 5, last row 2: calamine's `end - start + 1` wraps to about 4.3 billion rows.
    refused(&workbook(&[sheet(&[dimensions(5, 3, 0, 1)])]));
}

#[test]
fn the_dimensions_quirks_of_calamine_are_followed() {
    // A first column past 0xFF means column 0; an empty sheet is one cell.
    assert_eq!(dimensions_reserve(&dimensions(0, 10, 0x1000, 20)[4..]), 10 * 20);
    assert_eq!(dimensions_reserve(&dimensions(7, 0, 3, 0)[4..]), 1);
    // A record of another length reserves nothing: calamine refuses it.
    assert_eq!(dimensions_reserve(&[0; 12]), 0);
}

#[test]
fn sheets_that_pass_one_by_one_are_refused_together() {
    let half = [number(0, 0), number(1999, 999)]; // 2,000,000 cells each
    check(&workbook(&[sheet(&half)])).expect("one sheet is within the budget");
    let e = refused(&workbook(&[sheet(&half), sheet(&half), sheet(&half)]));
    assert!(e.detail.contains("together"), "{e}");
}

#[test]
fn cells_of_an_embedded_chart_are_not_counted_as_calamine_skips_them() {
    let chart = [bof(), number(u16::MAX, u16::MAX), eof()].concat();
    let body = [number(0, 0), chart, number(10, 10)];
    check(&workbook(&[sheet(&body)])).expect("the chart's cells are skipped");
}

#[test]
fn a_mulrk_spanning_every_column_counts_its_last_column() {
    let mut data = 0u16.to_le_bytes().to_vec();
    data.extend_from_slice(&0u16.to_le_bytes());
    data.extend_from_slice(&[0; 6]);
    data.extend_from_slice(&u16::MAX.to_le_bytes());
    let body = [record(MULRK, &data), number(u16::MAX, 0)];
    refused(&workbook(&[sheet(&body)]));
}

#[test]
fn an_encrypted_workbook_is_left_to_calamine_to_report() {
    // With encryption the record data is ciphertext: its "cell positions" mean nothing, and
    // calamine stops at FILEPASS with its password error before reading any sheet.
    let with_filepass = |filepass: Option<Vec<u8>>| {
        let mut globals = bof();
        globals.extend(filepass.unwrap_or_default());
        let offset = (globals.len() + 12 + 4) as u32;
        let data = [offset.to_le_bytes().as_slice(), &[0, 0, 1, 0]].concat();
        globals.extend(record(BOUNDSHEET, &data));
        globals.extend(eof());
        globals.extend(sheet(&[number(0, 0), number(u16::MAX, u16::MAX)]));
        globals
    };
    refused(&with_filepass(None));
    refused(&with_filepass(Some(record(FILEPASS, &[0, 0, 0, 0])))); // 0: not encrypted
    check(&with_filepass(Some(record(FILEPASS, &[1, 0, 0, 0])))).expect("left to calamine");
}

#[test]
fn sheet_offsets_past_the_end_and_truncated_records_do_not_panic() {
    let mut globals = bof();
    globals.extend(record(BOUNDSHEET, &[0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 1, 0]));
    globals.extend(eof());
    check(&globals).expect("calamine reports the offset itself");
    check(&[0x09, 0x08, 0xFF]).expect("a stream cut inside a header ends the walk");
    check(&[]).expect("an empty stream");
}
