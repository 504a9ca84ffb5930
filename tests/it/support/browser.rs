//! Headless Chromium, for the tests that run the page's own scripts.

use std::path::{Path, PathBuf};

use super::temp_dir;

/// Headless Chromium, as Debian packages it. Under CI (`CI` set) it must be there; elsewhere a
/// browser test without it says so and passes nothing.
pub fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "browser tests need Chromium: apt-get install chromium"
        );
        eprintln!("skipped: no chromium on PATH (apt-get install chromium)");
    }
    found
}

/// Loads `url` in headless Chromium, lets the page's scripts run for up to `virtual_ms` of
/// virtual time (network waits pause it) and returns the DOM it ends with.
pub async fn browser_dom(chromium: &Path, url: &str, virtual_ms: u64) -> String {
    let profile = temp_dir("chromium");
    let args = vec![
        "60".to_string(),
        chromium.display().to_string(),
        "--headless".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        format!("--user-data-dir={}", profile.display()),
        format!("--virtual-time-budget={virtual_ms}"),
        "--dump-dom".into(),
        url.to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("timeout").args(&args).output()
    })
    .await
    .unwrap()
    .expect("chromium runs");
    let _ = std::fs::remove_dir_all(profile);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
