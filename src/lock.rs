//! One `linkus` at a time per portal and PBX (CLI.md section 3, "Never twice").
//!
//! A lock file per portal and SN, held from the checks until the order's outcome is journaled.
//! It is an advisory lock that the operating system drops when the process dies, so a crash
//! never leaves an SN locked. The folder is per user and does not depend on `HOME`
//! (`$XDG_RUNTIME_DIR/linkus`, else `linkus-<uid>` in the system's temporary folder;
//! `LINKUS_LOCK_DIR` overrides), so that runs with different `HOME`s or data folders see each
//! other. Beside each lock, a small journal keeps that SN's orders, read with the journal's
//! rules.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::error::{BlockedBy, Failure, Kind};
use crate::files;
use crate::journal::Journal;

/// The folder of locks and SN records.
#[derive(Debug, Clone)]
pub struct LockDir {
    path: PathBuf,
}

/// Who holds a lock, written into the lock file for the one that is refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    pub pid: u32,
    pub command: String,
    pub since: String,
}

/// A held lock on one portal and SN; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct SnLock {
    _file: File,
}

impl LockDir {
    /// The folder the contract names, created (mode 0700) if it does not exist; refused if
    /// another user owns it.
    pub fn locate() -> Result<Self> {
        let path = match std::env::var_os("LINKUS_LOCK_DIR").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => default_dir(),
        };
        files::ensure_private_dir(&path).map_err(|error| {
            Failure::new(
                Kind::Config,
                format!(
                    "Could not use the lock folder {}: {error:#}",
                    path.display()
                ),
            )
            .hint("Set LINKUS_LOCK_DIR to a folder of yours.")
        })?;
        check_owner(&path)?;
        Ok(LockDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn stem(&self, portal_key: &str, sn: &str) -> PathBuf {
        self.path.join(format!(
            "{:016x}-{}",
            files::fnv1a(portal_key.as_bytes()),
            sn.trim().to_ascii_uppercase()
        ))
    }

    /// The small journal of this SN's orders, beside its lock.
    pub fn record(&self, portal_key: &str, sn: &str) -> Journal {
        let mut path = self.stem(portal_key, sn).into_os_string();
        path.push(".jsonl");
        Journal::new(PathBuf::from(path))
    }

    /// Takes the SN's lock without waiting. Held by another process: exit 9, naming it.
    pub fn lock(&self, portal_key: &str, sn: &str, command: &str, now: &str) -> Result<SnLock> {
        let mut path = self.stem(portal_key, sn).into_os_string();
        path.push(".lock");
        let path = PathBuf::from(path);
        let mut file = files::open_private(&path)
            .with_context(|| format!("could not open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(held_by(sn, read_holder(&mut file)).into());
            }
            Err(std::fs::TryLockError::Error(error)) => {
                return Err(error).with_context(|| format!("could not lock {}", path.display()))
            }
        }
        let holder = Holder {
            pid: std::process::id(),
            command: command.to_owned(),
            since: now.to_owned(),
        };
        // Best effort: the lock is what matters; the note only helps the one refused.
        let _ = file.set_len(0).and_then(|()| file.rewind()).and_then(|()| {
            file.write_all(
                serde_json::to_string(&holder)
                    .unwrap_or_default()
                    .as_bytes(),
            )
        });
        Ok(SnLock { _file: file })
    }
}

/// The holder writes its note just after it takes the lock (and empties the file first): a
/// run refused in between waits a moment for the note, so that it can name the holder.
fn read_holder(file: &mut File) -> Option<Holder> {
    for _ in 0..NOTE_TRIES {
        let mut text = String::new();
        if file.rewind().is_ok() && file.read_to_string(&mut text).is_ok() {
            if let Ok(holder) = serde_json::from_str(&text) {
                return Some(holder);
            }
        }
        std::thread::sleep(NOTE_WAIT);
    }
    None
}

const NOTE_TRIES: u32 = 20;
const NOTE_WAIT: std::time::Duration = std::time::Duration::from_millis(10);

fn held_by(sn: &str, holder: Option<Holder>) -> Failure {
    let who = match &holder {
        Some(holder) => format!(
            "Another linkus (pid {}, `{}`, since {}) is ordering for SN {sn} right now",
            holder.pid, holder.command, holder.since
        ),
        None => format!("Another linkus is ordering for SN {sn} right now"),
    };
    let mut failure = Failure::new(Kind::Blocked, format!("{who}; nothing was sent."))
        .hint("Wait for it to finish, then run the command again: it will see that order.");
    failure.blocked_by = Some(BlockedBy {
        source: Some("lock"),
        pid: holder.map(|h| h.pid),
        ..BlockedBy::default()
    });
    failure
}

#[cfg(unix)]
fn default_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        Some(runtime) => PathBuf::from(runtime).join("linkus"),
        None => {
            std::env::temp_dir().join(format!("linkus-{}", rustix::process::geteuid().as_raw()))
        }
    }
}

