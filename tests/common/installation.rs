//! Reading a stopped server's whole installation, for the secrecy tests of secret ballots
//! and anonymous surveys: every row of every table of the database (with the names of the
//! tables the file really holds, to check them against the backup's registry) and every
//! stored document of the search index.

use std::collections::BTreeSet;

use ipgo::ops::backup::tables::dump;
use redb::TableHandle;

/// (table, key, value) as the backup's dump gives them.
pub type Row = (String, String, Vec<u8>);

/// Every row of every table, and the names of the tables the database file holds.
pub fn read_database(server: &super::Server) -> (Vec<Row>, BTreeSet<String>) {
    let db = ipgo::db::Db::open(&server.data.join("ipgo.redb")).expect("the stopped server's db");
    let txn = db.read().unwrap();
    let held = txn.list_tables().unwrap().map(|t| t.name().to_owned()).collect();
    (dump(&txn).unwrap(), held)
}

/// Every stored document of the search index, as JSON.
pub fn read_index(server: &super::Server) -> BTreeSet<String> {
    let index = tantivy::Index::open_in_dir(server.data.join("index")).expect("search index");
    let schema = index.schema();
    let searcher = index.reader().unwrap().searcher();
    let mut docs = BTreeSet::new();
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(1).unwrap();
        for doc in store.iter::<tantivy::TantivyDocument>(segment.alive_bitset()) {
            docs.insert(tantivy::Document::to_json(&doc.unwrap(), &schema));
        }
    }
    docs
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}
