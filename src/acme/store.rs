//! Where ACME's secrets live on this machine: the account key and each domain's certificate
//! with its private key, as files in `state.dir/acme/` readable only by the gateway's user
//! (0600, the folder 0700), each written whole or not at all. Must not order or decide when:
//! that is the renewal's.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The `acme` folder in `state.dir`.
#[derive(Debug, Clone)]
pub struct Files {
    dir: PathBuf,
}

impl Files {
    pub fn new(state_dir: &Path) -> Files {
        Files {
            dir: state_dir.join("acme"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Makes the folder and checks the gateway may write there, so an unwritable `state.dir`
    /// is told at start, before a certificate is ordered and then lost.
    pub fn prepare(&self) -> io::Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        write_private(&self.dir.join(".writable"), b"")?;
        fs::remove_file(self.dir.join(".writable"))
    }

    /// The account's credentials (JSON), if one was made.
    pub fn account(&self) -> io::Result<Option<Vec<u8>>> {
        read_if_there(&self.dir.join("account.json"))
    }

    pub fn save_account(&self, json: &[u8]) -> io::Result<()> {
        write_private(&self.dir.join("account.json"), json)
    }

    /// `domain`'s private key and certificate chain (PEM), if it has one.
    pub fn certificate(&self, domain: &str) -> io::Result<Option<Vec<u8>>> {
        read_if_there(&self.cert_path(domain))
    }

    pub fn save_certificate(&self, domain: &str, pem: &[u8]) -> io::Result<()> {
        write_private(&self.cert_path(domain), pem)
    }

    pub fn cert_path(&self, domain: &str) -> PathBuf {
        self.dir.join(format!("{domain}.pem"))
    }
}

fn read_if_there(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to a new file beside `path` (mode 0600), flushed to disk, then renames it
/// over `path`: a crash leaves the old file or the new one, never half of one.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn files_are_kept_for_the_gateway_only() {
        let dir = std::env::temp_dir().join(format!("wartesaal-acme-store-{}", std::process::id()));
        let files = Files::new(&dir);
        files.prepare().unwrap();
        assert_eq!(files.certificate("a.example").unwrap(), None);
        files.save_certificate("a.example", b"pem").unwrap();
        files.save_account(b"{}").unwrap();
        assert_eq!(files.certificate("a.example").unwrap().unwrap(), b"pem");
        for f in ["a.example.pem", "account.json"] {
            let mode = fs::metadata(files.dir().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
        let mode = fs::metadata(files.dir()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        fs::remove_dir_all(dir).unwrap();
    }
}
