//! Backups: online data backups (`create`), verified restores (`restore`), the key escrow
//! (`keys`), the backup file format (`tarfile`, `manifest`) and the table registry.

pub mod create;
pub mod keys;
pub mod manifest;
pub mod restore;
pub mod tables;
pub mod tarfile;
