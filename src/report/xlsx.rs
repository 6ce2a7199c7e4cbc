//! A report as an XLSX workbook (`rust_xlsxwriter`): one worksheet, the headings in a bold
//! frozen first row with a filter, typed cells (numbers as numbers, dates as dates in
//! `dd.mm.yyyy`), column widths from the measured text, and a totals row of `SUM`
//! formulas (with their values cached, so readers that do not calculate see them too).
//!
//! [`Stream`] writes in the library's constant-memory mode: each row goes to a temporary
//! file as it is pushed, so memory does not grow with the number of rows.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Formula, Workbook};

use super::{Cell, Column, Kind, Table, Total};
use crate::error::{Error, Result};

fn xerr(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::internal(format!("xlsx: {e}"))
}

/// Widest a column gets, in Excel's character units.
const MAX_WIDTH: f64 = 60.0;

pub struct Stream {
    workbook: Workbook,
    columns: Vec<Column>,
    /// Next row to write (0 is the header).
    row: u32,
    widths: Vec<f64>,
    sums: Vec<f64>,
    header: Format,
    date: Format,
    datetime: Format,
    decimals: Vec<Format>,
    percent: Format,
    wrap: Format,
}

/// A sheet name Excel accepts: no `[]:*?/\`, at most 31 characters, not empty.
fn sheet_name(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .take(31)
        .collect::<String>()
        .trim()
        .trim_matches('\'')
        .to_owned();
    if cleaned.is_empty() { "Report".into() } else { cleaned }
}

/// Excel's width units for a text: about one unit per 7 pixels of 11-point text.
fn text_width(s: &str) -> f64 {
    super::font::width(s, 14.67, false) / 7.0 + 1.5
}

impl Stream {
    pub fn new(title: &str, columns: &[Column]) -> Result<Stream> {
        let mut workbook = Workbook::new();
        workbook.set_properties(&DocProperties::new().set_title(title).set_author("ipgo"));
        let header = Format::new().set_bold().set_align(FormatAlign::Center).set_text_wrap();
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(xerr)?;
        sheet.set_name(sheet_name(title)).map_err(xerr)?;
        for (i, c) in columns.iter().enumerate() {
            sheet.write_string_with_format(0, i as u16, &c.label, &header).map_err(xerr)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xerr)?;
        let widths = columns
            .iter()
            .map(|c| {
                let min = match c.kind {
                    Kind::Date => 12.0,
                    Kind::DateTime => 17.0,
                    _ => 8.0,
                };
                // Headings wrap: they need only their longest word.
                let longest = c.label.split_whitespace().map(text_width).fold(0.0, f64::max);
                longest.max(min)
            })
            .collect();
        Ok(Stream {
            workbook,
            columns: columns.to_vec(),
            row: 1,
            widths,
            sums: vec![0.0; columns.len()],
            header,
            date: Format::new().set_num_format("dd.mm.yyyy"),
            datetime: Format::new().set_num_format("dd.mm.yyyy hh:mm"),
            decimals: (0..=6).map(|p| Format::new().set_num_format(decimal_format(p))).collect(),
            percent: Format::new().set_num_format("0.0%"),
            wrap: Format::new().set_text_wrap(),
        })
    }

    pub fn push(&mut self, row: &[Cell]) -> Result<()> {
        let r = self.row;
        let sheet = self.workbook.worksheet_from_index(0).map_err(xerr)?;
        for (i, c) in self.columns.iter().enumerate() {
            let col = i as u16;
            let cell = row.get(i).unwrap_or(&Cell::Empty);
            match cell {
                Cell::Empty => {}
                Cell::Text(s) | Cell::Link { text: s, .. } => {
                    if s.len() > 80 {
                        sheet.write_string_with_format(r, col, s, &self.wrap).map_err(xerr)?;
                    } else {
                        sheet.write_string(r, col, s).map_err(xerr)?;
                    }
                }
                Cell::Int(_) | Cell::Num(_) => {
                    let n = cell.number().unwrap_or(0.0);
                    self.sums[i] += n;
                    match c.kind {
                        Kind::Percent => sheet.write_number_with_format(r, col, n, &self.percent),
                        Kind::Decimal(p) => sheet.write_number_with_format(
                            r,
                            col,
                            n,
                            &self.decimals[p.min(6) as usize],
                        ),
                        _ => sheet.write_number(r, col, n),
                    }
                    .map_err(xerr)?;
                }
                Cell::Date(d) => {
                    let x =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .map_err(xerr)?;
                    sheet.write_datetime_with_format(r, col, &x, &self.date).map_err(xerr)?;
                }
                Cell::DateTime(t) => {
                    let z = t.to_zoned(crate::clock::astana());
                    let x =
                        ExcelDateTime::from_ymd(z.year() as u16, z.month() as u8, z.day() as u8)
                            .and_then(|x| x.and_hms(z.hour() as u16, z.minute() as u8, 0))
                            .map_err(xerr)?;
                    sheet.write_datetime_with_format(r, col, &x, &self.datetime).map_err(xerr)?;
                }
            }
            if !matches!(cell, Cell::Date(_) | Cell::DateTime(_)) {
                let w = text_width(&cell.display(c.kind)).min(MAX_WIDTH);
                if w > self.widths[i] {
                    self.widths[i] = w;
                }
            }
        }
        self.row += 1;
        Ok(())
    }

    /// Rows written so far (without the header).
    pub fn rows(&self) -> u32 {
        self.row - 1
    }

    /// Writes the totals row (when a column has a total) and returns the file's bytes.
    pub fn finish(mut self) -> Result<Vec<u8>> {
        let last_data = self.row - 1;
        let has_totals = self.columns.iter().any(|c| c.total != Total::None);
        let sheet = self.workbook.worksheet_from_index(0).map_err(xerr)?;
        if has_totals && last_data >= 1 {
            let r = self.row;
            let bold = Format::new().set_bold();
            for (i, c) in self.columns.iter().enumerate() {
                let col = i as u16;
                match &c.total {
                    Total::None => {}
                    Total::Label(l) => {
                        sheet.write_string_with_format(r, col, l, &bold).map_err(xerr)?;
                    }
                    Total::Sum => {
                        let letter = rust_xlsxwriter::utility::column_number_to_name(col);
                        let formula =
                            Formula::new(format!("=SUM({letter}2:{letter}{})", last_data + 1))
                                .set_result(format_result(self.sums[i]));
                        let fmt = match c.kind {
                            Kind::Percent => self.percent.clone().set_bold(),
                            Kind::Decimal(p) => self.decimals[p.min(6) as usize].clone().set_bold(),
                            _ => bold.clone(),
                        };
                        sheet.write_formula_with_format(r, col, formula, &fmt).map_err(xerr)?;
                    }
                }
            }
        }
        let last_col = self.columns.len().saturating_sub(1) as u16;
        sheet.autofilter(0, 0, last_data.max(1), last_col).map_err(xerr)?;
        for (i, w) in self.widths.iter().enumerate() {
            sheet.set_column_width(i as u16, *w).map_err(xerr)?;
        }
        let _ = &self.header;
        self.workbook.save_to_buffer().map_err(xerr)
    }
}

fn decimal_format(places: usize) -> String {
    if places == 0 { "#,##0".into() } else { format!("#,##0.{}", "0".repeat(places)) }
}

fn format_result(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

/// The whole table as one workbook.
pub fn write(table: &Table) -> Result<Vec<u8>> {
    let mut s = Stream::new(&table.title, &table.columns)?;
    for row in &table.rows {
        s.push(row)?;
    }
    s.finish()
}
