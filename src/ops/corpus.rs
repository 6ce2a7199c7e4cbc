//! Loading a directory of text files (the regulations) as documents for the demo.

use std::path::Path;

use crate::actor::Actor;
use crate::app::App;

pub fn load(_app: &App, _actor: &Actor, dir: &Path) -> anyhow::Result<()> {
    anyhow::bail!(
        "cannot load {}: this build has no document store yet (it arrives with the documents feature)",
        dir.display()
    )
}
