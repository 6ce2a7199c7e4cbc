//! The cell-grid budget of an Excel 97–2003 workbook, checked before calamine reads it.
//!
//! calamine turns every sheet into a dense grid: it reserves `rows × columns` cells from the
//! sheet's DIMENSIONS record, then allocates one slot for every position between the smallest
//! and the largest cell it found (`Range::from_sparse`). Both sizes come from the file, so
//! two numbers in a small XLS can ask for gigabytes at once (docs/fuzzing.md, finding 6: one
//! 11 KB file asked for 7.5 GB). In the product the extraction child's memory limit stops that
//! as `MemoryLimit`; this check refuses it earlier, with a reason a person can act on, and
//! keeps the parser inside a budget wherever it runs.
//!
//! The walk follows calamine's reading exactly where sizes are decided (which records are
//! cells, where a sheet's records start, nested substreams, the DIMENSIONS quirks), and is
//! conservative everywhere else: a record calamine would refuse is still counted, so the
//! check can only over-estimate a grid, never miss one.

use super::{ErrorKind, ExtractError};

/// Cells one sheet's grid may hold (about 128 MB of calamine's 32-byte cells), and all the
/// sheets of a workbook together: calamine keeps every sheet's grid until it is done. A
/// real worksheet this large is tens of megabytes of records; a file that claims more is a
/// lie or a spreadsheet the index cannot usefully hold anyway.
pub const MAX_GRID_CELLS: u64 = 4_000_000;

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const FILEPASS: u16 = 0x002F;
const BOUNDSHEET: u16 = 0x0085;
const DIMENSIONS: u16 = 0x0200;
const FORMULA: u16 = 0x0006;
const STRING: u16 = 0x0207;
const MULRK: u16 = 0x00BD;
/// Records whose first two fields are the row and the column of one value cell: Number,
/// Label, RString, BoolErr, RK, LabelSst.
const VALUE_CELLS: [u16; 6] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD];

/// Refuses a workbook stream (`Workbook` or `Book`) whose grids would exceed the budget.
pub fn check(stream: &[u8]) -> Result<(), ExtractError> {
    let Some(sheets) = sheet_offsets(stream) else {
        // Encrypted: calamine stops at FILEPASS and reports the password before any sheet.
        return Ok(());
    };
    let mut total: u64 = 0;
    for offset in sheets {
        let Some(records) = stream.get(offset..) else {
            continue; // calamine fails on an offset past the end before it allocates.
        };
        total = total.saturating_add(sheet_grid(records)?);
        if total > MAX_GRID_CELLS {
            return Err(too_large(format!(
                "the sheets' cell grids hold {total} cells together, over the limit of \
                 {MAX_GRID_CELLS}"
            )));
        }
    }
    Ok(())
}

fn too_large(detail: String) -> ExtractError {
    ExtractError::new(ErrorKind::TooLarge, format!("XLS: {detail}"))
}

/// One BIFF record: its type and its data (CONTINUE records stay records of their own; they
/// are never cells, so the cells seen are the ones calamine sees).
fn records(mut stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let typ = u16::from_le_bytes(stream.get(0..2)?.try_into().ok()?);
        let len = u16::from_le_bytes(stream.get(2..4)?.try_into().ok()?) as usize;
        let data = stream.get(4..4 + len)?;
        stream = &stream[4 + len..];
        Some((typ, data))
    })
}

fn u16_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?) as u32)
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// The offsets of the sheets named in the workbook globals (up to their EOF), or `None`
/// when the globals declare encryption.
fn sheet_offsets(stream: &[u8]) -> Option<Vec<usize>> {
    let mut offsets = Vec::new();
    for (typ, data) in records(stream) {
        match typ {
            FILEPASS if u16_at(data, 0) != Some(0) => return None,
            BOUNDSHEET => offsets.extend(u32_at(data, 0).map(|pos| pos as usize)),
            EOF => break,
            _ => {}
        }
    }
    Some(offsets)
}

