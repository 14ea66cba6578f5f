//! The data directory's lock: one `rampart` process per SQLite store.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::eventstore::StoreError;

/// Holds the OS lock on `<dir>/rampart.lock` until dropped.
#[derive(Debug)]
pub(super) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Creates `dir` if needed (private: [`crate::private_files::data_dir`])
    /// and takes its lock, recording this process id.
    pub(super) fn acquire(dir: &Path) -> Result<Self, StoreError> {
        crate::private_files::data_dir(dir).map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
        let path = dir.join("rampart.lock");
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut owner = String::new();
                let _ = file.read_to_string(&mut owner);
                let owner = owner.trim();
                let owner = if owner.is_empty() {
                    "unknown".to_owned()
                } else {
                    owner.to_owned()
                };
                return Err(StoreError::Locked(format!(
                    "the data directory {} is in use by another rampart process (pid {owner}); \
                     stop that process first, or set Database.Sqlite.Dir to another directory",
                    dir.display()
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(StoreError::Unavailable(format!(
                    "cannot lock {}: {e}",
                    path.display()
                )));
            }
        }
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "{}", std::process::id()))
            .map_err(|e| {
                StoreError::Unavailable(format!("cannot write {}: {e}", path.display()))
            })?;
        Ok(Self { _file: file })
    }
}
