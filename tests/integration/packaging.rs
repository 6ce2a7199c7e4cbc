//! Packaging (issue 6, items 1, 2 and 6): the systemd units' hardening score, the Debian
//! package built with cargo-deb and checked with lintian, its whole life on this machine
//! (`tests/appliance-deb.sh`), and the air-gapped build from the offline bundle inside a
//! network namespace with no route.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

fn exposure(unit: &Path) -> f64 {
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(unit)
        .output()
        .expect("systemd-analyze (tests/setup-appliance.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("no score for {}: {text}", unit.display()));
    line.split(':').nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn units_are_hardened_to_an_exposure_of_at_most_1_5() {
    for unit in ["ipgo.service", "backup/ipgo-backup.service", "backup/ipgo-backup-keys.service"] {
        let score = exposure(&root().join("systemd").join(unit));
        assert!(score <= 1.5, "{unit} scores {score} on systemd-analyze security");
    }
    let service = std::fs::read_to_string(root().join("systemd/ipgo.service")).unwrap();
    for line in [
        "Type=notify",
        "WatchdogSec=",
        "CapabilityBoundingSet=\n",
        "Requires=ipgo.socket",
        "LoadCredential=tls:",
    ] {
        assert!(service.contains(line), "ipgo.service lacks {line:?}");
    }
    let socket = std::fs::read_to_string(root().join("systemd/ipgo.socket")).unwrap();
    assert!(socket.contains("ListenStream=443"));
}

#[test]
fn the_packaged_configuration_is_complete_and_valid() {
    let cli = ipgo::config::CliOverrides {
        config_file: Some(root().join("appliance/ipgo.toml")),
        ..Default::default()
    };
    let config = ipgo::config::Config::load(&cli).expect("appliance/ipgo.toml loads");
    assert_eq!(config.data_dir(), Path::new("/var/lib/ipgo"));
    assert_eq!(config.keys_dir(), Path::new("/etc/ipgo/keys"));
    assert_eq!(config.admin_socket(), Path::new("/run/ipgo/admin.sock"));
    assert!(config.tls.self_signed);
    // Every commented default is a real key with its real default value.
    let text = std::fs::read_to_string(root().join("appliance/ipgo.toml")).unwrap();
    let uncommented: String = text
        .lines()
        .map(|l| {
            let setting = l.starts_with('#')
                && l[1..].starts_with(|c: char| c.is_ascii_lowercase())
                && l.contains(" = ");
            if setting { &l[1..] } else { l }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let file = std::env::temp_dir().join(format!("ipgo-toml-{}.toml", std::process::id()));
    std::fs::write(&file, uncommented).unwrap();
    let cli = ipgo::config::CliOverrides { config_file: Some(file.clone()), ..Default::default() };
    let all = ipgo::config::Config::load(&cli);
    std::fs::remove_file(&file).unwrap();
    let all = all.expect("the commented keys are all valid");
    let defaults = ipgo::config::Config::default();
    assert_eq!(all.session.idle_timeout_seconds, defaults.session.idle_timeout_seconds);
    assert_eq!(all.storage.disk_floor_mb, defaults.storage.disk_floor_mb);
    assert_eq!(all.storage.db_cache_mb, defaults.storage.db_cache_mb);
    assert_eq!(all.mail.keep_sent_days, defaults.mail.keep_sent_days);
    assert_eq!(all.mail.max_attempts, defaults.mail.max_attempts);
    assert_eq!(all.drafts.approval_days, defaults.drafts.approval_days);
    assert_eq!(
        all.signatures.crl_fetch_interval_seconds,
        defaults.signatures.crl_fetch_interval_seconds
    );
    // Every section of the configuration is in the packaged file, so an administrator
    // sees every setting (commented with its default) in /etc/ipgo/ipgo.toml.
    let defaults_toml = toml::to_string(&defaults).unwrap();
    for section in defaults_toml.lines().filter(|l| l.starts_with('[')) {
        assert!(text.contains(section), "{section} missing from appliance/ipgo.toml");
    }
    assert_eq!(all.documents.allowed_formats, defaults.documents.allowed_formats);
}

/// Builds the package from the binary cargo just built for these tests.
fn build_deb(out: &Path, revision: &str) -> PathBuf {
    let deb = out.join(format!("ipgo-{revision}.deb"));
    run(Command::new("cargo")
        .current_dir(root())
        .args(["deb", "--no-build", "--profile", "dev", "--fast", "--deb-revision", revision, "-o"])
        .arg(&deb));
    deb
}

#[test]
fn the_package_passes_lintian_and_lives_through_install_upgrade_remove_and_purge() {
    let dir = tempfile::tempdir().unwrap();
    let old = build_deb(dir.path(), "1");
    let new = build_deb(dir.path(), "2");
    let contents = run(Command::new("dpkg-deb").arg("--contents").arg(&old));
    for path in [
        "./usr/bin/ipgo",
        "./etc/ipgo/ipgo.toml",
        "lib/systemd/system/ipgo.service",
        "lib/systemd/system/ipgo.socket",
        "lib/systemd/system/ipgo-backup.service",
        "lib/systemd/system/ipgo-backup.timer",
        "lib/systemd/system/ipgo-backup-keys.service",
        "lib/sysusers.d/ipgo.conf",
        "usr/share/doc/ipgo/changelog.Debian.gz",
    ] {
        assert!(contents.contains(path), "{path} missing from the package:\n{contents}");
    }
    let units = contents.matches("lib/systemd/system/").count();
    assert_eq!(units, 5 + 1, "exactly the five units (and their folder):\n{contents}");
    // Lintian: no errors; every warning is explained in appliance/lintian.md.
    let out = Command::new("lintian").args(["--no-tag-display-limit"]).arg(&old).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let explained = std::fs::read_to_string(root().join("appliance/lintian.md")).unwrap();
    for line in report.lines().filter(|l| l.starts_with("E: ") || l.starts_with("W: ")) {
        let tag = line.split_whitespace().nth(2).unwrap_or(line);
        assert!(
            !line.starts_with("E: ") && explained.contains(&format!("`{tag}`")),
            "unexplained lintian tag: {line}\n{report}"
        );
    }
    let port = if std::net::TcpListener::bind("127.0.0.1:443").is_ok() { 443 } else { 8443 };
    run(Command::new(root().join("tests/appliance-deb.sh"))
        .arg(&old)
        .arg(&new)
        .env("IPGO_TEST_PORT", port.to_string()));
}

#[test]
fn the_offline_bundle_builds_and_packages_with_no_network() {
    let out = run(&mut Command::new(root().join("tests/offline-build.sh")));
    assert!(out.contains("offline build: ok"), "{out}");
    assert!(out.contains("no network"), "{out}");
}
