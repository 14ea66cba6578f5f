//! Files only the server's own user may read: the data directory and the
//! databases in it hold password hashes, tokens and personal data, so they
//! must not inherit a permissive umask (`docs/operations.md`, "Files").

use std::io;
use std::path::Path;

/// The mode of private directories: owner only.
pub const DIR_MODE: u32 = 0o700;
/// The mode of private files: owner read and write.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents with [`DIR_MODE`], and narrows
/// `dir` itself to [`DIR_MODE`] when it already exists with more.
///
/// # Errors
/// The I/O error of creating or narrowing it.
pub fn data_dir(dir: &Path) -> io::Result<()> {
    create_dir(dir)?;
    narrow(dir, DIR_MODE)
}

/// Creates `dir` and its missing parents with [`DIR_MODE`]; an existing
/// directory is left as it is (it may be shared, e.g. a configuration
/// directory).
///
/// # Errors
/// The I/O error of creating it.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir)
}

/// Makes sure `path` exists with [`FILE_MODE`] before a library (SQLite)
/// creates it with its own default: creates it empty when missing, narrows
/// it when it exists with more.
///
/// # Errors
/// The I/O error of creating or narrowing it.
pub fn file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options.open(path)?;
    narrow(path, FILE_MODE)
}

/// Writes `contents` to `path` with [`FILE_MODE`] (narrowing a file that
/// existed with more), creating its directory with [`create_dir`], and
/// syncs it: what holds a secret is on disk before anything relies on it.
///
/// # Errors
/// The I/O error of any step.
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    write_with(path, contents, &mut options)
}

/// As [`write`], but fails with [`io::ErrorKind::AlreadyExists`] instead of
/// replacing a file that exists (another process may just have written it).
///
/// # Errors
/// The I/O error of any step.
pub fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    write_with(path, contents, &mut options)
}

fn write_with(path: &Path, contents: &[u8], options: &mut std::fs::OpenOptions) -> io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, FILE_MODE);
    let mut file = options.open(path)?;
    narrow(path, FILE_MODE)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// A SQLite database file and its companions (`-wal`, `-shm`, which SQLite
/// creates with the database file's mode) made private: the database file
/// exists with [`FILE_MODE`], and companions left by an older version are
/// narrowed.
///
/// # Errors
/// The I/O error of creating or narrowing one of them.
pub fn sqlite_database(path: &Path) -> io::Result<()> {
    file(path)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        match narrow(Path::new(&companion), FILE_MODE) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

/// Removes every permission bit of `path` outside `mode`; logs when it did.
#[cfg(unix)]
fn narrow(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o7777;
    if current & !mode == 0 {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(current & mode))?;
    tracing::info!(
        path = %path.display(),
        "narrowed permissions from {current:o} to {:o}: it holds secrets and personal data",
        current & mode
    );
    Ok(())
}

#[cfg(not(unix))]
fn narrow(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_data_directory_and_database_are_owner_only() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/data");
        data_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&root.path().join("a")), 0o700, "missing parents too");
        let db = dir.join("rampart.db");
        sqlite_database(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
    }

    #[test]
    fn existing_open_files_are_narrowed_and_their_contents_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = dir.path().join("rampart.db");
        std::fs::write(&db, b"kept").unwrap();
        std::fs::write(dir.path().join("rampart.db-wal"), b"").unwrap();
        for f in [&db, &dir.path().join("rampart.db-wal")] {
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        data_dir(dir.path()).unwrap();
        sqlite_database(&db).unwrap();
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&dir.path().join("rampart.db-wal")), 0o600);
        assert_eq!(std::fs::read(&db).unwrap(), b"kept");
    }

    #[test]
    fn written_secrets_are_owner_only_and_write_new_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/secret");
        write_new(&path, b"first").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("keys")), 0o700);
        let again = write_new(&path, b"second").unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(mode(&path), 0o600, "an open file is narrowed");
    }

    #[test]
    fn an_existing_shared_directory_is_left_alone_by_create_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        create_dir(dir.path()).unwrap();
        assert_eq!(mode(dir.path()), 0o755);
    }
}
