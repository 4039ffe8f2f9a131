//! Keeps a state directory private: it holds every input and output of
//! every resource, so the directory is 0700 and its files 0600 (Unix; a
//! no-op elsewhere). Opening an existing, looser one tightens it and says so.

use std::path::Path;

/// Creates `dir` (0700) if missing; else tightens it and everything in it
/// to 0700 (directories) and 0600 (files). Returns a note for what was
/// looser than that (nothing for a directory it created).
pub fn make_private(dir: &Path) -> std::io::Result<Vec<String>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
            return Ok(Vec::new());
        }
        if !dir.is_dir() {
            // Not ours to change: the caller's error names it.
            std::fs::create_dir_all(dir)?;
        }
        let mut loose = Vec::new();
        tighten(dir, &mut loose)?;
        Ok(match loose.is_empty() {
            true => Vec::new(),
            false => vec![format!(
                "tightened the permissions of the state directory {} ({}): it holds every input and output, so it is now readable by its owner only (directories 0700, files 0600)",
                dir.display(),
                loose.join(", ")
            )],
        })
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)?;
        Ok(Vec::new())
    }
}

/// Tightens `path` and, for a directory, what it holds; each path that was
/// looser is added to `loose` as `path was 0755`.
#[cfg(unix)]
fn tighten(path: &Path, loose: &mut Vec<String>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let wanted = if meta.is_dir() { 0o700 } else { 0o600 };
    let mode = meta.permissions().mode() & 0o777;
    if mode & !wanted != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & wanted))?;
        if loose.len() < 3 {
            loose.push(format!("{} was {mode:04o}", path.display()));
        } else if loose.len() == 3 {
            loose.push("...".into());
        }
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            tighten(&entry?.path(), loose)?;
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_directory_is_private_and_an_old_one_is_tightened() {
        let root = tempfile::tempdir().unwrap();
        let fresh = root.path().join("fresh");
        assert!(make_private(&fresh).unwrap().is_empty());
        assert_eq!(mode(&fresh), 0o700);

        let old = root.path().join("old");
        std::fs::create_dir(&old).unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(old.join("db"), b"x").unwrap();
        std::fs::set_permissions(old.join("db"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let notes = make_private(&old).unwrap();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("was 0755"), "{notes:?}");
        assert_eq!((mode(&old), mode(&old.join("db"))), (0o700, 0o600));
        assert!(make_private(&old).unwrap().is_empty(), "already private");
    }
}
