//! The state file's safety: a lock for each read-modify-write cycle, and atomic writes of
//! mode 0600 in a folder of mode 0700, so that several processes can share one sandbox.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Creates `dir` and any missing parents with mode 0700. A folder that already exists is left
/// as it is: linkus never changes the mode of a folder it did not create (CLI.md section 6),
/// and the state file in it is private (0600) anyway.
fn ensure_private_dir(dir: &Path) -> Result<()> {
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

/// Writes `bytes` to `path` with mode 0600: to a temporary file in the same folder first,
/// then renamed over the old file, so that a reader sees the old or the new file, whole.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent folder", path.display()))?;
    ensure_private_dir(dir)?;
    let mut file = tempfile::Builder::new()
        .prefix(".sandbox-")
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

/// An exclusive advisory lock, held until dropped; the operating system releases it if the
/// process dies.
pub(crate) struct Lock {
    _file: File,
}

/// Takes the lock that guards `path` (a `.lock` file beside it), waiting for another process
/// to let it go.
pub(crate) fn lock(path: &Path) -> Result<Lock> {
    let lock_path = lock_path(path);
    if let Some(dir) = lock_path.parent() {
        ensure_private_dir(dir)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("could not open the lock file {}", lock_path.display()))?;
    file.lock()
        .with_context(|| format!("could not lock {}", lock_path.display()))?;
    Ok(Lock { _file: file })
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_file_is_0600_in_a_0700_folder_and_leaves_no_temporary_file() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("sandbox/state.json");
        write_private(&path, b"{}").unwrap();
        write_private(&path, b"{\"orders\":[]}").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{\"orders\":[]}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
        assert_eq!(
            lock_path(&path),
            temp.path().join("sandbox/state.json.lock")
        );
    }
}
