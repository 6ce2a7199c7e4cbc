//! RAR archives (versions 4 and 5): the headers are read to list members and check names,
//! declared sizes and ratios. Members are not unpacked — the only RAR decoder (unrar) is under
//! a licence that forbids redistribution in the appliance — so a RAR's declared sizes are
//! trusted within the limits, and archives with encrypted headers cannot be listed and are
//! refused. Header checksums (CRC32) are verified, so a damaged archive is refused too.

use std::io::{Read, Seek, SeekFrom};

use super::zip::safe_name;
use super::{ArchiveEntry, Format, Inspection, Limits, Refusal};

const RAR4: &[u8] = b"Rar!\x1A\x07\x00";
const RAR5: &[u8] = b"Rar!\x1A\x07\x01\x00";

pub fn inspect<R: Read + Seek>(
    reader: &mut R,
    len: u64,
    limits: &Limits,
) -> Result<Inspection, Refusal> {
    let mut sig = [0u8; 8];
    let got = read_at(reader, 0, &mut sig).map_err(damaged)?;
    let entries = if got >= 8 && sig == RAR5 {
        rar5(reader, len, limits)?
    } else if got >= 7 && &sig[..7] == RAR4 {
        rar4(reader, len, limits)?
    } else {
        return Err(Refusal::Damaged(Format::Rar, "unknown RAR version".into()));
    };
    check(&entries, limits)?;
    Ok(Inspection { format: Format::Rar, entries })
}

fn damaged(e: impl std::fmt::Display) -> Refusal {
    Refusal::Damaged(Format::Rar, format!("damaged RAR archive: {e}"))
}

