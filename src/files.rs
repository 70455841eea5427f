//! Private files: folders of mode 0700, files of mode 0600, written atomically, and a lock for
//! read-modify-write cycles, so that two `linkus` processes at once never corrupt a file.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Creates `dir` (and its parents) and makes it private to the user.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir)
        .with_context(|| format!("could not create the folder {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode != 0o700 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .with_context(|| format!("could not make {} private (mode 0700)", dir.display()))?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` with mode 0600: to a temporary file in the same folder first,
/// then renamed over the old file, so that a reader sees the old or the new file, whole.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent folder", path.display()))?;
    ensure_private_dir(dir)?;
    let mut file = tempfile::Builder::new()
        .prefix(".linkus-")
        .tempfile_in(dir)
        .with_context(|| format!("could not write in {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path)
        .map_err(|error| error.error)
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}

/// An exclusive advisory lock, held until dropped.
pub struct Lock {
    _file: File,
}

/// Takes the lock file `path`, waiting for another process to let it go.
pub fn lock(path: &Path) -> Result<Lock> {
    if let Some(dir) = path.parent() {
        ensure_private_dir(dir)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("could not open the lock file {}", path.display()))?;
    file.lock()
        .with_context(|| format!("could not lock {}", path.display()))?;
    Ok(Lock { _file: file })
}

/// The lock file that guards `path`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    path.with_file_name(name)
}

/// Reads a file that may not exist yet.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("could not read {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_0600_in_0700_folders() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("a/b/secret.toml");
        write_private(&path, b"x = 1").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"x = 1");
        write_private(&path, b"x = 2").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"x = 2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn concurrent_writers_never_leave_a_torn_file() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("cache.json");
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let body = vec![b'a' + i as u8; 64 * 1024];
                    for _ in 0..10 {
                        write_private(&path, &body).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let body = fs::read(&path).unwrap();
        assert_eq!(body.len(), 64 * 1024);
        assert!(body.iter().all(|b| *b == body[0]));
    }
}
