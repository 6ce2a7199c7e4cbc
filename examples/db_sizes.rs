//! The space each table of a data directory's database takes (sizing, issue 18): rows and
//! bytes stored, with redb's metadata and fragmentation, largest first.
//!
//! ```sh
//! cargo run --release --example db_sizes -- /var/lib/ipgo/ipgo.redb   # server stopped
//! ```

use redb::{ReadableDatabase, ReadableTableMetadata, TableHandle};

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: db_sizes FILE"))?;
    let db = redb::Database::builder().open(&path)?;
    let txn = db.begin_read()?;
    let mut rows = Vec::new();
    for handle in txn.list_tables()? {
        let name = handle.name().to_owned();
        let table = txn.open_untyped_table(handle)?;
        let (stats, len) = (table.stats()?, table.len()?);
        let total = stats.stored_bytes() + stats.metadata_bytes() + stats.fragmented_bytes();
        rows.push((total, name, len, stats.stored_bytes(), stats.fragmented_bytes()));
    }
    rows.sort_by(|a, b| b.cmp(a));
    let file = std::fs::metadata(&path)?.len();
    println!("{path}: {:.1} MB", file as f64 / 1e6);
    println!(
        "{:<32} {:>10} {:>12} {:>12} {:>12}",
        "table", "rows", "stored MB", "fragm. MB", "total MB"
    );
    for (total, name, len, stored, fragmented) in rows.iter().filter(|r| r.0 > 0) {
        let mb = |b: &u64| *b as f64 / 1e6;
        println!(
            "{name:<32} {len:>10} {:>12.1} {:>12.1} {:>12.1}",
            mb(stored),
            mb(fragmented),
            mb(total)
        );
    }
    Ok(())
}
