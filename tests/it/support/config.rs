//! Config text for a test's gateway: listeners on free ports, the state in a fresh
//! directory, and the rooms a test asks for.

use std::path::Path;

use super::temp_dir;

/// Config text with the listeners on free ports and the state in a fresh directory; `rooms`
/// is the `[[rooms]]` part.
pub fn config_text(server_extra: &str, rooms: &str) -> String {
    config_in(&temp_dir("state"), server_extra, rooms)
}

/// Like `config_text`, with the state kept in `state_dir`.
pub fn config_in(state_dir: &Path, server_extra: &str, rooms: &str) -> String {
    config_full(state_dir, server_extra, "", rooms)
}

/// Config text with extra `[server]` and `[admin]` keys.
pub fn config_full(state_dir: &Path, server_extra: &str, admin_extra: &str, rooms: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ngrace_period = \"1s\"\n{server_extra}\n\
         [admin]\nlisten = \"127.0.0.1:0\"\n{admin_extra}\n\n[state]\ndir = \"{}\"\n\n{rooms}",
        state_dir.display()
    )
}

/// A single room in front of `upstream` with extra keys.
pub fn room(id: &str, upstream: &str, extra: &str) -> String {
    format!("[[rooms]]\nid = \"{id}\"\nupstream = \"{upstream}\"\n{extra}\n")
}
