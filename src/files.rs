//! Private files: folders of mode 0700, files of mode 0600, written atomically, and a lock for
//! read-modify-write cycles, so that two `linkus` processes at once never corrupt a file.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Creates `dir` and any missing parents with mode 0700. A folder that already exists is left
/// as it is: `linkus` never changes the mode of a folder it did not create (CLI.md section 6).
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("could not create the folder {}", dir.display()))
}

/// Opens (creating if needed, mode 0600) a file for reading and writing, without truncating it.
pub fn open_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
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
    let file = open_private(path)
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

/// A stable 64-bit hash for file names (FNV-1a).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
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

    #[cfg(unix)]
    #[test]
    fn folders_that_exist_keep_their_mode_and_lock_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        let shared = temp.path().join("shared");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o755)).unwrap();
        write_private(&shared.join("f"), b"x").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&shared), 0o755);
        let _lock = lock(&shared.join("f.lock")).unwrap();
        assert_eq!(mode(&shared.join("f.lock")), 0o600);
        ensure_private_dir(&shared.join("a/b")).unwrap();
        assert_eq!(mode(&shared.join("a")), 0o700);
        assert_eq!(mode(&shared.join("a/b")), 0o700);
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
