//! The sandbox's persistent state: the orders placed, from which subscriptions follow. Kept in
//! `state.json` in the sandbox folder, changed under a lock and written atomically, so that
//! several processes can use one sandbox at once.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::files;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxOrder {
    pub id: u64,
    pub order_no: String,
    pub order_status: String,
    pub transaction_no: String,
    pub instance_id: String,
    pub create_time: u64,
    pub product_no: String,
    pub plan_id: u64,
    pub plan_name: String,
    pub billing_id: u64,
    pub multi_cycle: u8,
    pub po_number: Option<String>,
}

impl SandboxOrder {
    /// A succeeded order gives the PBX a subscription for its years.
    pub fn expire_time(&self) -> u64 {
        self.create_time + u64::from(self.multi_cycle) * 365 * 24 * 3600 * 1000
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    #[serde(default)]
    pub orders: Vec<SandboxOrder>,
}

impl State {
    /// The active subscription of a PBX, if any.
    pub fn subscription(&self, sn: &str, now_ms: u64) -> Option<&SandboxOrder> {
        self.orders
            .iter()
            .filter(|o| o.order_status == "succeed" && o.product_no.eq_ignore_ascii_case(sn))
            .find(|o| o.expire_time() > now_ms)
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub struct Store {
    path: PathBuf,
}

impl Store {
    pub fn new(dir: &Path) -> Self {
        Store {
            path: dir.join("state.json"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The state as last written; a missing or unreadable file is an empty sandbox.
    pub fn load(&self) -> State {
        std::fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Changes the state under the lock and writes it back atomically.
    pub fn update<T>(&self, change: impl FnOnce(&mut State) -> T) -> Result<T> {
        let _lock = files::lock(&files::lock_path(&self.path))?;
        let mut state = self.load();
        let value = change(&mut state);
        files::write_private(&self.path, &serde_json::to_vec_pretty(&state)?)
            .context("could not save the sandbox state")?;
        Ok(value)
    }

    pub fn reset(&self) -> Result<bool> {
        let _lock = files::lock(&files::lock_path(&self.path))?;
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(error) => {
                Err(error).with_context(|| format!("could not remove {}", self.path.display()))
            }
        }
    }
}

/// IDs like the portal's: 19 digits, increasing, unique across processes (time and a random
/// tail).
pub fn new_order_id() -> u64 {
    (now_ms() << 22) | fastrand::u64(..1 << 22)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_processes_never_lose_an_order() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().to_path_buf();
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    let store = Store::new(&dir);
                    for i in 0..10 {
                        store
                            .update(|state| {
                                state.orders.push(SandboxOrder {
                                    id: new_order_id(),
                                    order_no: format!("LR{w}{i}"),
                                    order_status: "succeed".into(),
                                    transaction_no: String::new(),
                                    instance_id: String::new(),
                                    create_time: now_ms(),
                                    product_no: "A1".into(),
                                    plan_id: 1,
                                    plan_name: String::new(),
                                    billing_id: 1,
                                    multi_cycle: 1,
                                    po_number: None,
                                })
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        assert_eq!(Store::new(&dir).load().orders.len(), 40);
        assert!(new_order_id() > 1_000_000_000_000_000_000);
    }
}
