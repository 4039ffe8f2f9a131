//! Code assets: a file or directory packed into a zip that is byte-for-byte
//! deterministic, so the same source always has the same SHA-256 (the value
//! Lambda reports as `CodeSha256`) and an unchanged asset never looks changed.
//!
//! The archive has one entry per regular file (no directory entries), sorted
//! by path, every timestamp 1980-01-01 00:00, Unix mode 0644 (0755 when any
//! execute bit is set), "made by" Unix, deflate at a fixed level. The bytes
//! depend on the deflate implementation, which Cargo.lock pins: a dependency
//! upgrade may change the hash once (one harmless code update).

use base64::Engine;
use sha2::Digest;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

/// The fixed compression level (zlib's default; fast and compact enough).
const DEFLATE_LEVEL: i64 = 6;

/// A packed asset: the zip bytes and their hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedAsset {
    pub zip: Vec<u8>,
    /// base64 of the zip's SHA-256, as Lambda reports `CodeSha256`.
    pub sha256: String,
    /// The number of files in the archive.
    pub files: usize,
    /// The total size of the files before compression.
    pub unpacked_bytes: u64,
}

/// Why an asset could not be packed (the path and what went wrong).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetError(pub String);

impl std::fmt::Display for AssetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AssetError {}

/// One file to put in the archive.
struct Entry {
    /// The archive path, `/`-separated, relative to the asset root.
    name: String,
    source: PathBuf,
    executable: bool,
}

/// Packs `path` (a file, or a directory packed recursively) into a
/// deterministic zip. A single file is stored under its own file name.
pub fn pack(path: &Path) -> Result<PackedAsset, AssetError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| AssetError(format!("cannot read asset {}: {e}", path.display())))?;
    let mut entries = Vec::new();
    if meta.is_dir() {
        collect(path, "", &mut entries)?;
    } else if meta.is_file() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| {
                AssetError(format!(
                    "asset {} has no file name in UTF-8",
                    path.display()
                ))
            })?
            .to_string();
        entries.push(Entry {
            name,
            source: path.to_path_buf(),
            executable: is_executable(&meta),
        });
    } else {
        return Err(AssetError(format!(
            "asset {} is neither a file nor a directory",
            path.display()
        )));
    }
    if entries.is_empty() {
        return Err(AssetError(format!(
            "asset directory {} contains no files",
            path.display()
        )));
    }
    entries.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    write_zip(&entries)
}

/// base64 of the SHA-256 of `bytes` (Lambda's `CodeSha256` format).
pub fn code_sha256(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
}

