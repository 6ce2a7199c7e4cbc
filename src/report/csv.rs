//! A [`Table`](super::Table) as CSV: UTF-8 with a byte-order mark (so spreadsheet programs
//! read Kazakh and Russian letters right), the headings as the first line, one line per
//! row, the totals last. Values are written for programs: numbers with a dot, dates as
//! `YYYY-MM-DD`, instants as `YYYY-MM-DD HH:MM` Astana time, shares as fractions.

use std::io::Write;

use super::{Cell, Column, Kind, Table};
use crate::error::{Error, Result};

/// Writes rows as they come.
pub struct Stream<W: Write> {
    writer: ::csv::Writer<W>,
    columns: Vec<Column>,
}

impl<W: Write> Stream<W> {
    pub fn new(mut out: W, columns: &[Column]) -> Result<Stream<W>> {
        out.write_all(b"\xEF\xBB\xBF")?;
        let mut writer = ::csv::Writer::from_writer(out);
        writer.write_record(columns.iter().map(|c| c.label.as_str())).map_err(Error::internal)?;
        Ok(Stream { writer, columns: columns.to_vec() })
    }

    pub fn push(&mut self, row: &[Cell]) -> Result<()> {
        let values: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| value(row.get(i).unwrap_or(&Cell::Empty), c.kind))
            .collect();
        self.writer.write_record(&values).map_err(Error::internal)
    }

    pub fn finish(mut self) -> Result<W> {
        self.writer.flush()?;
        self.writer.into_inner().map_err(|e| Error::internal(e.to_string()))
    }
}

pub fn value(cell: &Cell, kind: Kind) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(s) | Cell::Link { text: s, .. } => s.clone(),
        Cell::Int(i) => i.to_string(),
        Cell::Num(n) => match kind {
            Kind::Decimal(p) => format!("{n:.*}", p as usize),
            _ => n.to_string(),
        },
        Cell::Date(d) => d.to_string(),
        Cell::DateTime(t) => {
            t.to_zoned(crate::clock::astana()).strftime("%Y-%m-%d %H:%M").to_string()
        }
    }
}

/// The whole table (with its totals row when it has totals).
pub fn write(table: &Table) -> Result<Vec<u8>> {
    let mut s = Stream::new(Vec::new(), &table.columns)?;
    for row in &table.rows {
        s.push(row)?;
    }
    if table.has_totals() {
        s.push(&table.totals())?;
    }
    s.finish()
}
