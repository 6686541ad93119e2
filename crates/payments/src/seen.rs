//! Remembering which notifications were processed, so a delivery repeated by the gateway (or
//! by an attacker replaying a genuine one) never marks an order paid twice.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

/// What the store says about a notification key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Not seen: the caller now owns it and must call [`SeenStore::complete`] or
    /// [`SeenStore::release`].
    New,
    /// Another delivery of it is being processed right now.
    InProgress,
    /// Already processed successfully.
    Done,
}

/// A store of processed notification keys. The in-memory default serves one process; several
/// instances behind a load balancer need a shared one (a database table with a unique key, a
/// Redis `SET NX`), plugged in through this trait.
#[async_trait]
pub trait SeenStore: Send + Sync + std::fmt::Debug {
    /// Atomically claims `key` unless it is done or in progress.
    ///
    /// # Errors
    ///
    /// A store failure; the delivery is then refused with a 5xx so the gateway retries.
    async fn claim(&self, key: &str) -> Result<Claim, StoreError>;

    /// Marks a claimed key as processed.
    ///
    /// # Errors
    ///
    /// A store failure.
    async fn complete(&self, key: &str) -> Result<(), StoreError>;

    /// Gives a claimed key back after a failure, so a later delivery is processed.
    ///
    /// # Errors
    ///
    /// A store failure.
    async fn release(&self, key: &str) -> Result<(), StoreError>;
}

/// A failure of the store itself.
#[derive(Debug, thiserror::Error)]
#[error("seen-store failure: {0}")]
pub struct StoreError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    InProgress,
    Done,
}

/// The in-memory [`SeenStore`]: fine for one process; forgets everything on restart.
#[derive(Debug, Default)]
pub struct InMemorySeenStore {
    keys: Mutex<HashMap<String, State>>,
}

impl InMemorySeenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_keys<T>(
        &self,
        f: impl FnOnce(&mut HashMap<String, State>) -> T,
    ) -> Result<T, StoreError> {
        let mut keys = self.keys.lock().map_err(|_| StoreError("store lock poisoned".into()))?;
        Ok(f(&mut keys))
    }
}

#[async_trait]
impl SeenStore for InMemorySeenStore {
    async fn claim(&self, key: &str) -> Result<Claim, StoreError> {
        self.with_keys(|keys| match keys.get(key) {
            Some(State::Done) => Claim::Done,
            Some(State::InProgress) => Claim::InProgress,
            None => {
                keys.insert(key.to_owned(), State::InProgress);
                Claim::New
            }
        })
    }

    async fn complete(&self, key: &str) -> Result<(), StoreError> {
        self.with_keys(|keys| {
            keys.insert(key.to_owned(), State::Done);
        })
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.with_keys(|keys| {
            if keys.get(key) == Some(&State::InProgress) {
                keys.remove(key);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn claim_complete_release() {
        let store = InMemorySeenStore::new();
        assert_eq!(store.claim("a").await.unwrap(), Claim::New);
        assert_eq!(store.claim("a").await.unwrap(), Claim::InProgress);
        store.release("a").await.unwrap();
        assert_eq!(store.claim("a").await.unwrap(), Claim::New);
        store.complete("a").await.unwrap();
        assert_eq!(store.claim("a").await.unwrap(), Claim::Done);
        store.release("a").await.unwrap();
        assert_eq!(
            store.claim("a").await.unwrap(),
            Claim::Done,
            "release never forgets a done key"
        );
    }
}