/// The smallest box around a set of cell positions, as calamine's `from_sparse` sizes it.
#[derive(Default)]
struct Bounds(Option<(u32, u32, u32, u32)>);

impl Bounds {
    fn add(&mut self, row: u32, col: u32) {
        self.0 = Some(match self.0 {
            None => (row, row, col, col),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
        });
    }

    fn cells(&self) -> u64 {
        self.0.map_or(0, |(r0, r1, c0, c1)| {
            (u64::from(r1 - r0) + 1).saturating_mul(u64::from(c1 - c0) + 1)
        })
    }
}

/// The grid cells one sheet keeps (values and formulas), or an error as soon as one of its
/// sizes is over the budget.
fn sheet_grid(stream: &[u8]) -> Result<u64, ExtractError> {
    let mut values = Bounds::default();
    let mut formulas = Bounds::default();
    let mut formula_at = (0, 0);
    let mut seen_sheet_bof = false;
    let mut depth = 0usize;
    for (typ, data) in records(stream) {
        if depth > 0 {
            match typ {
                BOF => depth += 1,
                EOF => depth -= 1,
                _ => {}
            }
            continue;
        }
        let cell = || Some((u16_at(data, 0)?, u16_at(data, 2)?));
        match typ {
            BOF if seen_sheet_bof => depth += 1,
            BOF => seen_sheet_bof = true,
            EOF => break,
            DIMENSIONS => {
                let reserved = dimensions_reserve(data);
                if reserved > MAX_GRID_CELLS {
                    return Err(too_large(format!(
                        "a sheet declares {reserved} cells, over the limit of {MAX_GRID_CELLS}"
                    )));
                }
            }
            FORMULA => {
                if let Some((row, col)) = cell() {
                    formula_at = (row, col);
                    values.add(row, col);
                    formulas.add(row, col);
                }
            }
            STRING => values.add(formula_at.0, formula_at.1),
            MULRK => {
                if let (Some((row, first)), Some(last)) =
                    (cell(), data.len().checked_sub(2).and_then(|at| u16_at(data, at)))
                {
                    values.add(row, first);
                    values.add(row, last);
                }
            }
            t if VALUE_CELLS.contains(&t) => {
                if let Some((row, col)) = cell() {
                    values.add(row, col);
                }
            }
            _ => {}
        }
    }
    let kept = values.cells().saturating_add(formulas.cells());
    if kept > MAX_GRID_CELLS {
        return Err(too_large(format!(
            "a sheet's cells span a grid of {kept} cells, over the limit of {MAX_GRID_CELLS}"
        )));
    }
    Ok(kept)
}

/// The cells calamine reserves for a DIMENSIONS record ([MS-XLS] 2.4.90), with its quirks: a
/// first column past 0xFF or after the last means column 0, an empty sheet is one cell, and
/// the subtraction wraps as it does in calamine's release build.
fn dimensions_reserve(data: &[u8]) -> u64 {
    let fields = match data.len() {
        10 => (u16_at(data, 0), u16_at(data, 2), u16_at(data, 4), u16_at(data, 6)),
        14 | 16 => (u32_at(data, 0), u32_at(data, 4), u16_at(data, 8), u16_at(data, 10)),
        _ => return 0, // calamine refuses the record before it reserves anything.
    };
    let (Some(first_row), Some(last_row), Some(mut first_col), Some(last_col)) = fields else {
        return 0;
    };
    if first_col > 0xFF || last_col < first_col {
        first_col = 0;
    }
    if last_row == 0 || last_col == 0 {
        return 1;
    }
    let rows = (last_row - 1).wrapping_sub(first_row).wrapping_add(1);
    let cols = (last_col - 1).wrapping_sub(first_col).wrapping_add(1);
    u64::from(rows).saturating_mul(u64::from(cols))
}

#[cfg(test)]
#[path = "xls_grid_tests.rs"]
mod tests;
