//! The log: segment files of checksummed, sequence-numbered records.
//!
//! ```text
//! record  = magic "BP" | length u32 LE | crc32 u32 LE | body
//! body    = seq u64 LE | kind u8 | payload
//! segment = <first seq, 20 digits>.log, records in order
//! ```
//!
//! A crash can leave the last record of the last segment half written. It
//! was never acknowledged (acknowledgement follows the sync), so recovery
//! drops it: the checksum tells a torn record from a whole one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::JournalError;

const MAGIC: [u8; 2] = *b"BP";
const HEADER: usize = 10;
/// The largest record the reader accepts; anything claiming more is
/// corruption, not a message (documents are bounded far below this).
const MAX_RECORD: usize = 1 << 30;
/// A torn tail longer than this is not a torn write but damage: refuse to
/// start rather than silently drop acknowledged records.
const MAX_TORN_TAIL: u64 = 256 * 1024 * 1024;

/// Record kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Kind {
    /// A new message and its copies.
    Accept = 1,
    /// A copy's new state.
    Copy = 2,
    /// A receipt notice was fetched.
    Ack = 3,
}

impl Kind {
    fn from_byte(b: u8) -> Option<Kind> {
        match b {
            1 => Some(Kind::Accept),
            2 => Some(Kind::Copy),
            3 => Some(Kind::Ack),
            _ => None,
        }
    }
}

/// One record read back.
#[derive(Debug)]
pub(super) struct Record {
    pub(super) seq: u64,
    pub(super) kind: Kind,
    pub(super) payload: Vec<u8>,
}

/// Appends a framed record to `out`.
pub(super) fn encode(out: &mut Vec<u8>, seq: u64, kind: Kind, payload: &[&[u8]]) {
    let body_len = 9 + payload.iter().map(|p| p.len()).sum::<usize>();
    let start = out.len();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&(body_len as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let body_start = out.len();
    out.extend_from_slice(&seq.to_le_bytes());
    out.push(kind as u8);
    for part in payload {
        out.extend_from_slice(part);
    }
    let crc = crc32fast::hash(&out[body_start..]);
    out[start + 6..start + 10].copy_from_slice(&crc.to_le_bytes());
}

/// A segment file.
#[derive(Debug, Clone)]
pub(super) struct Segment {
    pub(super) first_seq: u64,
    pub(super) path: PathBuf,
}

/// The segments in `dir`, oldest first.
pub(super) fn segments(dir: &Path) -> Result<Vec<Segment>, JournalError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".log") else {
            continue;
        };
        let Ok(first_seq) = stem.parse::<u64>() else {
            continue;
        };
        out.push(Segment { first_seq, path });
    }
    out.sort_by_key(|s| s.first_seq);
    Ok(out)
}

/// Reads every whole record of `segment` into `visit`. For the last
/// segment (`is_last`), a torn or corrupt tail is cut off the file; in an
/// earlier segment it is an error.
pub(super) fn read_segment(
    segment: &Segment,
    is_last: bool,
    mut visit: impl FnMut(Record) -> Result<(), JournalError>,
) -> Result<(), JournalError> {
    let file = File::open(&segment.path)?;
    let len = file.metadata()?.len();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut offset = 0u64;
    loop {
        match read_record(&mut reader)? {
            Step::Record(record, size) => {
                visit(record)?;
                offset += size;
            }
            Step::End => return Ok(()),
            Step::Torn(why) => {
                let torn = len - offset;
                if !is_last || torn > MAX_TORN_TAIL {
                    return Err(JournalError::Corrupt(format!(
                        "{} at byte {offset}: {why}",
                        segment.path.display()
                    )));
                }
                tracing::warn!(
                    segment = %segment.path.display(),
                    offset,
                    dropped_bytes = torn,
                    reason = why,
                    "dropping a torn last record (it was never acknowledged)"
                );
                let file = OpenOptions::new().write(true).open(&segment.path)?;
                file.set_len(offset)?;
                file.sync_all()?;
                return Ok(());
            }
        }
    }
}

