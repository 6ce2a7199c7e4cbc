//! Sandboxed text extraction (I385 §6.6 search over attachments, §10 allowed formats, checked by
//! content) on files made by real tools — python-docx, openpyxl, python-pptx, reportlab and
//! LibreOffice, text from the kk/ru regulations — and on hostile files, each of which must end
//! in a clean extraction failure while this (the caller's) process carries on.
//!
//! Fixtures are built once per run by `tests/fixtures/make_search_fixtures.py`; the tools it
//! needs are installed by `tests/setup-search.sh`.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ipgo::search::extract::{ErrorKind, ExtractError, Extracted, Format, Limits, run_sandboxed};
use ipgo::search::lang::Lang;
use ipgo::search::normalize::normalize;

fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("search-fixtures");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let corpus = std::env::var_os("IPGO_CORPUS")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("../shared/corpus"));
        let status = std::process::Command::new("python3")
            .arg(root.join("tests/fixtures/make_search_fixtures.py"))
            .arg(&dir)
            .arg(&corpus)
            .status()
            .expect("python3 not found: run tests/setup-search.sh");
        assert!(status.success(), "fixture script failed: run tests/setup-search.sh");
        dir
    })
}

/// The server's way: children forked by the extraction fork server of the real `ipgo`.
fn limits() -> Limits {
    Limits { fork_server: true, ..started_anew() }
}

/// The other way, kept for when the fork server cannot start: `ipgo extract` started per file.
fn started_anew() -> Limits {
    Limits::new(PathBuf::from(env!("CARGO_BIN_EXE_ipgo")))
}

