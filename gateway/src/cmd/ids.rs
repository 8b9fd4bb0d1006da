//! `borderpost ids check`: validate identifiers, one line out per value in.

use std::io::{self, BufRead, BufWriter, Write};

use borderpost_core::id::{MAX_RAW_LEN, PartyId, Scheme};

/// Lines longer than this are not read into memory: a line of
/// `SCHEME VALUE` is at most a few dozen bytes.
const MAX_LINE: usize = 4096;

/// Checks `values` by `scheme`, or `SCHEME VALUE` lines on stdin when no
/// values are given. Returns whether every value was valid.
pub fn check(scheme: Option<&str>, values: &[String]) -> anyhow::Result<bool> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut all_valid = true;
    match (scheme, values.is_empty()) {
        (Some(scheme), false) => {
            let scheme = scheme.parse::<Scheme>();
            for value in values {
                all_valid &= report(
                    &mut out,
                    scheme.clone().and_then(|s| PartyId::parse(s, value)),
                )?;
            }
        }
        (None, _) | (Some(_), true) => {
            let stdin = io::stdin();
            let mut input = stdin.lock();
            let mut line = Vec::with_capacity(128);
            while let Some(read) = read_bounded_line(&mut input, &mut line)? {
                let result = match read {
                    Line::Complete => check_line(scheme, &line),
                    Line::Overlong(len) => Err(borderpost_core::IdError::TooLong {
                        len,
                        max: MAX_RAW_LEN,
                    }),
                };
                all_valid &= report(&mut out, result)?;
            }
        }
    }
    out.flush()?;
    Ok(all_valid)
}

/// One stdin line: `SCHEME VALUE`, or just `VALUE` when the scheme was given
/// on the command line.
fn check_line(scheme: Option<&str>, line: &[u8]) -> Result<PartyId, borderpost_core::IdError> {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    if text.is_empty() {
        return Err(borderpost_core::IdError::Empty);
    }
    let (scheme, value) = match scheme {
        Some(scheme) => (scheme, text),
        None => text.split_once(char::is_whitespace).unwrap_or((text, "")),
    };
    PartyId::parse(scheme.parse()?, value)
}

fn report(
    out: &mut impl Write,
    result: Result<PartyId, borderpost_core::IdError>,
) -> io::Result<bool> {
    match result {
        Ok(id) => writeln!(out, "valid {}", id.value()).map(|()| true),
        Err(e) => writeln!(out, "invalid: {e}").map(|()| false),
    }
}

/// What [`read_bounded_line`] read.
enum Line {
    /// The whole line is in the buffer.
    Complete,
    /// The line had this many bytes, too many to keep; the buffer is empty.
    Overlong(usize),
}

/// Reads one line (without its terminator) into `line`, keeping at most
/// `MAX_LINE` bytes: the rest of an overlong line is skipped without being
/// stored, so a hostile 10 GB line costs no memory. `None` at end of input.
fn read_bounded_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<Option<Line>> {
    line.clear();
    let mut len = 0usize;
    let mut any = false;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        any = true;
        let newline = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..newline.unwrap_or(buf.len())];
        len += chunk.len();
        if len <= MAX_LINE {
            line.extend_from_slice(chunk);
        } else {
            line.clear();
        }
        let consumed = newline.map_or(buf.len(), |at| at + 1);
        input.consume(consumed);
        if newline.is_some() {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if len > MAX_LINE {
        return Ok(Some(Line::Overlong(len)));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(Line::Complete))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<String> {
        let mut reader = io::BufReader::with_capacity(16, input);
        let mut line = Vec::new();
        let mut out = Vec::new();
        while let Some(read) = read_bounded_line(&mut reader, &mut line).unwrap() {
            out.push(match read {
                Line::Complete => String::from_utf8_lossy(&line).into_owned(),
                Line::Overlong(len) => format!("<{len}>"),
            });
        }
        out
    }

    #[test]
    fn reads_lines_and_skips_overlong_ones_without_storing_them() {
        let long = vec![b'1'; MAX_LINE + 10];
        let mut input = b"dk-cvr 55133018\r\n\nno-orgnr 1\n".to_vec();
        input.extend_from_slice(&long);
        input.extend_from_slice(b"\nlast");
        assert_eq!(
            lines(&input),
            [
                "dk-cvr 55133018",
                "",
                "no-orgnr 1",
                &format!("<{}>", MAX_LINE + 10),
                "last"
            ]
        );
    }

    #[test]
    fn a_line_names_its_scheme() {
        assert!(check_line(None, b"dk-cvr 55133018").is_ok());
        assert!(check_line(None, b"dk-cvr\t55133018").is_ok());
        assert!(check_line(None, b"55133018").is_err());
        assert!(check_line(Some("dk-cvr"), b" 55133018 ").is_ok());
    }
}