enum Step {
    Record(Record, u64),
    End,
    Torn(&'static str),
}

fn read_record(reader: &mut impl Read) -> Result<Step, JournalError> {
    let mut header = [0u8; HEADER];
    match read_full(reader, &mut header)? {
        0 => return Ok(Step::End),
        n if n < HEADER => return Ok(Step::Torn("incomplete header")),
        _ => {}
    }
    if header[..2] != MAGIC {
        return Ok(Step::Torn("bad magic"));
    }
    let len = u32::from_le_bytes([header[2], header[3], header[4], header[5]]) as usize;
    let crc = u32::from_le_bytes([header[6], header[7], header[8], header[9]]);
    if !(9..=MAX_RECORD).contains(&len) {
        return Ok(Step::Torn("impossible length"));
    }
    let mut body = vec![0u8; len];
    if read_full(reader, &mut body)? < len {
        return Ok(Step::Torn("incomplete body"));
    }
    if crc32fast::hash(&body) != crc {
        return Ok(Step::Torn("checksum mismatch"));
    }
    let seq = u64::from_le_bytes(
        body[..8]
            .try_into()
            .map_err(|_| JournalError::Codec("seq".into()))?,
    );
    let Some(kind) = Kind::from_byte(body[8]) else {
        return Ok(Step::Torn("unknown record kind"));
    };
    body.drain(..9);
    Ok(Step::Record(
        Record {
            seq,
            kind,
            payload: body,
        },
        (HEADER + len) as u64,
    ))
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut read = 0;
    while read < buf.len() {
        match reader.read(&mut buf[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(read)
}

/// The open segment new records go to.
pub(super) struct Writer {
    dir: PathBuf,
    file: File,
    size: u64,
    max_size: u64,
    /// The segments this writer created, oldest first (for checkpoints).
    pub(super) current: Segment,
}

impl Writer {
    /// Starts a new segment whose first record will be `next_seq`.
    pub(super) fn create(dir: &Path, next_seq: u64, max_size: u64) -> Result<Writer, JournalError> {
        let current = Segment {
            first_seq: next_seq,
            path: dir.join(format!("{next_seq:020}.log")),
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&current.path)?;
        let size = file.metadata()?.len();
        sync_dir(dir)?;
        Ok(Writer {
            dir: dir.to_owned(),
            file,
            size,
            max_size,
            current,
        })
    }

    /// Writes `bytes` (whole records) to the segment; not yet durable.
    pub(super) fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.size += bytes.len() as u64;
        Ok(())
    }

    /// Makes everything written durable: one `fdatasync`.
    pub(super) fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// After a sync: moves to a new segment if this one is full. Returns the
    /// segment just closed.
    pub(super) fn rotate_if_full(
        &mut self,
        next_seq: u64,
    ) -> Result<Option<Segment>, JournalError> {
        if self.size < self.max_size {
            return Ok(None);
        }
        let next = Writer::create(&self.dir, next_seq, self.max_size)?;
        let closed = std::mem::replace(self, next);
        Ok(Some(closed.current))
    }
}

/// Makes a directory entry (a new or removed file) durable.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(segment: &Segment, is_last: bool) -> Result<Vec<u64>, JournalError> {
        let mut seqs = Vec::new();
        read_segment(segment, is_last, |r| {
            seqs.push(r.seq);
            Ok(())
        })?;
        Ok(seqs)
    }

    #[test]
    fn a_torn_last_record_is_cut_off_at_every_byte() {
        let dir = tempdir();
        let mut w = Writer::create(&dir, 1, 1 << 20).unwrap();
        let mut buf = Vec::new();
        for seq in 1..=3 {
            encode(
                &mut buf,
                seq,
                Kind::Copy,
                &[b"payload-", &seq.to_le_bytes()],
            );
        }
        let whole_two = {
            let mut b = Vec::new();
            encode(&mut b, 1, Kind::Copy, &[b"payload-", &1u64.to_le_bytes()]);
            encode(&mut b, 2, Kind::Copy, &[b"payload-", &2u64.to_le_bytes()]);
            b.len()
        };
        w.write(&buf).unwrap();
        w.sync().unwrap();
        let segment = w.current.clone();
        drop(w);
        assert_eq!(collect(&segment, true).unwrap(), [1, 2, 3]);
        for cut in whole_two..buf.len() {
            fs::write(&segment.path, &buf[..cut]).unwrap();
            assert_eq!(collect(&segment, true).unwrap(), [1, 2], "cut at {cut}");
            assert_eq!(
                fs::metadata(&segment.path).unwrap().len() as usize,
                whole_two
            );
        }
        // A flipped bit in the last record is dropped like a torn write …
        let mut flipped = buf.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        fs::write(&segment.path, &flipped).unwrap();
        assert_eq!(collect(&segment, true).unwrap(), [1, 2]);
        // … but in an older segment it is corruption.
        fs::write(&segment.path, &flipped).unwrap();
        assert!(matches!(
            collect(&segment, false),
            Err(JournalError::Corrupt(_))
        ));
        fs::remove_dir_all(dir).unwrap();
    }

    pub(crate) fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("borderpost-log-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}
