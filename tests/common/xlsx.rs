//! Reads an XLSX file back with a real reader, openpyxl (installed by
//! `tests/setup-report.sh`): every cell with its type, both the formulas and the values
//! cached beside them, the frozen pane and the column widths.

use std::process::Command;

use serde_json::Value;

const SCRIPT: &str = r#"
import datetime, json, sys, openpyxl
def cell(c):
    v = c.value
    if isinstance(v, datetime.datetime):
        return {"t": "date", "v": v.date().isoformat() if v.time() == datetime.time(0) else v.isoformat(timespec="minutes")}
    if isinstance(v, bool):
        return {"t": "bool", "v": v}
    if isinstance(v, (int, float)):
        return {"t": "n", "v": v}
    if isinstance(v, str) and v.startswith("="):
        return {"t": "f", "v": v}
    if v is None:
        return None
    return {"t": "s", "v": str(v)}
path = sys.argv[1]
wb = openpyxl.load_workbook(path)
cached = openpyxl.load_workbook(path, data_only=True)
ws, wc = wb.worksheets[0], cached.worksheets[0]
rows = [[cell(c) for c in r] for r in ws.iter_rows()]
values = [[(c.value if not isinstance(c.value, datetime.datetime) else c.value.isoformat()) for c in r] for r in wc.iter_rows()]
widths = {k: d.width for k, d in ws.column_dimensions.items() if d.width}
print(json.dumps({"title": ws.title, "rows": rows, "cached": values, "freeze": ws.freeze_panes,
                  "widths": widths, "filter": ws.auto_filter.ref, "doc_title": wb.properties.title}))
"#;

/// The workbook as `{title, rows: [[{t, v}|null]], cached: [[value]], freeze, widths, filter}`.
pub fn read(bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&path)
        .output()
        .expect("python3 (run tests/setup-report.sh)");
    assert!(
        out.status.success(),
        "openpyxl could not read the file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
