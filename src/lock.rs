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
        let path = chosen_dir(
            std::env::var_os("LINKUS_LOCK_DIR"),
            std::env::var_os("XDG_RUNTIME_DIR"),
        );
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

    /// The SN records (not the locks) of one portal, every SN: what `sandbox reset` forgets.
    pub fn records_of_portal(&self, portal_key: &str) -> Result<Vec<PathBuf>> {
        let prefix = format!("{:016x}-", files::fnv1a(portal_key.as_bytes()));
        let entries = match std::fs::read_dir(&self.path) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("could not list {}", self.path.display()))
            }
        };
        let mut records = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&prefix) && name.ends_with(".jsonl") {
                records.push(entry.path());
            }
        }
        records.sort();
        Ok(records)
    }

    /// Takes the SN's lock without waiting. Held by another process: exit 9, naming it. Async
    /// only for the refusal, which waits a moment for the holder's note without blocking the
    /// runtime (a batch's other orders may be in flight on it).
    pub async fn lock(
        &self,
        portal_key: &str,
        sn: &str,
        command: &str,
        now: &str,
    ) -> Result<SnLock> {
        let mut path = self.stem(portal_key, sn).into_os_string();
        path.push(".lock");
        let path = PathBuf::from(path);
        let mut file = files::open_private(&path)
            .with_context(|| format!("could not open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(held_by(sn, read_holder(&mut file).await).into());
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
async fn read_holder(file: &mut File) -> Option<Holder> {
    for _ in 0..NOTE_TRIES {
        let mut text = String::new();
        if file.rewind().is_ok() && file.read_to_string(&mut text).is_ok() {
            if let Ok(holder) = serde_json::from_str(&text) {
                return Some(holder);
            }
        }
        tokio::time::sleep(NOTE_WAIT).await;
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

/// The lock folder for the values of `LINKUS_LOCK_DIR` and `XDG_RUNTIME_DIR` (an empty one
/// counts as unset).
fn chosen_dir(
    lock_dir: Option<std::ffi::OsString>,
    runtime: Option<std::ffi::OsString>,
) -> PathBuf {
    match lock_dir.filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => default_dir(runtime),
    }
}

#[cfg(unix)]
fn default_dir(runtime: Option<std::ffi::OsString>) -> PathBuf {
    match runtime.filter(|v| !v.is_empty()) {
        Some(runtime) => PathBuf::from(runtime).join("linkus"),
        None => {
            std::env::temp_dir().join(format!("linkus-{}", rustix::process::geteuid().as_raw()))
        }
    }
}

#[cfg(not(unix))]
fn default_dir(_runtime: Option<std::ffi::OsString>) -> PathBuf {
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
    fn the_records_of_a_portal_are_its_sns_journals_not_its_locks_nor_another_portals() {
        let temp = tempfile::tempdir().unwrap();
        // No folder yet: no records, no error.
        assert!(dir(&temp.path().join("none"))
            .records_of_portal("https://p")
            .unwrap()
            .is_empty());
        let locks = dir(temp.path());
        for (portal, sn) in [
            ("https://p", "A1"),
            ("https://p", "B2"),
            ("https://q", "A1"),
        ] {
            locks
                .record(portal, sn)
                .append(&crate::journal::Entry::Intent(
                    crate::journal::tests::intent(sn),
                ))
                .unwrap();
        }
        // A lock file of the portal is not a record.
        std::fs::write(locks.stem("https://p", "C3"), b"").unwrap();
        let records = locks.records_of_portal("https://p").unwrap();
        let names: Vec<String> = records
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let prefix = format!("{:016x}-", files::fnv1a(b"https://p"));
        assert_eq!(
            names,
            [format!("{prefix}A1.jsonl"), format!("{prefix}B2.jsonl")]
        );
        // A folder that cannot be listed is an error, not "no records".
        let file = temp.path().join("a-file");
        std::fs::write(&file, b"").unwrap();
        assert!(dir(&file).records_of_portal("https://p").is_err());
    }

    #[tokio::test]
    async fn a_second_lock_on_the_same_sn_is_refused_naming_the_first() {
        let temp = tempfile::tempdir().unwrap();
        let locks = dir(temp.path());
        let held = locks
            .lock("https://p", "A1", "linkus purchase", "10:00")
            .await
            .unwrap();
        let refused = locks
            .lock("https://p", "a1", "linkus purchase", "10:01")
            .await
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
        // `--json` names the lock and the run holding it.
        let by = failure.blocked_by.as_ref().unwrap();
        assert_eq!(by.source, Some("lock"));
        assert_eq!(by.pid, Some(std::process::id()));
        // Another SN, or another portal, is not blocked.
        assert!(locks.lock("https://p", "B2", "x", "y").await.is_ok());
        assert!(locks.lock("sandbox:/tmp/a", "A1", "x", "y").await.is_ok());
        drop(held);
        assert!(locks.lock("https://p", "A1", "x", "y").await.is_ok());
    }

    #[tokio::test]
    async fn a_run_refused_before_the_holder_wrote_its_note_still_names_it() {
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
        let refused = locks.lock("https://p", "A1", "x", "y").await.unwrap_err();
        writer.join().unwrap();
        let failure = refused.downcast_ref::<Failure>().unwrap();
        assert!(failure.message.contains("pid 4242"), "{}", failure.message);
        drop(held);
    }

    /// A run refused while the holder has not written its note waits for the note without
    /// holding up the runtime: on linkus's single-thread runtime, a batch's other rows (orders
    /// in flight, their answers, the pool's closes) keep going meanwhile.
    #[tokio::test(flavor = "current_thread")]
    async fn waiting_for_the_holders_note_does_not_stall_the_runtime() {
        let temp = tempfile::tempdir().unwrap();
        let locks = dir(temp.path());
        let mut path = locks.stem("https://p", "A1").into_os_string();
        path.push(".lock");
        let held = files::open_private(&PathBuf::from(path)).unwrap();
        held.try_lock().unwrap();
        let ticks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let ticker = {
            let ticks = ticks.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            })
        };
        tokio::task::yield_now().await;
        let started = std::time::Instant::now();
        let refused = locks.lock("https://p", "A1", "x", "y").await.unwrap_err();
        let waited = started.elapsed();
        ticker.abort();
        assert!(refused.downcast_ref::<Failure>().is_some());
        assert!(waited >= NOTE_WAIT * (NOTE_TRIES - 1), "{waited:?}");
        // The ticker ran all along: about one tick every 2 ms of the ~200 ms wait.
        let ticks = ticks.load(std::sync::atomic::Ordering::SeqCst);
        assert!(ticks >= 20, "{ticks} ticks in {waited:?}");
        drop(held);
    }

    #[test]
    fn the_lock_folder_is_the_overrides_else_the_runtime_folders_else_a_per_user_temporary_one() {
        let os = |text: &str| Some(std::ffi::OsString::from(text));
        assert_eq!(chosen_dir(os("/l"), os("/run/u")), PathBuf::from("/l"));
        #[cfg(unix)]
        {
            let per_user = std::env::temp_dir()
                .join(format!("linkus-{}", rustix::process::geteuid().as_raw()));
            assert_eq!(
                chosen_dir(os(""), os("/run/u")),
                PathBuf::from("/run/u/linkus")
            );
            assert_eq!(
                chosen_dir(None, os("/run/u")),
                PathBuf::from("/run/u/linkus")
            );
            assert_eq!(chosen_dir(None, os("")), per_user);
            assert_eq!(chosen_dir(os(""), None), per_user);
        }
    }

    /// A lock folder that another user owns could be used to trick linkus: refused (exit 2);
    /// one's own is used.
    #[cfg(unix)]
    #[test]
    fn a_lock_folder_owned_by_another_user_is_refused() {
        let temp = tempfile::tempdir().unwrap();
        assert!(check_owner(temp.path()).is_ok());
        let foreign = if rustix::process::geteuid().is_root() {
            let foreign = temp.path().join("theirs");
            std::fs::create_dir(&foreign).unwrap();
            std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).unwrap();
            foreign
        } else {
            // Owned by root.
            PathBuf::from("/")
        };
        let refused = check_owner(&foreign).unwrap_err();
        let failure = refused.downcast_ref::<Failure>().unwrap();
        assert_eq!(failure.kind, Kind::Config);
        assert!(
            failure.message.contains("belongs to another user"),
            "{}",
            failure.message
        );
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