fn collect(dir: &Path, prefix: &str, out: &mut Vec<Entry>) -> Result<(), AssetError> {
    let read = std::fs::read_dir(dir)
        .map_err(|e| AssetError(format!("cannot list {}: {e}", dir.display())))?;
    for item in read {
        let item = item.map_err(|e| AssetError(format!("cannot list {}: {e}", dir.display())))?;
        let path = item.path();
        let file_name = item.file_name();
        let file_name = file_name.to_str().ok_or_else(|| {
            AssetError(format!(
                "{} has a name that is not UTF-8; zip entry names must be",
                path.display()
            ))
        })?;
        let name = format!("{prefix}{file_name}");
        // Follows symlinks to files; a symlinked directory could loop, so it
        // is refused rather than followed.
        let link = std::fs::symlink_metadata(&path)
            .map_err(|e| AssetError(format!("cannot read {}: {e}", path.display())))?;
        let meta = std::fs::metadata(&path)
            .map_err(|e| AssetError(format!("cannot read {}: {e}", path.display())))?;
        if meta.is_dir() {
            if link.file_type().is_symlink() {
                return Err(AssetError(format!(
                    "{} is a symlink to a directory; assets follow file symlinks only",
                    path.display()
                )));
            }
            collect(&path, &format!("{name}/"), out)?;
        } else if meta.is_file() {
            out.push(Entry {
                name,
                source: path,
                executable: is_executable(&meta),
            });
        }
        // Sockets, fifos and devices are not code: skipped.
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

fn write_zip(entries: &[Entry]) -> Result<PackedAsset, AssetError> {
    let zip_err = |e: zip::result::ZipError| AssetError(format!("cannot write the zip: {e}"));
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut unpacked_bytes = 0u64;
    for entry in entries {
        let data = std::fs::read(&entry.source)
            .map_err(|e| AssetError(format!("cannot read {}: {e}", entry.source.display())))?;
        unpacked_bytes += data.len() as u64;
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(DEFLATE_LEVEL))
            .last_modified_time(zip::DateTime::default())
            .system(zip::System::Unix)
            .unix_permissions(if entry.executable { 0o755 } else { 0o644 })
            .large_file(data.len() as u64 >= u64::from(u32::MAX));
        writer
            .start_file(entry.name.as_str(), options)
            .map_err(zip_err)?;
        writer
            .write_all(&data)
            .map_err(|e| AssetError(format!("cannot write the zip: {e}")))?;
    }
    let zip = writer.finish().map_err(zip_err)?.into_inner();
    Ok(PackedAsset {
        sha256: code_sha256(&zip),
        zip,
        files: entries.len(),
        unpacked_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn write(dir: &Path, rel: &str, body: &str) {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, body).expect("write");
    }

    #[test]
    fn same_source_gives_same_bytes_whatever_the_mtimes() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "index.mjs",
            "export const main = async () => 1;\n",
        );
        write(dir.path(), "lib/util.mjs", "export const two = 2;\n");
        let first = pack(dir.path()).expect("pack");

        // Rewriting with the same content moves the mtime; the hash must not move.
        std::thread::sleep(std::time::Duration::from_millis(20));
        write(
            dir.path(),
            "index.mjs",
            "export const main = async () => 1;\n",
        );
        let file = std::fs::File::options()
            .write(true)
            .open(dir.path().join("lib/util.mjs"))
            .expect("open");
        file.set_modified(
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000),
        )
        .expect("set mtime");
        let second = pack(dir.path()).expect("pack");
        assert_eq!(first.zip, second.zip);
        assert_eq!(first.sha256, second.sha256);
        assert_eq!(first.sha256, code_sha256(&first.zip));
        assert_eq!(first.files, 2);
    }

    #[test]
    fn a_content_change_changes_the_hash() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "index.mjs",
            "export const main = async () => 1;\n",
        );
        let before = pack(dir.path()).expect("pack");
        write(
            dir.path(),
            "index.mjs",
            "export const main = async () => 2;\n",
        );
        let after = pack(dir.path()).expect("pack");
        assert_ne!(before.sha256, after.sha256);
    }

    #[test]
    fn entries_are_sorted_files_with_fixed_times_and_modes() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "b.txt", "b");
        write(dir.path(), "a/z.txt", "z");
        write(dir.path(), "a.txt", "a");
        write(dir.path(), "bootstrap", "#!/bin/sh\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                dir.path().join("bootstrap"),
                std::fs::Permissions::from_mode(0o700),
            )
            .expect("chmod");
            std::fs::set_permissions(
                dir.path().join("b.txt"),
                std::fs::Permissions::from_mode(0o600),
            )
            .expect("chmod");
        }
        let packed = pack(dir.path()).expect("pack");
        let mut archive = zip::ZipArchive::new(Cursor::new(packed.zip)).expect("read zip");
        let names: Vec<String> = archive
            .file_names()
            .map(|n| n.expect("entry name").to_string())
            .collect();
        let mut in_order = Vec::new();
        for i in 0..archive.len() {
            let mut f = archive.by_index(i).expect("entry");
            let name = f.name().expect("entry name").to_string();
            assert!(f.is_file(), "{name} is not a file entry");
            let t = f.last_modified().expect("timestamp");
            assert_eq!((t.year(), t.month(), t.day()), (1980, 1, 1));
            assert_eq!((t.hour(), t.minute(), t.second()), (0, 0, 0));
            let want_mode = if name == "bootstrap" && cfg!(unix) {
                0o755
            } else {
                0o644
            };
            assert_eq!(f.unix_mode().map(|m| m & 0o777), Some(want_mode), "{name}");
            let mut body = String::new();
            f.read_to_string(&mut body).expect("read entry");
            assert!(!body.is_empty());
            in_order.push(name);
        }
        assert_eq!(in_order, vec!["a.txt", "a/z.txt", "b.txt", "bootstrap"]);
        assert_eq!(names.len(), 4);
    }

    #[test]
    fn a_single_file_is_stored_under_its_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "handler.py", "def main(e, c):\n    return 1\n");
        let packed = pack(&dir.path().join("handler.py")).expect("pack");
        let archive = zip::ZipArchive::new(Cursor::new(packed.zip)).expect("read zip");
        let names: Vec<String> = archive
            .file_names()
            .map(|n| n.expect("entry name").to_string())
            .collect();
        assert_eq!(names, vec!["handler.py"]);
    }

    #[test]
    fn missing_and_empty_assets_are_errors_naming_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        let e = pack(&missing).expect_err("missing path");
        assert!(e.0.contains("nope"), "{e}");
        let e = pack(dir.path()).expect_err("empty dir");
        assert!(e.0.contains("contains no files"), "{e}");
    }

    #[test]
    fn the_hash_is_base64_of_sha256() {
        // sha256("") in base64.
        assert_eq!(
            code_sha256(b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