/// Both ways, named.
fn both_ways() -> [(&'static str, Limits); 2] {
    [("forked", limits()), ("started anew", started_anew())]
}

fn extract_file(name: &str) -> Result<Extracted, ExtractError> {
    let bytes = std::fs::read(fixtures().join(name)).expect(name);
    run_sandboxed(&bytes, &limits())
}

#[track_caller]
fn expect_text(name: &str, format: Format, lang: Lang, words: &[&str]) {
    let x = extract_file(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(x.format, format, "{name}");
    assert_eq!(x.parts.len(), 1, "{name}");
    assert_eq!(x.parts[0].lang, Some(lang), "{name}");
    let text = normalize(&x.full_text()).to_lowercase();
    for w in words {
        assert!(text.contains(&w.to_lowercase()), "{name}: {w:?} missing in {text:.400}");
    }
}

const KK_WORDS: &[&str] = &["Мемлекеттік органдардың", "интранет-порталының", "қамтамасыз"];
const RU_WORDS: &[&str] = &["государственных органов", "интранет-портале", "Инструкции"];

#[test]
fn office_documents_made_by_real_tools_in_kazakh_and_russian() {
    for (lang, words) in [(Lang::Kk, KK_WORDS), (Lang::Ru, RU_WORDS)] {
        let l = lang.code();
        expect_text(&format!("{l}.docx"), Format::Docx, lang, words);
        expect_text(&format!("{l}.doc"), Format::Doc, lang, words);
        expect_text(&format!("{l}.rtf"), Format::Rtf, lang, words);
        expect_text(&format!("{l}.pptx"), Format::Pptx, lang, words);
        expect_text(&format!("{l}.ppt"), Format::Ppt, lang, words);
        expect_text(&format!("{l}.lo.pdf"), Format::Pdf, lang, words);
        expect_text(&format!("{l}.reportlab.pdf"), Format::Pdf, lang, words);
        // Spreadsheets hold the title and cut paragraphs.
        expect_text(&format!("{l}.xlsx"), Format::Xlsx, lang, &words[..1]);
        expect_text(&format!("{l}.xls"), Format::Xls, lang, &words[..1]);
    }
}

#[test]
fn plain_text_in_every_encoding() {
    expect_text("kk.utf8.txt", Format::Text, Lang::Kk, KK_WORDS);
    expect_text("kk.utf16le.txt", Format::Text, Lang::Kk, KK_WORDS);
    for name in ["ru.utf8.txt", "ru.utf16be.txt", "ru.cp1251.txt", "ru.koi8r.txt"] {
        expect_text(name, Format::Text, Lang::Ru, RU_WORDS);
    }
}

#[test]
fn archive_members_are_extracted_with_their_paths() {
    let x = extract_file("bundle.zip").expect("bundle.zip");
    assert_eq!(x.format, Format::Zip);
    let part = |p: &str| {
        x.parts.iter().find(|part| part.path == p).unwrap_or_else(|| panic!("no part {p}"))
    };
    assert_eq!(part("docs/kk.docx").format, Some(Format::Docx));
    assert_eq!(part("docs/kk.docx").lang, Some(Lang::Kk));
    assert!(part("docs/ru.pdf").text.contains("государственных"));
    assert_eq!(part("nested.zip/inner/ru.doc").format, Some(Format::Doc));
    assert!(part("nested.zip/inner/ru.doc").text.contains("Инструкции"));
    assert_eq!(part("nested.zip/inner/readme.txt").lang, Some(Lang::Kk));
    let png = part("image.png");
    assert_eq!(png.error.as_ref().map(|e| e.kind), Some(ErrorKind::Unsupported));
    assert!(x.parts.iter().all(|p| !p.path.ends_with('/')), "directories are not parts");
}

#[test]
fn scans_give_no_text_unless_ocr_is_enabled() {
    for name in ["kk.scan.tiff", "ru.scan.jpg"] {
        let x = extract_file(name).expect(name);
        assert!(matches!(x.format, Format::Tiff | Format::Jpeg), "{name}");
        assert_eq!(x.full_text(), "", "{name}: OCR is off by default");
    }
    let mut l = limits();
    l.content.ocr = Some("kaz+rus".into());
    for (name, format, lang, words) in [
        ("kk.scan.tiff", Format::Tiff, Lang::Kk, KK_WORDS),
        ("kk.scan.jpg", Format::Jpeg, Lang::Kk, KK_WORDS),
        ("ru.scan.tiff", Format::Tiff, Lang::Ru, &RU_WORDS[..2]),
        ("ru.scan.jpg", Format::Jpeg, Lang::Ru, &RU_WORDS[..2]),
    ] {
        let bytes = std::fs::read(fixtures().join(name)).expect(name);
        let x = run_sandboxed(&bytes, &l).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(x.format, format);
        assert_eq!(x.parts[0].lang, Some(lang), "{name}");
        let text = normalize(&x.full_text()).to_lowercase();
        for w in words {
            assert!(text.contains(&w.to_lowercase()), "{name}: OCR lost {w:?}: {text}");
        }
    }
}

#[track_caller]
fn expect_failure(name: &str, kind: ErrorKind) {
    match extract_file(name) {
        Err(e) => assert_eq!(e.kind, kind, "{name}: {e}"),
        Ok(x) => panic!("{name}: extracted {} parts, {} bytes", x.parts.len(), x.full_text().len()),
    }
}

#[test]
fn hostile_files_end_in_clean_failures() {
    let started = Instant::now();
    expect_failure("hostile.empty", ErrorKind::Empty);
    expect_failure("hostile.html.pdf", ErrorKind::Unsupported);
    expect_failure("hostile.exe.docx", ErrorKind::Unsupported);
    expect_failure("hostile.random.bin", ErrorKind::Unsupported);
    expect_failure("hostile.bomb.zip", ErrorKind::ArchiveLimits);
    expect_failure("hostile.entries.zip", ErrorKind::ArchiveLimits);
    expect_failure("hostile.slip.zip", ErrorKind::UnsafePath);
    expect_failure("hostile.absolute.zip", ErrorKind::UnsafePath);
    expect_failure("hostile.xmlbomb.docx", ErrorKind::Malformed);
    expect_failure("hostile.lying-size.docx", ErrorKind::Malformed);
    for t in ["kk.docx", "ru.lo.pdf", "ru.doc", "kk.xlsx", "ru.ppt"] {
        expect_failure(&format!("hostile.truncated.{t}"), ErrorKind::Malformed);
    }
    // pdf-extract would recurse into a form XObject that draws itself until the stack
    // overflows; the loop is found before it runs (docs/fuzzing.md, finding 2). A child that
    // dies all the same is `Crashed`: `a_child_killed_by_a_signal_is_a_crash`.
    expect_failure("hostile.self-xobject.pdf", ErrorKind::Malformed);
    // A page tree that points back at itself is survived with no text.
    let cycle = extract_file("hostile.cycle.pdf").expect("cycle.pdf");
    assert_eq!(cycle.full_text().trim(), "");
    // Nothing escaped the archive onto this machine.
    assert!(!Path::new("/tmp/ipgo-zip-slip.txt").exists());
    assert!(!Path::new("/etc/ipgo-evil.txt").exists());
    // The caller is unaffected: a normal file still extracts.
    expect_text("kk.docx", Format::Docx, Lang::Kk, KK_WORDS);
    eprintln!("hostile fixtures took {:?}", started.elapsed());
}

#[test]
fn archives_nested_too_deep_keep_the_outer_levels() {
    let x = extract_file("hostile.deep.zip").expect("deep.zip");
    assert_eq!(x.parts.len(), 1);
    let p = &x.parts[0];
    assert_eq!(p.path, "level3.zip/level2.zip/level1.zip");
    assert_eq!(p.error.as_ref().map(|e| e.kind), Some(ErrorKind::ArchiveLimits));
    assert!(p.text.is_empty());
}

#[test]
fn memory_limit_ends_the_child_not_the_caller() {
    // A child allowed its own image plus 32 MiB of address space, given 192 MiB of text
    // (the debug binary alone maps more than 64 MiB; the input limit is 256 MiB).
    let image = std::fs::metadata(env!("CARGO_BIN_EXE_ipgo")).unwrap().len();
    let text = "Мемлекеттік органдардың интранет-порталы\n".repeat(192 << 20 >> 6);
    for (way, mut l) in both_ways() {
        l.memory_bytes = image + (32 << 20);
        let e = run_sandboxed(text.as_bytes(), &l).expect_err("must run out of memory");
        assert_eq!(e.kind, ErrorKind::MemoryLimit, "{way}: {e}");
    }
}

#[test]
fn a_pdf_flate_bomb_hits_the_memory_limit() {
    // 1.2 GiB of content stream packed into 1.2 MB; the child may use 1 GiB.
    expect_failure("hostile.flate-bomb.pdf", ErrorKind::MemoryLimit);
}

#[test]
fn cpu_limit_ends_a_slow_parse() {
    // 200 pages of 200,000 text operators keep pdf-extract busy for ~20 s; the child gets one.
    let bytes = std::fs::read(fixtures().join("hostile.slow.pdf")).expect("slow.pdf");
    for (way, mut l) in both_ways() {
        l.cpu_seconds = 1;
        let started = Instant::now();
        let e = match run_sandboxed(&bytes, &l) {
            Err(e) => e,
            Ok(x) => panic!("{way}: finished within the CPU limit: {} bytes", x.full_text().len()),
        };
        assert_eq!(e.kind, ErrorKind::CpuLimit, "{way}: {e}");
        assert!(started.elapsed() < Duration::from_secs(10), "{way}: {:?}", started.elapsed());
    }
}

/// The fork server's children give what children started anew give, byte for byte.
#[test]
fn forked_and_started_anew_children_extract_the_same() {
    for name in [
        "kk.docx",
        "ru.lo.pdf",
        "ru.cp1251.txt",
        "bundle.zip",
        "hostile.bomb.zip",
        "hostile.cycle.pdf",
    ] {
        let bytes = std::fs::read(fixtures().join(name)).expect(name);
        let forked = run_sandboxed(&bytes, &limits());
        let anew = run_sandboxed(&bytes, &started_anew());
        assert_eq!(forked, anew, "{name}");
    }
}

/// A parser that kills the child (a stack overflow aborts with SIGSEGV, an abort with SIGABRT)
/// ends in `Crashed` with the signal named, and the caller carries on: a script in place of
/// `ipgo` that reads the file and dies of SIGSEGV stands for any such parser.
#[test]
fn a_child_killed_by_a_signal_is_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = crate::common::executable_script(
        dir.path(),
        "segv.sh",
        "#!/bin/sh\ncat >/dev/null\nkill -SEGV $$\n",
    );
    let e = run_sandboxed(b"%PDF-1.4", &Limits::new(script)).expect_err("the child died");
    assert_eq!(e.kind, ErrorKind::Crashed, "{e}");
    assert!(e.detail.contains("signal 11"), "{e}");
}

#[test]
fn wall_clock_limit_kills_the_child() {
    let bytes = std::fs::read(fixtures().join("ru.lo.pdf")).expect("pdf");
    for (way, mut l) in both_ways() {
        l.wall = Duration::from_millis(1);
        let started = Instant::now();
        let e = run_sandboxed(&bytes, &l).expect_err("must time out");
        assert_eq!(e.kind, ErrorKind::Timeout, "{way}: {e}");
        assert!(started.elapsed() < Duration::from_secs(5), "{way}");
    }
}

#[test]
fn input_over_the_limit_is_refused_before_any_child_starts() {
    let mut l = limits();
    l.max_input_bytes = 10;
    l.program = PathBuf::from("/nonexistent/ipgo");
    let e = run_sandboxed(b"more than ten bytes", &l).expect_err("too large");
    assert_eq!(e.kind, ErrorKind::TooLarge);
    let l = Limits::new(PathBuf::from("/nonexistent/ipgo"));
    assert_eq!(run_sandboxed(b"text", &l).expect_err("no program").kind, ErrorKind::Sandbox);
}

/// The child inherits no descriptor beyond stdio, an empty environment and the rlimits: checked
/// by running a shell script in place of `ipgo` that reports what it sees as its reply.
#[test]
fn the_child_gets_limits_and_no_inherited_descriptors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = crate::common::executable_script(
        dir.path(),
        "probe.sh",
        r#"#!/bin/sh
cat >/dev/null
fds=$(ls /proc/$$/fd | tr '\n' ' ')
printf '{"ok":{"format":"text","parts":[{"path":"","format":"text","text":"fds=%s|as=%s|cpu=%s|core=%s|fsize=%s|env=%s","lang":null,"truncated":false,"error":null}]}}' \
  "$fds" "$(ulimit -v)" "$(ulimit -t)" "$(ulimit -c)" "$(ulimit -f)" "$(env | grep -v -e '^PWD=' -e '^SHLVL=' -e '^_=' -e '^IPGO_LOG=' -e '^PATH=/usr/bin:/bin$' | wc -l)"
"#,
    );
    // A descriptor this process holds without close-on-exec, at a number nothing else uses.
    let leak = std::fs::File::open("/dev/null").expect("open");
    // SAFETY: dup2 onto an unused descriptor number, closed again below.
    let leaked = unsafe { libc::dup2(leak.as_raw_fd(), 517) };
    assert_eq!(leaked, 517);
    let mut l = Limits::new(script);
    l.memory_bytes = 256 << 20;
    l.cpu_seconds = 7;
    let x = run_sandboxed(b"probe", &l);
    // SAFETY: closing the descriptor made above.
    unsafe { libc::close(517) };
    let text = x.expect("probe reply").parts.remove(0).text;
    let fields: std::collections::HashMap<&str, &str> =
        text.split('|').filter_map(|kv| kv.split_once('=')).collect();
    let fds: Vec<&str> = fields["fds"].split_whitespace().collect();
    assert!(!fds.contains(&"517"), "leaked descriptor reached the child: {fds:?}");
    assert_eq!(fields["as"], (256 << 10).to_string(), "{text}");
    assert_eq!(fields["cpu"], "7", "{text}");
    assert_eq!(fields["core"], "0", "{text}");
    assert_eq!(fields["fsize"], "0", "{text}");
    assert_eq!(fields["env"], "0", "environment not cleared: {text}");
}
