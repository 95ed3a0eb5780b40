//! The data dir on disk: private to the server's user, with a scratch dir
//! for backups being sent and the first administrator's token.
//!
//! Everything in it is confidential (records, token hashes, backups), so
//! directories are 0700 and files 0600. The process umask is set to 0o077
//! before anything is created, so what sled or anything else creates later
//! is private whatever umask the server was started with; what an older
//! version left more open is tightened at start-up.

use std::fs::DirBuilder;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::Mode;

/// Subdirectory of the data dir for backups being sent. The store ignores
/// it (snapshots hold sled's trees only), and a backup's file is removed
/// once sent, cancelled or failed, or at the next start after a crash.
pub const SCRATCH_DIR: &str = "tmp";

/// File in the data dir that receives the first administrator's token
/// (see [`write_secret`]), made by the server that made the administrator.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

/// Mode of directories in the data dir.
const DIR_MODE: u32 = 0o700;
/// Mode of files in the data dir.
pub const FILE_MODE: u32 = 0o600;

/// Makes every file the process creates from now on private (umask
/// 0o077; the umask is process-wide), and creates `dir` and its missing
/// parents as 0700.
pub fn create_private(dir: &Path) -> io::Result<()> {
    rustix::process::umask(Mode::from_raw_mode(0o077));
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// Makes `dir` and everything in it private (0700 directories, 0600
/// files), for data dirs made before the umask was set. Symlinks are left
/// alone, so nothing outside `dir` is changed. A file that vanishes while
/// this runs (sled replaces its snapshot files) needs nothing.
pub fn make_private(dir: &Path) -> io::Result<()> {
    match tighten(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

fn tighten(dir: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.is_symlink() {
        return Ok(());
    }
    let mode = if meta.is_dir() { DIR_MODE } else { FILE_MODE };
    if meta.permissions().mode() & 0o7777 != mode {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))?;
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            make_private(&entry?.path())?;
        }
    }
    Ok(())
}

/// Creates the scratch dir of `data_dir` (0700) if needed and empties it:
/// what is there was left by a crash. Call it only while holding the
/// store's lock, so no other server on the same data dir is using it.
pub fn clear_scratch(data_dir: &Path) -> io::Result<PathBuf> {
    let scratch = data_dir.join(SCRATCH_DIR);
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(&scratch)?;
    for entry in std::fs::read_dir(&scratch)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
        tracing::info!(path = %entry.path().display(), "removed a leftover temporary file");
    }
    Ok(scratch)
}

/// A file in the scratch dir that is removed when this is dropped, so a
/// failed or abandoned backup leaves nothing behind.
#[derive(Debug)]
pub struct ScratchFile {
    path: PathBuf,
}

impl ScratchFile {
    /// The (not yet created) file `name` in `scratch`.
    pub fn new(scratch: &Path, name: impl AsRef<Path>) -> Self {
        Self {
            path: scratch.join(name),
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the file for reading and removes its name at once: the open
    /// file keeps the data until it is closed, and nothing is left on disk
    /// if the process dies while it is read.
    pub fn open_unlinked(self) -> io::Result<std::fs::File> {
        let file = std::fs::File::open(&self.path);
        drop(self);
        file
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot remove a temporary file");
            }
            _ => {}
        }
    }
}

/// Writes `secret` and a newline to `path`, readable only by its owner,
/// durably (the file and its directory entry). With `create_new`, an
/// existing file is an error, never overwritten.
pub fn write_secret(path: &Path, secret: &str, create_new: bool) -> io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    let mut file = options.open(path)?;
    // `mode` applies only to new files; tighten an existing one too.
    file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    writeln!(file, "{secret}")?;
    file.sync_all()?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