fn read_at<R: Read + Seek>(r: &mut R, pos: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    r.seek(SeekFrom::Start(pos))?;
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

fn check(entries: &[ArchiveEntry], limits: &Limits) -> Result<(), Refusal> {
    if entries.len() > limits.max_entries {
        return Err(Refusal::Archive(format!("more than {} entries", limits.max_entries)));
    }
    let mut total = 0u64;
    for e in entries {
        if !safe_name(&e.name) {
            return Err(Refusal::Archive(format!(
                "member name {:?} points outside the archive",
                e.name
            )));
        }
        total = total.saturating_add(e.size);
        if e.size > 1024 * 1024 && e.size / e.compressed.max(1) > limits.max_ratio {
            return Err(Refusal::Archive(format!(
                "member {:?} is compressed more than {}:1 (a decompression bomb)",
                e.name, limits.max_ratio
            )));
        }
    }
    if total > limits.max_total_uncompressed {
        return Err(Refusal::Archive(format!(
            "declares {} MB uncompressed (a decompression bomb)",
            total / (1024 * 1024)
        )));
    }
    Ok(())
}

/// A RAR5 variable-length integer: 7 bits per byte, lowest first.
fn vint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        if shift >= 64 {
            return None;
        }
        value |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn rar5<R: Read + Seek>(
    r: &mut R,
    len: u64,
    limits: &Limits,
) -> Result<Vec<ArchiveEntry>, Refusal> {
    let mut pos = 8u64;
    let mut out = Vec::new();
    while pos < len {
        // CRC32 (4) + header size (vint, at most 3 bytes for the 2 MB header limit).
        let mut pre = [0u8; 7];
        let got = read_at(r, pos, &mut pre).map_err(damaged)?;
        if got < 5 {
            return Err(damaged("truncated block"));
        }
        let crc = u32::from_le_bytes(pre[..4].try_into().expect("4"));
        let mut p = 4;
        let size = vint(&pre[..got], &mut p).ok_or_else(|| damaged("bad header size"))?;
        if size == 0 || size > 2 * 1024 * 1024 {
            return Err(damaged("bad header size"));
        }
        let header_start = pos + p as u64;
        let mut header = vec![0u8; size as usize];
        if read_at(r, header_start, &mut header).map_err(damaged)? < header.len() {
            return Err(damaged("truncated header"));
        }
        let mut crc_input = pre[4..p].to_vec();
        crc_input.extend_from_slice(&header);
        if crc32fast::hash(&crc_input) != crc {
            return Err(damaged("header checksum mismatch"));
        }
        let mut h = 0;
        let kind = vint(&header, &mut h).ok_or_else(|| damaged("bad header"))?;
        let flags = vint(&header, &mut h).ok_or_else(|| damaged("bad header"))?;
        let extra = if flags & 1 != 0 {
            vint(&header, &mut h).ok_or_else(|| damaged("bad header"))?
        } else {
            0
        };
        let data = if flags & 2 != 0 {
            vint(&header, &mut h).ok_or_else(|| damaged("bad header"))?
        } else {
            0
        };
        match kind {
            2 => {
                let file_flags = vint(&header, &mut h).ok_or_else(|| damaged("bad file header"))?;
                let unpacked = vint(&header, &mut h).ok_or_else(|| damaged("bad file header"))?;
                let _attributes = vint(&header, &mut h);
                if file_flags & 2 != 0 {
                    h += 4;
                }
                if file_flags & 4 != 0 {
                    h += 4;
                }
                let _compression = vint(&header, &mut h);
                let _host = vint(&header, &mut h);
                let name_len =
                    vint(&header, &mut h).ok_or_else(|| damaged("bad file header"))? as usize;
                let name = header.get(h..h + name_len).ok_or_else(|| damaged("bad file name"))?;
                h += name_len;
                // An encryption record (type 1) in the extra area marks an encrypted member.
                let extra_area =
                    header.get(h..(h + extra as usize).min(header.len())).unwrap_or(&[]);
                let encrypted = extra_records(extra_area).contains(&1);
                out.push(ArchiveEntry {
                    name: String::from_utf8_lossy(name).into_owned(),
                    size: unpacked,
                    compressed: data,
                    encrypted,
                    dir: file_flags & 1 != 0,
                });
                if out.len() > limits.max_entries {
                    return Err(Refusal::Archive(format!(
                        "more than {} entries",
                        limits.max_entries
                    )));
                }
            }
            4 => {
                return Err(Refusal::Archive(
                    "the archive's headers are encrypted, so its contents cannot be checked".into(),
                ));
            }
            5 => break,
            _ => {}
        }
        pos = header_start + size + data;
    }
    Ok(out)
}

fn extra_records(mut area: &[u8]) -> Vec<u64> {
    let mut kinds = Vec::new();
    while !area.is_empty() {
        let mut p = 0;
        let Some(size) = vint(area, &mut p) else { break };
        let start = p;
        let Some(kind) = vint(area, &mut p) else { break };
        kinds.push(kind);
        let next = start + size as usize;
        if next > area.len() || size == 0 {
            break;
        }
        area = &area[next..];
    }
    kinds
}

fn rar4<R: Read + Seek>(
    r: &mut R,
    len: u64,
    limits: &Limits,
) -> Result<Vec<ArchiveEntry>, Refusal> {
    let mut pos = 7u64;
    let mut out = Vec::new();
    while pos + 7 <= len {
        let mut base = [0u8; 7];
        read_at(r, pos, &mut base).map_err(damaged)?;
        let crc = u16::from_le_bytes([base[0], base[1]]);
        let kind = base[2];
        let flags = u16::from_le_bytes([base[3], base[4]]);
        let size = u16::from_le_bytes([base[5], base[6]]) as u64;
        if size < 7 {
            return Err(damaged("bad block size"));
        }
        let mut block = vec![0u8; size as usize];
        if read_at(r, pos, &mut block).map_err(damaged)? < block.len() {
            return Err(damaged("truncated block"));
        }
        if (crc32fast::hash(&block[2..]) & 0xFFFF) as u16 != crc {
            return Err(damaged("header checksum mismatch"));
        }
        let mut add = if flags & 0x8000 != 0 && block.len() >= 11 {
            u32::from_le_bytes(block[7..11].try_into().expect("4")) as u64
        } else {
            0
        };
        match kind {
            0x73 if flags & 0x0080 != 0 => {
                return Err(Refusal::Archive(
                    "the archive's headers are encrypted, so its contents cannot be checked".into(),
                ));
            }
            0x74 if block.len() >= 32 => {
                let pack = u32::from_le_bytes(block[7..11].try_into().expect("4")) as u64;
                let mut unp = u32::from_le_bytes(block[11..15].try_into().expect("4")) as u64;
                let name_size = u16::from_le_bytes([block[26], block[27]]) as usize;
                let mut name_at = 32;
                let mut pack_total = pack;
                if flags & 0x100 != 0 && block.len() >= 40 {
                    pack_total |=
                        (u32::from_le_bytes(block[32..36].try_into().expect("4")) as u64) << 32;
                    unp |= (u32::from_le_bytes(block[36..40].try_into().expect("4")) as u64) << 32;
                    name_at = 40;
                }
                add = pack_total;
                let raw = block
                    .get(name_at..name_at + name_size)
                    .ok_or_else(|| damaged("bad file name"))?;
                // Unicode names carry an ASCII part before a zero byte.
                let raw = raw.split(|b| *b == 0).next().unwrap_or(raw);
                out.push(ArchiveEntry {
                    name: String::from_utf8_lossy(raw).replace('\\', "/"),
                    size: unp,
                    compressed: pack_total,
                    encrypted: flags & 0x04 != 0,
                    dir: flags & 0xE0 == 0xE0,
                });
                if out.len() > limits.max_entries {
                    return Err(Refusal::Archive(format!(
                        "more than {} entries",
                        limits.max_entries
                    )));
                }
            }
            0x7B => break,
            _ => {}
        }
        pos += size + add;
    }
    Ok(out)
}

/// Minimal RAR archives written from the format's specification, for tests (no free tool
/// can create RAR files): stored members, correct header checksums.
pub mod fixture {
    fn vint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7F) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn block(body: &[u8], out: &mut Vec<u8>) {
        let mut size = Vec::new();
        vint(body.len() as u64, &mut size);
        let mut crc_input = size.clone();
        crc_input.extend_from_slice(body);
        out.extend_from_slice(&crc32fast::hash(&crc_input).to_le_bytes());
        out.extend_from_slice(&size);
        out.extend_from_slice(body);
    }

    /// A RAR5 archive with the given members stored uncompressed.
    pub fn rar5(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = super::RAR5.to_vec();
        let mut main = Vec::new();
        vint(1, &mut main); // main header
        vint(0, &mut main); // flags
        vint(0, &mut main); // archive flags
        block(&main, &mut out);
        for (name, data) in members {
            let mut h = Vec::new();
            vint(2, &mut h); // file header
            vint(2, &mut h); // flags: data area present
            vint(data.len() as u64, &mut h); // data size
            vint(4, &mut h); // file flags: CRC present
            vint(data.len() as u64, &mut h); // unpacked size
            vint(0x20, &mut h); // attributes
            h.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
            vint(0, &mut h); // compression: stored
            vint(0, &mut h); // host OS: Windows
            vint(name.len() as u64, &mut h);
            h.extend_from_slice(name.as_bytes());
            block(&h, &mut out);
            out.extend_from_slice(data);
        }
        let mut end = Vec::new();
        vint(5, &mut end);
        vint(0, &mut end);
        vint(0, &mut end);
        block(&end, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn run(bytes: Vec<u8>) -> Result<Inspection, Refusal> {
        let len = bytes.len() as u64;
        inspect(&mut Cursor::new(bytes), len, &Limits::default())
    }

    #[test]
    fn rar5_members_are_listed() {
        let rar = fixture::rar5(&[("приказ.txt", "мәтін".as_bytes()), ("docs/plan.txt", b"plan")]);
        let found = run(rar).unwrap();
        assert_eq!(found.format, Format::Rar);
        let names: Vec<_> = found.entries.iter().map(|e| (e.name.as_str(), e.size)).collect();
        assert_eq!(names, [("приказ.txt", "мәтін".len() as u64), ("docs/plan.txt", 4)]);
    }

    #[test]
    fn rar_traversal_and_damage_are_refused() {
        let rar = fixture::rar5(&[("../evil.txt", b"x")]);
        assert!(matches!(run(rar), Err(Refusal::Archive(m)) if m.contains("outside")));
        let mut rar = fixture::rar5(&[("ok.txt", b"x")]);
        let n = rar.len();
        rar[n - 12] ^= 0xFF;
        assert!(run(rar).is_err());
    }
}
