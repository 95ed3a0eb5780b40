//! A download's file until it is whole.

use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::data_dir::{FILE_MODE, ScratchFile};

/// `<to>.partial`, next to `to`: readable by its owner only (downloads
/// hold health data), renamed to `to` by [`PartialFile::finish`] and
/// removed if dropped before, whatever failed on the way (the server, the
/// stream, a check, the disk).
#[derive(Debug)]
pub(super) struct PartialFile {
    scratch: ScratchFile,
    to: PathBuf,
}

impl PartialFile {
    /// Creates (or empties) the partial file of `to`, mode 0600.
    pub(super) fn create(to: &Path) -> io::Result<(Self, File)> {
        let mut name = to.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let dir = to.parent().unwrap_or(Path::new(""));
        let scratch = ScratchFile::new(dir, name);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(FILE_MODE)
            .open(scratch.path())?;
        // `mode` applies only to a new file; tighten one a crash left too.
        file.set_permissions(Permissions::from_mode(FILE_MODE))?;
        let partial = Self {
            scratch,
            to: to.to_path_buf(),
        };
        Ok((partial, file))
    }

    /// Where it is.
    pub(super) fn path(&self) -> &Path {
        self.scratch.path()
    }

    /// Gives the file (written and synced) its name, durably.
    pub(super) fn finish(self) -> io::Result<()> {
        std::fs::rename(self.scratch.path(), &self.to)?;
        if let Some(dir) = self.to.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}
