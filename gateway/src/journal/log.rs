//! The log: segment files of checksummed, sequence-numbered records.
//!
//! ```text
//! record  = magic "BP" | length u32 LE | crc32 u32 LE | body
//! body    = seq u64 LE | kind u8 | payload
//! segment = <first seq, 20 digits>.log, records in order, mode 0600
//! ```
//!
//! A body is at most [`MAX_RECORD_BYTES`]: the writer refuses a longer one
//! before anything is written (so it is never acknowledged), and the reader
//! checks a declared length against that limit and against the bytes the
//! file still holds before it allocates anything for the body.
//!
//! A crash can leave the last record of the last segment half written. It
//! was never acknowledged (acknowledgement follows the sync), so recovery
//! drops it: the checksum tells a torn record from a whole one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::bound::MAX_RECORD_BYTES;
use super::error::{Corruption, Damage};
use super::{JournalError, files};

const MAGIC: [u8; 2] = *b"BP";
/// The framing before a body: magic, length, checksum.
pub(super) const HEADER: usize = 10;
/// The smallest body: a sequence number and a kind.
const MIN_BODY: usize = 9;

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

/// Appends a framed record to `out`, or leaves `out` as it was if the body
/// would be over `limit` (at most [`MAX_RECORD_BYTES`]).
pub(super) fn encode(
    out: &mut Vec<u8>,
    seq: u64,
    kind: Kind,
    payload: &[&[u8]],
    limit: u64,
) -> Result<(), JournalError> {
    let body_len = payload
        .iter()
        .fold(MIN_BODY as u64, |n, p| n.saturating_add(p.len() as u64));
    let limit = limit.min(MAX_RECORD_BYTES);
    let framed_len = match u32::try_from(body_len) {
        Ok(len) if body_len <= limit => len,
        _ => {
            return Err(JournalError::TooLarge {
                size: body_len,
                limit,
            });
        }
    };
    let start = out.len();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&framed_len.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let body_start = out.len();
    out.extend_from_slice(&seq.to_le_bytes());
    out.push(kind as u8);
    for part in payload {
        out.extend_from_slice(part);
    }
    let crc = crc32fast::hash(&out[body_start..]);
    out[start + 6..start + 10].copy_from_slice(&crc.to_le_bytes());
    Ok(())
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
/// segment (`is_last`), a torn or corrupt tail of at most `torn_allowance`
/// bytes (what one unacknowledged write can leave) is cut off the file; in
/// an earlier segment, or longer, it is corruption.
pub(super) fn read_segment(
    segment: &Segment,
    is_last: bool,
    torn_allowance: u64,
    mut visit: impl FnMut(Record) -> Result<(), JournalError>,
) -> Result<(), JournalError> {
    let file = File::open(&segment.path)?;
    let len = file.metadata()?.len();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut offset = 0u64;
    loop {
        match read_record(&mut reader, len - offset)? {
            Step::Record(record, size) => {
                visit(record)?;
                offset += size;
            }
            Step::End => return Ok(()),
            Step::Torn(damage) => {
                let torn = len - offset;
                if !is_last {
                    return Err(Corruption::Segment {
                        path: segment.path.clone(),
                        offset,
                        damage,
                    }
                    .into());
                }
                if torn > torn_allowance {
                    return Err(Corruption::Tail {
                        path: segment.path.clone(),
                        offset,
                        bytes: torn,
                        damage,
                    }
                    .into());
                }
                tracing::warn!(
                    segment = %segment.path.display(),
                    offset,
                    dropped_bytes = torn,
                    reason = %damage,
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
    Torn(Damage),
}

/// Reads one record from `reader`, which holds `remaining` more bytes.
/// The body is allocated only once its declared length is known to be
/// possible: within the record limit and within what the file holds.
fn read_record(reader: &mut impl Read, remaining: u64) -> Result<Step, JournalError> {
    let mut header = [0u8; HEADER];
    match read_full(reader, &mut header)? {
        0 => return Ok(Step::End),
        n if n < HEADER => return Ok(Step::Torn(Damage::IncompleteHeader)),
        _ => {}
    }
    if header[..2] != MAGIC {
        return Ok(Step::Torn(Damage::BadMagic));
    }
    let declared = u32::from_le_bytes([header[2], header[3], header[4], header[5]]);
    let crc = u32::from_le_bytes([header[6], header[7], header[8], header[9]]);
    let len = u64::from(declared);
    if len < MIN_BODY as u64 || len > MAX_RECORD_BYTES {
        return Ok(Step::Torn(Damage::Length(declared)));
    }
    if len > remaining.saturating_sub(HEADER as u64) {
        return Ok(Step::Torn(Damage::IncompleteBody));
    }
    let Ok(len) = usize::try_from(len) else {
        return Ok(Step::Torn(Damage::Length(declared)));
    };
    let mut body = vec![0u8; len];
    if read_full(reader, &mut body)? < len {
        return Ok(Step::Torn(Damage::IncompleteBody));
    }
    if crc32fast::hash(&body) != crc {
        return Ok(Step::Torn(Damage::Checksum));
    }
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&body[..8]);
    let Some(kind) = Kind::from_byte(body[8]) else {
        return Ok(Step::Torn(Damage::Kind(body[8])));
    };
    body.drain(..MIN_BODY);
    Ok(Step::Record(
        Record {
            seq: u64::from_le_bytes(seq),
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
        let file = files::open_private_append(&current.path)?;
        let size = file.metadata()?.len();
        files::sync_dir(dir)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A generous torn-tail allowance for these small segments.
    const TORN: u64 = 1 << 20;

    fn collect(segment: &Segment, is_last: bool) -> Result<Vec<u64>, JournalError> {
        let mut seqs = Vec::new();
        read_segment(segment, is_last, TORN, |r| {
            seqs.push(r.seq);
            Ok(())
        })?;
        Ok(seqs)
    }

    fn record(out: &mut Vec<u8>, seq: u64) {
        encode(
            out,
            seq,
            Kind::Copy,
            &[b"payload-", &seq.to_le_bytes()],
            MAX_RECORD_BYTES,
        )
        .unwrap();
    }

    /// A segment file holding `bytes`.
    fn segment(dir: &Path, bytes: &[u8]) -> Segment {
        let path = dir.join(format!("{:020}.log", 1));
        fs::write(&path, bytes).unwrap();
        Segment { first_seq: 1, path }
    }

    #[test]
    fn a_torn_last_record_is_cut_off_at_every_byte() {
        let dir = tempdir();
        let mut w = Writer::create(&dir, 1, 1 << 20).unwrap();
        let mut buf = Vec::new();
        for seq in 1..=3 {
            record(&mut buf, seq);
        }
        let whole_two = {
            let mut b = Vec::new();
            record(&mut b, 1);
            record(&mut b, 2);
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
            Err(JournalError::Corrupt(Corruption::Segment {
                damage: Damage::Checksum,
                ..
            }))
        ));
        // … and so is a damaged tail longer than one write can leave.
        let mut long = buf.clone();
        long.extend(std::iter::repeat_n(0xAB, 64));
        fs::write(&segment.path, &long).unwrap();
        let mut seqs = Vec::new();
        let refused = read_segment(&segment, true, 32, |r| {
            seqs.push(r.seq);
            Ok(())
        });
        assert!(
            matches!(
                refused,
                Err(JournalError::Corrupt(Corruption::Tail { bytes: 64, .. }))
            ),
            "{refused:?}"
        );
        assert_eq!(
            fs::metadata(&segment.path).unwrap().len() as usize,
            long.len()
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_largest_record_is_written_and_read_back_and_one_byte_more_is_refused() {
        let dir = tempdir();
        // A small limit stands in for the format's (1 GiB): the boundary
        // is the same comparison.
        let limit = 64 * 1024u64;
        let payload = vec![0x5A; (limit - MIN_BODY as u64) as usize];
        let mut buf = Vec::new();
        encode(&mut buf, 1, Kind::Accept, &[&payload], limit).unwrap();
        assert_eq!(buf.len() as u64, HEADER as u64 + limit);
        let mut over = vec![1, 2, 3];
        let refused = encode(&mut over, 2, Kind::Accept, &[&payload, b"+"], limit);
        assert!(
            matches!(refused, Err(JournalError::TooLarge { size, limit: l }) if size == limit + 1 && l == limit),
            "{refused:?}"
        );
        assert_eq!(over, [1, 2, 3], "nothing of a refused record is written");
        let segment = segment(&dir, &buf);
        let mut read = Vec::new();
        read_segment(&segment, true, TORN, |r| {
            read.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].payload, payload);
        // A caller cannot raise the format's own limit: parts adding up to
        // just over 1 GiB (one 64 KiB buffer, referenced 16384 times) are
        // refused before anything is copied.
        let chunk = vec![0u8; 1 << 16];
        let parts = vec![&chunk[..]; 1 << 14];
        let mut buf = Vec::new();
        assert!(matches!(
            encode(&mut buf, 1, Kind::Accept, &parts, u64::MAX),
            Err(JournalError::TooLarge {
                limit: MAX_RECORD_BYTES,
                ..
            })
        ));
        assert!(buf.is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    /// A reader that remembers the largest buffer it was asked to fill:
    /// what the record reader allocated for a body.
    struct Spy<'a> {
        bytes: &'a [u8],
        largest_buffer: usize,
    }

    impl Read for Spy<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.largest_buffer = self.largest_buffer.max(buf.len());
            let n = buf.len().min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn header(declared: u32) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&declared.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&[0x11; 32]);
        out
    }

    #[test]
    fn a_header_declaring_a_huge_length_is_refused_without_allocating_it() {
        // Within the format's limit but more than the file holds, and over
        // the limit: neither gets a buffer of its declared size.
        for declared in [
            MAX_RECORD_BYTES as u32,
            MAX_RECORD_BYTES as u32 + 1,
            u32::MAX,
        ] {
            let bytes = header(declared);
            let mut spy = Spy {
                bytes: &bytes,
                largest_buffer: 0,
            };
            let step = read_record(&mut spy, bytes.len() as u64).unwrap();
            let Step::Torn(damage) = step else {
                panic!("{declared}: read as a record");
            };
            assert!(
                matches!(damage, Damage::Length(_) | Damage::IncompleteBody),
                "{damage}"
            );
            assert!(
                spy.largest_buffer <= HEADER,
                "{declared}: a {} byte buffer was allocated",
                spy.largest_buffer
            );
        }
        // The same crafted header in a segment file: dropped as a torn tail
        // at the end of the log, corruption before it.
        let dir = tempdir();
        let mut bytes = Vec::new();
        record(&mut bytes, 1);
        let whole = bytes.len() as u64;
        bytes.extend_from_slice(&header(u32::MAX));
        let crafted = segment(&dir, &bytes);
        assert!(matches!(
            collect(&crafted, false),
            Err(JournalError::Corrupt(Corruption::Segment {
                damage: Damage::Length(u32::MAX),
                ..
            }))
        ));
        assert_eq!(collect(&crafted, true).unwrap(), [1]);
        assert_eq!(fs::metadata(&crafted.path).unwrap().len(), whole);
        fs::remove_dir_all(dir).unwrap();
    }

    pub(crate) fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("borderpost-log-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}
