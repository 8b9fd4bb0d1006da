//! The journal's files on disk: owner-only permissions, and the format
//! marker that keeps this version from misreading a journal another
//! version wrote.
//!
//! Every directory is 0700 and every file 0600, set explicitly with
//! `chmod` after creation (never left to the process umask). The log, the
//! marker and the payload key are created that way. sled creates its files
//! with default modes, so they are tightened when the journal opens and at
//! every checkpoint; in between, the 0700 directories keep them from other
//! users. An existing directory or file others could reach is tightened,
//! with a warning; if that is not possible the journal does not start.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::codec::Fields;
use super::{FormatError, JournalError};

/// The journal format this version writes and reads. Format 1 (no marker
/// file) kept recipients, receipts and notes in clear.
pub(super) const FORMAT: u32 = 2;
/// The marker file in the journal directory.
const MARKER: &str = "format";
/// The key check file: a value sealed with the journal's key.
const KEY_CHECK: &str = "key-check";
const MARKER_PREFIX: &str = "borderpost-journal ";

/// Makes `dir` ready for this version: creates it owner-only or tightens
/// it, writes the format marker into a new journal, and refuses a journal
/// of another format.
pub(super) fn prepare(dir: &Path) -> Result<(), JournalError> {
    private_dir(dir)?;
    let marker = dir.join(MARKER);
    match fs::read(&marker) {
        Ok(bytes) => {
            private_file(&marker).map_err(|source| permissions(&marker, source))?;
            let text = String::from_utf8_lossy(&bytes);
            let found = text.trim();
            if found.strip_prefix(MARKER_PREFIX) != Some(FORMAT.to_string().as_str()) {
                return Err(FormatError::Unknown {
                    dir: dir.to_owned(),
                    found: found.chars().take(64).collect(),
                    expected: FORMAT,
                }
                .into());
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // A journal without a marker was written before the format had
            // one (format 1): its log holds personal data in clear, in
            // records this version does not decode.
            if !is_empty(&dir.join("log"))? || !is_empty(&dir.join("state"))? {
                return Err(FormatError::Earlier {
                    dir: dir.to_owned(),
                }
                .into());
            }
            create_private(&marker, format!("{MARKER_PREFIX}{FORMAT}\n").as_bytes())?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Checks that `fields` holds the key the journal in `dir` was sealed
/// with, or records its check in a new journal.
pub(super) fn check_key(dir: &Path, fields: &Fields) -> Result<(), JournalError> {
    let path = dir.join(KEY_CHECK);
    match fs::read(&path) {
        Ok(sealed) => {
            private_file(&path).map_err(|source| permissions(&path, source))?;
            if fields.is_key_check(&sealed) {
                Ok(())
            } else {
                Err(JournalError::WrongKey { path })
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            create_private(&path, &fields.key_check()?)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn is_empty(dir: &Path) -> io::Result<bool> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

fn permissions(path: &Path, source: io::Error) -> JournalError {
    JournalError::Permissions {
        path: path.to_owned(),
        source,
    }
}

/// Creates `dir` (and its missing parents) owner-only, or makes an
/// existing one owner-only.
pub(super) fn private_dir(dir: &Path) -> Result<(), JournalError> {
    let existed = dir.exists();
    create_dirs(dir).map_err(|source| permissions(dir, source))?;
    tighten(dir, 0o700, existed).map_err(|source| permissions(dir, source))
}

/// Gives every directory under `dir` (and `dir`) 0700 and every file 0600:
/// what sled created with default modes.
pub(super) fn tighten_tree(dir: &Path) -> Result<(), JournalError> {
    tighten(dir, 0o700, false).map_err(|source| permissions(dir, source))?;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let kind = fs::symlink_metadata(&path)?.file_type();
        if kind.is_dir() {
            tighten_tree(&path)?;
        } else if kind.is_file() {
            tighten(&path, 0o600, false).map_err(|source| permissions(&path, source))?;
        }
    }
    Ok(())
}

/// Makes an existing file owner-only (0600), warning if others could read
/// it.
pub(super) fn private_file(path: &Path) -> io::Result<()> {
    tighten(path, 0o600, true)
}

/// Creates `path` with `contents`, owner-only, in owner-only directories
/// created as needed; the file and its directory entry are synced.
pub(super) fn create_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let parent = path.parent().unwrap_or_else(|| Path::new("."));
    create_dirs(parent)?;
    let mut file = private_options().write(true).create_new(true).open(path)?;
    set_mode(&file, 0o600)?;
    file.write_all(contents)?;
    file.sync_all()?;
    sync_dir(parent)
}

/// Opens (creating if needed) a file to append to, owner-only.
pub(super) fn open_private_append(path: &Path) -> io::Result<File> {
    let file = private_options().create(true).append(true).open(path)?;
    set_mode(&file, 0o600)?;
    Ok(file)
}

/// Makes a directory entry (a new or removed file) durable.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates the missing directories of `dir`, top down, each 0700.
fn create_dirs(dir: &Path) -> io::Result<()> {
    let mut missing: Vec<PathBuf> = Vec::new();
    let mut at = Some(dir);
    while let Some(path) = at {
        if path.as_os_str().is_empty() || path.exists() {
            break;
        }
        missing.push(path.to_owned());
        at = path.parent();
    }
    for path in missing.iter().rev() {
        match dir_builder().create(path) {
            Ok(()) => tighten(path, 0o700, false)?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(unix)]
fn private_options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> OpenOptions {
    OpenOptions::new()
}

#[cfg(unix)]
fn dir_builder() -> fs::DirBuilder {
    use std::os::unix::fs::DirBuilderExt;
    let mut builder = fs::DirBuilder::new();
    builder.mode(0o700);
    builder
}

#[cfg(not(unix))]
fn dir_builder() -> fs::DirBuilder {
    fs::DirBuilder::new()
}

/// Sets an open file's mode (`fchmod`: the umask does not apply).
#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Gives `path` exactly `mode` if it has any other; warns when it was
/// open to others and `warn` is set (something found on start, not a file
/// just created).
#[cfg(unix)]
fn tighten(path: &Path, mode: u32, warn: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let was = fs::metadata(path)?.permissions().mode() & 0o7777;
    if was == mode {
        return Ok(());
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    if warn && was & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            was = format!("{was:04o}"),
            now = format!("{mode:04o}"),
            "other users could reach this file or directory; it is owner-only now"
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _mode: u32, _warn: bool) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
pub(super) mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// Every path under `dir` (and `dir`) with its mode.
    pub(in crate::journal) fn modes(dir: &Path) -> Vec<(PathBuf, u32)> {
        let mut out = vec![(
            dir.to_owned(),
            fs::metadata(dir).unwrap().permissions().mode() & 0o7777,
        )];
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(modes(&path));
            } else {
                let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
                out.push((path, mode));
            }
        }
        out
    }

    #[test]
    fn a_loose_existing_directory_is_tightened_and_a_marker_written() {
        let dir = std::env::temp_dir().join(format!("borderpost-files-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(dir.join("log")).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        prepare(&dir).unwrap();
        for (path, mode) in modes(&dir) {
            let want = if path.is_dir() { 0o700 } else { 0o600 };
            if path == dir.join("log") {
                // Not this function's: the journal tightens it on open.
                continue;
            }
            assert_eq!(mode, want, "{}", path.display());
        }
        assert_eq!(
            fs::read_to_string(dir.join(MARKER)).unwrap(),
            "borderpost-journal 2\n"
        );
        // Preparing again accepts the marker.
        prepare(&dir).unwrap();
        fs::remove_dir_all(dir).unwrap();
    }
}
