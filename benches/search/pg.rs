//! PostgreSQL full-text search (Debian `postgresql`, `russian` configuration, GIN index) as
//! the baseline of the search benchmark: a private server on a Unix socket, the corpus
//! loaded with `\copy` into a table whose `tsvector` is a stored generated column, and the
//! query mix through psql with `\timing`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::{Q, cpu_secs, dir_size};

pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

impl Postgres {
    /// PostgreSQL refuses to run as root: as root, run it as the `postgres` account.
    fn server_cmd(&self, prog: &str) -> Command {
        let path = self.bin.join(prog);
        if rustix::process::geteuid().is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    pub fn start(work: &Path) -> Postgres {
        let bin = pg_bin()
            .expect("PostgreSQL not found: run benches/search.sh (apt-get install postgresql)");
        let dir = work.join("pg");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if rustix::process::geteuid().is_root() {
            let uid = Command::new("id").args(["-u", "postgres"]).output().unwrap();
            let gid = Command::new("id").args(["-g", "postgres"]).output().unwrap();
            let parse = |o: std::process::Output| {
                String::from_utf8(o.stdout).unwrap().trim().parse::<u32>().unwrap()
            };
            std::os::unix::fs::chown(&dir, Some(parse(uid)), Some(parse(gid))).unwrap();
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let pg = Postgres { bin, dir, port };
        let data = pg.dir.join("data");
        let ok = pg
            .server_cmd("initdb")
            .args([
                "-D",
                data.to_str().unwrap(),
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--auth=trust",
                "-U",
                "postgres",
            ])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "initdb failed");
        let opts = format!(
            "-p {port} -k {} -c listen_addresses='' -c shared_buffers=1GB -c maintenance_work_mem=1GB \
             -c max_wal_size=8GB -c checkpoint_timeout=30min -c work_mem=64MB -c jit=off",
            pg.dir.display()
        );
        let ok = pg
            .server_cmd("pg_ctl")
            .args(["-D", data.to_str().unwrap(), "-o", &opts, "-l"])
            .arg(pg.dir.join("log"))
            .args(["-w", "start"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "pg_ctl start failed");
        pg
    }

    /// Runs SQL through psql; returns its output.
    fn psql(&self, sql: &str) -> String {
        let mut child = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .args(["-h", self.dir.to_str().unwrap(), "-p", &self.port.to_string()])
            // Queries of only stop words are part of the comparison, not worth a notice each.
            .env("PGOPTIONS", "-c client_min_messages=warning")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("psql");
        child.stdin.take().unwrap().write_all(sql.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "psql failed on: {}", &sql[..sql.len().min(300)]);
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn version(&self) -> String {
        self.psql("SELECT version();").trim().to_owned()
    }

    // The tsvector is computed while copying.
    /// CPU seconds of the server: the postmaster, its background processes and its sessions.
    fn cpu(&self) -> f64 {
        let pid = std::fs::read_to_string(self.dir.join("data/postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next()?.trim().parse().ok())
            .expect("postmaster.pid");
        cpu_secs(pid, true)
    }

    /// Loads the corpus and builds the GIN index; returns the seconds of each, the server's
    /// CPU seconds for both, and the bytes of table and index.
    pub fn index(&self, corpus: &Path) -> (f64, f64, f64, u64) {
        self.psql(
            "DROP TABLE IF EXISTS docs;
             CREATE TABLE docs (id bigint PRIMARY KEY, agency int, doc_type text, updated bigint,
               principals text[], title text, body text, attachment text,
               tsv tsvector GENERATED ALWAYS AS (
                 setweight(to_tsvector('russian', title), 'A') ||
                 to_tsvector('russian', body) || to_tsvector('russian', attachment)) STORED);",
        );
        let cpu = self.cpu();
        let t = Instant::now();
        self.psql(&format!(
            "\\copy docs (id, agency, doc_type, updated, principals, title, body, attachment) FROM PROGRAM 'zstd -dcq {}'\n",
            corpus.display()
        ));
        let load = t.elapsed().as_secs_f64();
        let t = Instant::now();
        self.psql("CREATE INDEX docs_tsv ON docs USING gin (tsv); ANALYZE docs;");
        let gin = t.elapsed().as_secs_f64();
        let cpu = self.cpu() - cpu;
        let size: u64 = self.psql("SELECT pg_total_relation_size('docs');").trim().parse().unwrap();
        (load, gin, cpu, size)
    }

    fn statement(q: &Q) -> String {
        let filter = match q.doc_type {
            Some(t) => format!(" AND doc_type = '{t}'"),
            None => String::new(),
        };
        let order = if q.sort_by_date { "updated" } else { "r" };
        format!(
            "WITH m AS MATERIALIZED (SELECT id, updated, ts_rank(tsv, q) AS r FROM docs, {pg} q \
             WHERE tsv @@ q AND principals && '{{all,agency:1,user:5}}'{filter}) \
             SELECT (SELECT count(*) FROM m), (SELECT array_agg(id) FROM (SELECT id FROM m ORDER BY {order} DESC LIMIT 10) t);\n",
            pg = q.pg
        )
    }

    /// Latencies (ms, as psql's `\\timing` reports them) of `rounds` rounds of the mix after
    /// an untimed one, and the hit count of each query (from the untimed round).
    pub fn latencies(&self, qs: &[Q], rounds: usize) -> (Vec<f64>, Vec<u64>) {
        let mut sql = String::new();
        for q in qs {
            sql.push_str(&Self::statement(q)); // warm-up round, untimed
        }
        sql.push_str("\\timing on\n");
        for _ in 0..rounds {
            for q in qs {
                sql.push_str(&Self::statement(q));
            }
        }
        let out = self.psql(&sql);
        let times = out
            .lines()
            .filter_map(|l| l.strip_prefix("Time: "))
            .filter_map(|t| t.split_whitespace().next()?.parse().ok())
            .collect();
        // Result rows read `count|{ids}`.
        let counts =
            out.lines().filter_map(|l| l.split_once('|')?.0.parse().ok()).take(qs.len()).collect();
        (times, counts)
    }

    pub fn found(&self, word: &str) -> BTreeSet<u64> {
        self.psql(&format!(
            "SELECT id FROM docs WHERE tsv @@ plainto_tsquery('russian', '{word}');"
        ))
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
    }

    /// Bytes of the whole cluster directory (table, index, write-ahead log).
    pub fn disk(&self) -> u64 {
        dir_size(&self.dir.join("data"))
    }

    /// Drops the table and its index (the disk is shared with the other engine).
    pub fn drop_table(&self) {
        self.psql("DROP TABLE IF EXISTS docs; CHECKPOINT;");
    }

    pub fn stop(&self) {
        let _ = self
            .server_cmd("pg_ctl")
            .args(["-D", self.dir.join("data").to_str().unwrap(), "-m", "fast", "stop"])
            .stdout(Stdio::null())
            .status();
    }
}