#[cfg(not(unix))]
fn default_dir() -> PathBuf {
    // The temporary folder is already per user on Windows.
    std::env::temp_dir().join("linkus")
}

/// A lock folder someone else owns could be used to trick us; it is refused.
#[cfg(unix)]
fn check_owner(path: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(path)?.uid();
    let me = rustix::process::geteuid().as_raw();
    if owner != me {
        return Err(Failure::new(
            Kind::Config,
            format!(
                "The lock folder {} belongs to another user (uid {owner}), so linkus will not use it.",
                path.display()
            ),
        )
        .hint("Set LINKUS_LOCK_DIR to a folder of yours.")
        .into());
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(path: &Path) -> LockDir {
        LockDir {
            path: path.to_path_buf(),
        }
    }

    #[test]
    fn a_second_lock_on_the_same_sn_is_refused_naming_the_first() {
        let temp = tempfile::tempdir().unwrap();
        let locks = dir(temp.path());
        let held = locks
            .lock("https://p", "A1", "linkus purchase", "10:00")
            .unwrap();
        let refused = locks
            .lock("https://p", "a1", "linkus purchase", "10:01")
            .unwrap_err();
        let failure = refused.downcast_ref::<Failure>().unwrap();
        assert_eq!(failure.kind, Kind::Blocked);
        assert!(
            failure
                .message
                .contains(&format!("pid {}", std::process::id())),
            "{}",
            failure.message
        );
        // Another SN, or another portal, is not blocked.
        assert!(locks.lock("https://p", "B2", "x", "y").is_ok());
        assert!(locks.lock("sandbox:/tmp/a", "A1", "x", "y").is_ok());
        drop(held);
        assert!(locks.lock("https://p", "A1", "x", "y").is_ok());
    }

    #[test]
    fn a_run_refused_before_the_holder_wrote_its_note_still_names_it() {
        let temp = tempfile::tempdir().unwrap();
        let locks = dir(temp.path());
        // A holder that has the lock but has not written its note yet.
        let mut path = locks.stem("https://p", "A1").into_os_string();
        path.push(".lock");
        let path = PathBuf::from(path);
        let held = files::open_private(&path).unwrap();
        held.try_lock().unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            std::fs::write(
                &path,
                r#"{"pid":4242,"command":"linkus purchase","since":"10:00"}"#,
            )
            .unwrap();
        });
        let refused = locks.lock("https://p", "A1", "x", "y").unwrap_err();
        writer.join().unwrap();
        let failure = refused.downcast_ref::<Failure>().unwrap();
        assert!(failure.message.contains("pid 4242"), "{}", failure.message);
        drop(held);
    }

    #[test]
    fn records_are_per_portal_and_sn() {
        let locks = dir(Path::new("/l"));
        assert_ne!(locks.record("a", "1").path(), locks.record("b", "1").path());
        assert_eq!(
            locks.record("a", "x1").path(),
            locks.record("a", "X1").path()
        );
    }
}
